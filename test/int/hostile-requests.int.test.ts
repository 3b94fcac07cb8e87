/**
 * Attacks from issue "Safe to expose", each reproduced as written: the process stays up and answers each
 * one with a documented JSON error.
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { generatePrices } from '../../src/tools/readings-generator';
import { startTestServer, uploadFile, wsClient, type TestServer } from '../support/test-server';

let t: TestServer;
let base: string;
let port: number;
beforeAll(async () => {
  t = await startTestServer({
    ADMIN_TOKEN: 'admin-token-for-hostile-tests',
    VIEWER_TOKEN: 'viewer-token-for-hostile-tests',
  });
  base = t.url.replace(/\/graphql$/, '');
  port = Number(new URL(t.url).port);
});
afterAll(async () => {
  await t.close();
});

/**
 * Sends raw bytes on one connection: the first answer's text, and whether the server closed the
 * connection within two seconds of answering (else it is kept alive, as HTTP/1.1 does by default).
 */
function rawRequest(bytes: string): Promise<{ answer: string; closedBy: 'server' | 'kept open' }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let answer = '';
    let settled = false;
    const finish = (closedBy: 'server' | 'kept open') => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ answer, closedBy });
    };
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const headEnd = answer.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(answer)?.[1] ?? NaN);
      if (headEnd !== -1 && answer.length - headEnd - 4 >= length) setTimeout(() => finish('kept open'), 2_000);
    });
    socket.on('end', () => finish('server'));
    socket.on('error', (error) => (settled ? undefined : reject(error)));
  });
}

/** A multipart upload request whose file part carries the given part header. */
function multipart(fileHeader: string, authorization = ''): string {
  const boundary = 'HOSTILEBOUNDARY';
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n` +
    '{"query":"mutation($f: Upload!) { uploadReadings(file: $f) { status } }","variables":{"f":null}}\r\n' +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
    `--${boundary}\r\n${fileHeader}\r\nContent-Type: text/csv\r\n\r\nmetering_point_id,timestamp,kwh\r\n--${boundary}--\r\n`;
  return (
    'POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nApollo-Require-Preflight: true\r\n' +
    (authorization === '' ? '' : `Authorization: ${authorization}\r\n`) +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`
  );
}

/** The server answers /healthz, within `withinMs` (a second unless said). */
async function alive(at: string = base, withinMs = 1_000): Promise<void> {
  const started = performance.now();
  const health = await fetch(`${at}/healthz`);
  expect(health.status).toBe(200);
  expect(performance.now() - started).toBeLessThan(withinMs);
}

