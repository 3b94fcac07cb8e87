/**
 * Round 2 outsider probes of webhook delivery, on a server started as `npm start` starts it (256 MB heap),
 * with hostile receivers on 127.0.0.1 beside a healthy one: a status line sent a byte at a time, a body
 * dripped a byte at a time, a huge body, a connection closed mid-answer or before any answer, a redirect.
 * The healthy webhook gets every invoice, /healthz answers within 2 s and memory stays bounded; a webhook
 * registered and one removed while the backlog drains, and a kill -9 mid-backlog, lose nothing.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeHealth, startLikeNpmStart, type NpmStartedServer } from '../support/npm-started-server';
import { graphql, startTestServer, UPLOAD_MUTATION, uploadFile, type TestServer } from '../support/test-server';

jest.setTimeout(240_000);

const SERVER_ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', MUTATIONS_PER_MINUTE: '100000', WEBHOOK_TIMEOUT_MS: '3000' };
const INVOICES = 150;

async function ok<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const answer = await graphql(url, query, variables);
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return answer.data as T;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One HTTP receiver; its path picks the behaviour. Delivery ids received, by path. */
async function hostileReceiver(): Promise<{ url: string; server: Server; received: Map<string, Set<string>> }> {
  const received = new Map<string, Set<string>>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      const ids = received.get(path) ?? new Set<string>();
      ids.add(String(req.headers['x-delivery-id']));
      received.set(path, ids);
      const socket = res.socket;
      switch (path) {
        case '/drip-body': {
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 50);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case '/huge': {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const chunk = Buffer.alloc(1024 * 1024, 0x61);
          let sent = 0;
          const pump = () => {
            while (!res.destroyed && sent < 200) {
              sent += 1;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        case '/close-mid':
          res.writeHead(200, { 'content-length': '1000' });
          res.write('partial');
          setTimeout(() => socket?.destroy(), 20);
          return;
        case '/close-before':
          socket?.destroy();
          return;
        case '/redirect':
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
          return;
        default:
          res.writeHead(200).end('ok');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, received };
}

/** A raw TCP receiver that sends its status line one byte every 200 ms and never finishes the head. */
async function dripHeadReceiver(): Promise<{ url: string; server: TcpServer; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    const head = Buffer.from('HTTP/1.1 200 OK\r\nX-Slow: ' + 'y'.repeat(1000));
    let at = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || at >= head.length) return clearInterval(timer);
      socket.write(head.subarray(at, at + 1));
      at += 1;
    }, 200);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const closeAll = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return closeAll(callback);
  }) as typeof server.close;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

async function openAccounts(url: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 7) {
    const aliases = [];
    for (let i = start; i < Math.min(count, start + 7); i++) {
      const id = `ACC-${String(i).padStart(5, '0')}`;
      aliases.push(`a${i}: createAccount(input: { id: "${id}", name: "Customer ${i}", vatRate: "0.20",
        tariff: { kind: FIXED, unitPriceEurMwh: "150", standingChargePerDay: "0.40" } }) { id }`);
      aliases.push(
        `m${i}: assignMeter(account: "${id}", meter: "MC${String(i).padStart(6, '0')}", from: "2026-10-01") { id }`,
      );
    }
    await ok(url, `mutation { ${aliases.join('\n')} }`);
  }
}

const ISSUE = `mutation { issueInvoices(month: "2026-10", force: true) { issued { number } } }`;
const REGISTER = `mutation($url: String!) { registerWebhook(url: $url) { id } }`;

describe('round 2 attacks on webhook delivery', () => {
  const dirs: string[] = [];
  const servers: NpmStartedServer[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(closers.splice(0).map((close) => close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('hostile receivers beside a healthy one: it gets every invoice, /healthz within 2 s, RSS bounded; register, remove and kill -9 mid-backlog lose nothing', async () => {
    const hostile = await hostileReceiver();
    const drip = await dripHeadReceiver();
    closers.push(
      async () => {
        hostile.server.closeAllConnections();
        hostile.server.close();
      },
      async () => void drip.server.close(),
    );
    const dir = mkdtempSync(join(tmpdir(), 'attack-2b-'));
    dirs.push(dir);
    const first = startLikeNpmStart(dir, SERVER_ENV);
    servers.push(first);
    const url = await first.ready;
    const ids = new Map<string, string>();
    for (const path of ['/drip-body', '/huge', '/close-mid', '/close-before', '/redirect', '/healthy']) {
      const data = await ok<{ registerWebhook: { id: string } }>(url, REGISTER, { url: `${hostile.url}${path}` });
      ids.set(path, data.registerWebhook.id);
    }
    const dripHead = await ok<{ registerWebhook: { id: string } }>(url, REGISTER, { url: `${drip.url}/head` });
    await openAccounts(url, INVOICES);

    let highestRss = 0;
    const rssTimer = setInterval(() => (highestRss = Math.max(highestRss, first.rssMb() ?? 0)), 200);
    const health = probeHealth(url);
    const issued = await ok<{ issueInvoices: { issued: unknown[] } }>(url, ISSUE);
    expect(issued.issueInvoices.issued).toHaveLength(INVOICES);
    const healthy = () => hostile.received.get('/healthy')?.size ?? 0;
    await until(() => healthy() >= INVOICES / 3, 30_000, 'a third at the healthy receiver');

    // While the backlog drains: a new webhook (owed nothing issued before it) and the huge one removed.
    const late = await ok<{ registerWebhook: { id: string } }>(url, REGISTER, { url: `${hostile.url}/late` });
    expect(await ok(url, `mutation($id: ID!) { removeWebhook(id: $id) }`, { id: ids.get('/huge') })).toEqual({
      removeWebhook: true,
    });
    const listed = await ok<{ webhooks: Array<{ id: string }> }>(url, `{ webhooks { id } }`);
    expect(listed.webhooks.map((w) => w.id)).toEqual(
      expect.arrayContaining([late.registerWebhook.id, dripHead.registerWebhook.id]),
    );
    expect(listed.webhooks.map((w) => w.id)).not.toContain(ids.get('/huge'));

    // kill -9 mid-backlog, then a restart delivers the rest to the healthy one.
    expect(healthy()).toBeLessThan(INVOICES + 1);
    const slowest = await health.stop();
    clearInterval(rssTimer);
    expect(first.child.exitCode).toBeNull();
    expect(slowest).toBeLessThan(2_000);
    expect(highestRss).toBeLessThan(300);
    await first.stop('SIGKILL');
    servers.splice(0);

    const second = startLikeNpmStart(dir, SERVER_ENV);
    servers.push(second);
    const again = await second.ready;
    const healthAgain = probeHealth(again);
    await until(() => healthy() === INVOICES, 60_000, `all ${INVOICES} at the healthy receiver after the restart`);
    expect(await healthAgain.stop()).toBeLessThan(2_000);
    expect(drip.connections()).toBeGreaterThan(0);
    // Every hostile receiver was tried; the removed one is not owed anything after the restart.
    for (const path of ['/drip-body', '/close-mid', '/close-before', '/redirect']) {
      expect(hostile.received.get(path)?.size ?? 0).toBeGreaterThan(0);
    }
    expect(hostile.received.get('/late')).toBeUndefined();
    expect(second.child.exitCode).toBeNull();
    // Seven registered (six paths, the slow head, the late one) less the removed one.
    const kept = await ok<{ webhooks: Array<{ id: string }> }>(again, `{ webhooks { id } }`);
    expect(kept.webhooks).toHaveLength(7);
    expect(kept.webhooks.map((w) => w.id)).not.toContain(ids.get('/huge'));
  });
});

describe('round 2 attacks on upload formats', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  const fileOf = (meter: string) =>
    `meter,ts,val,ch\n${meter},2026-10-01T00:00:00Z,1,E1\n${meter},2026-10-01T01:00:00Z,1,B1\n`;
  const COLUMNS = { meterColumn: 'meter', timestampColumn: 'ts', valueColumn: 'val', channelColumn: 'ch' };
  const FORMAT_UPLOAD = `mutation($file: Upload!, $format: ReadingsFormatInput) {
    uploadReadings(file: $file, format: $format) { status acceptedRows }
  }`;

  it.each([
    [
      'a value given two kinds',
      [
        { value: 'E1', kind: 'IMPORT' },
        { value: ' E1 ', kind: 'EXPORT' },
      ],
      /channelKinds\[1\]\.value 'E1' is mapped already by channelKinds\[0\]/,
      'MK1',
    ],
    ['a blank value', [{ value: '  ', kind: 'EXPORT' }], /channelKinds\[0\]\.value is empty/, 'MK2'],
  ])(
    'refuses channelKinds with %s, naming the entry, instead of reading it silently',
    async (_, kinds, message, meter) => {
      const answer = await uploadFile(t.url, fileOf(meter), 'k.csv', {
        query: FORMAT_UPLOAD,
        variables: { format: { ...COLUMNS, channelKinds: kinds } },
      });
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(message);
      // The same file with each value mapped once is taken whole.
      const fine = await uploadFile(t.url, fileOf(meter), 'k2.csv', {
        query: FORMAT_UPLOAD,
        variables: {
          format: {
            ...COLUMNS,
            channelKinds: [
              { value: 'E1', kind: 'IMPORT' },
              { value: 'B1', kind: 'EXPORT' },
            ],
          },
        },
      });
      expect(fine.data?.uploadReadings).toMatchObject({ status: 'VALIDATED', acceptedRows: 2 });
    },
  );
});

describe('round 2 attacks on upload slots', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_CONCURRENT_UPLOADS: '2', UPLOAD_IDLE_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('uploads whose client stops sending mid-file are dropped once idle, and free their slots for another upload', async () => {
    const url = new URL(t.url);
    const stalled = Array.from({ length: 2 }, (_, k) => {
      const boundary = `----stall${k}`;
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'apollo-require-preflight': 'true',
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
      });
      req.on('error', () => undefined);
      const operations = JSON.stringify({ query: UPLOAD_MUTATION, variables: { file: null, uploadId: null } });
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="s.csv"\r\nContent-Type: text/csv\r\n\r\n` +
          `metering_point_id,timestamp,kwh\nST${k},2026-10-01T00:00:00Z,1\n`,
      );
      return req; // and nothing more is sent
    });
    try {
      const file = 'metering_point_id,timestamp,kwh\nSLOT1,2026-10-01T00:00:00Z,1\n';
      // While the two stalled ones hold both slots, an upload is refused...
      let answer = await uploadFile(t.url, file, 'slot.csv');
      const refusedFirst = answer.errors?.[0]?.message ?? '';
      // ...and once they were idle a second, their slots are free again (before: held 5 min, the request timeout).
      const deadline = Date.now() + 15_000;
      while (answer.data?.uploadReadings === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        answer = await uploadFile(t.url, file, 'slot.csv');
      }
      expect(refusedFirst).toMatch(/MAX_CONCURRENT_UPLOADS/);
      expect(answer.data?.uploadReadings).toMatchObject({ status: 'VALIDATED', acceptedRows: 1 });
      const listed = await graphql(t.url, '{ uploads(first: 10) { totalCount } }');
      expect(listed.errors).toBeUndefined();
    } finally {
      for (const req of stalled) req.destroy();
    }
  });
});