describe('a multipart part header the parser refuses (attack A)', () => {
  it.each([
    ['a NUL in the file name', 'Content-Disposition: form-data; name="0"; filename="a\x00b.csv"'],
    ['a control byte in the file name', 'Content-Disposition: form-data; name="0"; filename="a\x01b.csv"'],
    ['a header line without a colon', 'Content-Disposition: form-data; name="0"; filename="a.csv"\r\nno colon here'],
  ])('%s: refused as the mistake of the caller, the process alive', async (_name, header) => {
    const anonymous = await rawRequest(multipart(header));
    expect(anonymous.answer).toMatch(/"code":"UNAUTHENTICATED"/);
    await alive();
    const { answer } = await rawRequest(multipart(header, 'Bearer admin-token-for-hostile-tests'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/the uploaded file could not be read \(Malformed part header\); send it as a well-formed/);
    expect(answer).toMatch(/"code":"BAD_USER_INPUT"/);
    expect(answer).not.toMatch(/node_modules|\n\s+at /);
    await alive();
  });

  it('closes the connection after refusing an upload whose body it did not read', async () => {
    const big = 'x'.repeat(300 * 1024); // operations over the 256 KiB multipart field limit
    const boundary = 'B';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${big}\r\n--${boundary}--\r\n`;
    const { answer, closedBy } = await rawRequest(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nApollo-Require-Preflight: true\r\n' +
        'Authorization: Bearer admin-token-for-hostile-tests\r\n' +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length + 10_000_000}\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(closedBy).toBe('server');
    await alive();
  });
});

describe('error answers and headers (G)', () => {
  it('answers a path Express cannot decode with JSON, no stack, no paths', async () => {
    const response = await fetch(`${base}/invoices/%E0%A4%A.html`, {
      headers: { authorization: 'Bearer admin-token-for-hostile-tests' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'the path is not valid percent-encoded text', extensions: { code: 'BAD_REQUEST' } }],
    });
    await alive();
  });

  it.each(['/healthz', '/graphql', '/', '/no-such-path'])(
    '%s carries no X-Powered-By and a Referrer-Policy',
    async (path) => {
      const response = await fetch(`${base}${path}`);
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );
});

describe('ranges are checked before anything is made of them (D)', () => {
  const admin = { authorization: 'Bearer admin-token-for-hostile-tests' };

  it('refuses prices over ten thousand years, 15 aliases at once, without holding the server', async () => {
    const aliases = Array.from(
      { length: 15 },
      (_, i) => `p${i}: prices(from: "0000-01-01", to: "9999-12-31") { start }`,
    ).join(' ');
    const started = performance.now();
    const [answer] = await Promise.all([
      fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...admin },
        body: JSON.stringify({ query: `{ ${aliases} }` }),
      }).then((r) => r.json() as Promise<{ errors: Array<{ message: string; extensions: { code: string } }> }>),
      alive(),
    ]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(answer.errors.length).toBeGreaterThanOrEqual(1);
    expect(answer.errors[0]).toMatchObject({
      message: 'at most 366 days per query, asked for 3652425',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a daily-usage export over ten thousand years at once', async () => {
    const started = performance.now();
    const response = await fetch(`${base}/exports/daily-usage.csv?from=0000-01-01&to=9999-12-31`, { headers: admin });
    expect(response.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(1_000);
    await alive();
  });
});

describe('what an anonymous caller can learn or spend', () => {
  const post = (query: string, headers: Record<string, string> = {}) =>
    fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  it('refuses introspection, even to an admin, unless GRAPHQL_INTROSPECTION=on', async () => {
    const anonymous = await post('{ __schema { types { name } } }');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const response = await post('{ __schema { types { name } } }', {
      authorization: 'Bearer admin-token-for-hostile-tests',
    });
    const answer = (await response.json()) as { errors?: Array<{ message: string }> };
    expect(answer.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
  });

  it('serves no sandbox page loading scripts from a CDN at GET /graphql', async () => {
    const response = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toMatch(/<script|<html/i);
  });

  it('answers a document over the token limit with HTTP 400, not 500', async () => {
    const response = await post(`{ ${'meters '.repeat(3_000)}}`, {
      authorization: 'Bearer viewer-token-for-hostile-tests',
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(answer.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('the mutation rate of callers without a key', () => {
  it('is kept by the peer address, whatever X-Forwarded-For the caller sends', async () => {
    const open = await startTestServer({ AUTH: 'off', MUTATIONS_PER_MINUTE: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(open.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
          body: JSON.stringify({
            query: `mutation { createAccount(input: { id: "XFF-${i}", name: "x", vatRate: "0.2", tariff: { kind: FIXED, unitPriceEurMwh: "100", standingChargePerDay: "0" } }) { id } }`,
          }),
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await open.close();
    }
  });
});

describe('subscriptions completed or cut off (B)', () => {
  it('release their event-store subscription within a moment, 1,000 made and completed by a viewer', async () => {
    const store = t.server.services!.eventStore as unknown as { openSubscriptions: number };
    const before = store.openSubscriptions;
    const clients = Array.from({ length: 20 }, () =>
      wsClient(t.url, { authorization: 'Bearer viewer-token-for-hostile-tests' }),
    );
    try {
      for (let round = 0; round < 5; round += 1) {
        const stops: Array<() => void> = [];
        for (const client of clients) {
          for (let i = 0; i < 10; i += 1) {
            stops.push(
              client.subscribe(
                { query: 'subscription { invoiceIssued { number } }' },
                { next: () => undefined, error: () => undefined, complete: () => undefined },
              ),
            );
          }
        }
        await until(() => store.openSubscriptions >= before + 200);
        for (const stop of stops) stop();
        await until(() => store.openSubscriptions === before);
      }
      await alive();

      // A client that goes away without completing: its subscriptions end with its connection.
      const leaving = clients[0]!;
      for (let i = 0; i < 10; i += 1) {
        leaving.subscribe(
          { query: 'subscription { invoiceIssued { number } }' },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        );
      }
      await until(() => store.openSubscriptions === before + 10);
      await leaving.dispose();
      await until(() => store.openSubscriptions === before);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  }, 60_000);
});

/** Waits for a condition, checking every 10 ms, for at most 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 5_000 && !condition(); waited += 10) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('WebSocket connections without a key (E)', () => {
  const wsUrl = () => t.url.replace(/^http/, 'ws');

  /** A raw graphql-ws connection that sends `connection_init` with these parameters: how it ends. */
  function initWith(
    payload: Record<string, unknown>,
  ): Promise<{ refusedWith: number | null; closedWith: number | null }> {
    return new Promise((resolve) => {
      const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
      socket.once('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') {
          resolve({ refusedWith: null, closedWith: null });
          socket.close();
        }
      });
      socket.once('close', (code) => resolve({ refusedWith: null, closedWith: code }));
      socket.once('unexpected-response', (_request, response) => {
        resolve({ refusedWith: response.statusCode ?? -1, closedWith: null });
        socket.terminate();
      });
      socket.once('error', () => undefined);
    });
  }

  it('are closed at their connection_init (4403), 200 of them, and an admin still gets in', async () => {
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => initWith({})));
    expect(outcomes.every((o) => o.closedWith === 4403)).toBe(true);
    await alive();
    expect(await initWith({ authorization: 'Bearer admin-token-for-hostile-tests' })).toEqual({
      refusedWith: null,
      closedWith: null,
    });
  });

  it('may wait for their connection_init 16 at a time from one address, and 3 s at most', async () => {
    const waiting = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<WebSocket>((resolve) => {
            const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
            socket.once('open', () => resolve(socket));
          }),
      ),
    );
    const closed = waiting.map((socket) => new Promise<number>((resolve) => socket.once('close', resolve)));
    expect(await initWith({ authorization: 'Bearer admin-token-for-hostile-tests' })).toEqual({
      refusedWith: 429,
      closedWith: null,
    });
    expect(new Set(await Promise.all(closed))).toEqual(new Set([4408]));
    expect(await initWith({ authorization: 'Bearer admin-token-for-hostile-tests' })).toEqual({
      refusedWith: null,
      closedWith: null,
    });
  }, 15_000);
});

describe('clients that stop reading (C)', () => {
  it('get few answers worked on at once: the process keeps its memory and serves others, and they get every answer later', async () => {
    const admin = { authorization: 'Bearer admin-token-for-hostile-tests' };
    // A server of its own whose burst admits one of these queries at a time: what runs at once is then
    // what one query costs, and the clients' backlog is what is measured.
    const c = await startTestServer({ ADMIN_TOKEN: 'admin-token-for-hostile-tests', QUERY_COST_BURST: '12000' });
    const cBase = c.url.replace(/\/graphql$/, '');
    // Hourly prices: each alias of prices(from, to) over a month answers 744 points, 15 of them 1 MB.
    const csv = [
      'timestamp,price_eur_mwh',
      ...['2025-01', '2025-02'].flatMap((month) => [...generatePrices({ month })].slice(1)),
    ].join('\n');
    const imported = await uploadFile(c.url, csv, 'prices.csv', {
      headers: admin,
      query: 'mutation($file: Upload!) { importPrices(file: $file) { points } }',
    });
    expect(imported.errors).toBeUndefined();
    const query = `{ ${Array.from(
      { length: 15 },
      (_, i) => `p${i}: prices(from: "2025-01-01", to: "2025-01-31") { start end priceEurMwh }`,
    ).join(' ')} }`;

    const gc = gcFunction();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const sockets = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const socket = new WebSocket(c.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
        await new Promise((resolve) => socket.once('open', resolve));
        const acknowledged = new Promise((resolve) => socket.once('message', resolve));
        socket.send(JSON.stringify({ type: 'connection_init', payload: admin }));
        await acknowledged;
        return socket;
      }),
    );
    const outcomes = sockets.map((socket) => {
      const byId = new Map<string, string>();
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: string; type: string; payload?: unknown };
        if (message.id === undefined || message.type === 'complete') return;
        byId.set(message.id, message.type === 'next' ? 'answered' : JSON.stringify(message.payload));
      });
      return byId;
    });
    for (const socket of sockets) {
      socket.pause(); // the client stops reading
      for (let i = 0; i < 10; i += 1)
        socket.send(JSON.stringify({ id: `q${i}`, type: 'subscribe', payload: { query } }));
    }
    // Meanwhile the server answers others at once, and what it holds for the paused clients is bounded.
    // The liveness bound (2 s): this server shares the test process, and CI's other jest worker
    // runs CPU-heavy suites beside it on two cores; 1.5 s was seen once in three clean CI runs.
    for (let i = 0; i < 10; i += 1) await alive(cBase, 2_000);
    gc();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);

    for (const socket of sockets) socket.resume();
    await until(() => outcomes.every((byId) => byId.size === 10));
    for (const byId of outcomes) {
      for (const outcome of byId.values()) {
        if (outcome !== 'answered') expect(outcome).toMatch(/TOO_MANY_REQUESTS/);
      }
    }
    expect(outcomes.flatMap((byId) => [...byId.values()]).filter((o) => o === 'answered').length).toBeGreaterThan(0);
    for (const socket of sockets) socket.close();
    await alive(cBase);
    await c.close();
  }, 60_000);
});

/** V8's collector, for measuring what stays alive. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe("a caller's queries", () => {
  it('are held to a budget of items a second: a flood of 15 x invoices(first: 500) is refused with the wait', async () => {
    const aliases = Array.from(
      { length: 15 },
      (_, i) => `a${i}: invoices(month: "2026-10", first: 500) { totalCount }`,
    );
    const flood = Array.from({ length: 50 }, () =>
      fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer viewer-token-for-hostile-tests' },
        body: JSON.stringify({ query: `{ ${aliases.join(' ')} }` }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
    );
    await alive();
    const answers = await Promise.all(flood);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(45);
    expect(refused[0]!.body.errors[0].extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(refused[0]!.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    await alive();
  });
});

describe('atLeast a position in a stream no projection reads', () => {
  it('answers at once: an unchanged price import after a key was made, whose position is the key event', async () => {
    const admin = { authorization: 'Bearer admin-token-for-hostile-tests' };
    const prices = [...generatePrices({ month: '2024-03', days: 1 })].join('\n');
    const importPrices = () =>
      uploadFile(t.url, prices, 'p.csv', {
        headers: admin,
        query: 'mutation($file: Upload!) { importPrices(file: $file) { unchangedDays position } }',
      });
    await importPrices();
    const made = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ query: 'mutation { createApiKey(name: "atleast-probe", role: VIEWER) { key } }' }),
    });
    expect(made.status).toBe(200);
    const again = (await importPrices()) as unknown as {
      data: { importPrices: { unchangedDays: number; position: string } };
    };
    expect(again.data.importPrices.unchangedDays).toBe(1);
    const started = performance.now();
    const answer = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({
        query: 'query($p: String) { invoices(month: "2024-03", atLeast: $p) { totalCount } }',
        variables: { p: again.data.importPrices.position },
      }),
    });
    expect(((await answer.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
