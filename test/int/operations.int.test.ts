/**
 * What the people who run the service see: health, readiness with its backends, Prometheus metrics,
 * and a start against an unreachable production backend failing fast with a clear message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/app/composition-root';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server';

const base = (url: string): string => url.replace(/\/graphql$/, '');

describe('operations endpoints', () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(async () => {
    await test.close();
  });

  it('is live and ready, naming each backend and the projector it leads', async () => {
    const health = await fetch(`${base(test.url)}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', role: 'all' });
    const ready = await fetch(`${base(test.url)}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ready',
      problems: [],
      role: 'all',
      backends: [
        { name: 'sqlite-event-store', ok: true },
        { name: 'sqlite-read-models', ok: true },
      ],
      projector: { leader: true },
    });
    expect((body.projections as Array<{ name: string }>).map((p) => p.name)).toEqual([
      'upload-status',
      'billing',
      'accounts',
    ]);
  });

  it('counts uploads and rows, and shows each projection caught up', async () => {
    const csv = [
      'metering_point_id,timestamp,kwh',
      'MP-1,2026-10-01T00:00:00+03:00,1.5',
      'MP-1,2026-10-01T00:15:00+03:00,-2',
      'MP-1,2026-10-01T00:30:00+03:00,0.5',
    ].join('\n');
    const receipt = (await uploadFile(test.url, csv)).data?.uploadReadings;
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 2, rejectedRows: 1 });
    await test.server.services!.consistency.waitForPosition(receipt!.position, 5_000);

    const response = await fetch(`${base(test.url)}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('energy_billing_uploads_total{status="VALIDATED",role="all"} 1');
    expect(text).toContain('energy_billing_rows_accepted_total{role="all"} 2');
    expect(text).toContain('energy_billing_rows_rejected_total{role="all"} 1');
    expect(text).toContain('energy_billing_projection_lag_seconds{projection="upload-status",role="all"} 0');
    expect(text).toContain('energy_billing_projection_lag_seconds{projection="billing",role="all"} 0');
    expect(text).toContain('# TYPE energy_billing_price_scrape_runs_total counter');
  });
});

describe('readiness follows the projector lease', () => {
  it('turns 503 naming the reason while another holder has the lease, and ready again once it is back', async () => {
    const test = await startTestServer({ PROJECTOR_LEASE_MS: '1000' });
    const readyz = async () => {
      const response = await fetch(`${base(test.url)}/readyz`);
      return { status: response.status, body: (await response.json()) as { problems: string[] } };
    };
    /** Asks until the answer has the status (the lease is renewed every third of its 1 s lifetime). */
    const until = async (status: number) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await readyz();
        if (answer.status === status || Date.now() > deadline) return answer;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const db = openSqliteDatabase(join(test.config.dataDir, 'read-models.sqlite'));
    try {
      expect((await readyz()).status).toBe(200);
      // Another host takes the lease (its holder cannot be checked from here, so it counts as alive).
      db.prepare(`UPDATE projector_lease SET holder = 'elsewhere:1:thief', expires_ms = ?`).run(Date.now() + 60_000);
      const lost = await until(503);
      expect(lost.status).toBe(503);
      expect(lost.body.problems.join('\n')).toMatch(/does not hold the projector lease/);
      db.prepare(`DELETE FROM projector_lease WHERE holder = 'elsewhere:1:thief'`).run();
      expect((await until(200)).status).toBe(200);
    } finally {
      db.close();
      await test.close();
    }
  });
});

describe('start against an unreachable production backend', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-down-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = (env: Record<string, string>) =>
    startServer(
      loadConfig({
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        PRICE_SCRAPE: 'off',
        PORT: '0',
        BACKEND_CONNECT_TIMEOUT_MS: '500',
        ...env,
      }),
      createLogger('silent'),
    );

  it('fails fast when EventStoreDB does not answer, saying which and where', async () => {
    await expect(
      start({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://127.0.0.1:9?tls=false' }),
    ).rejects.toThrow(/EventStoreDB .*(unavailable|did not answer|refused).*127\.0\.0\.1:9/);
  });

  it('fails within the connect timeout (+1 s) against hosts that accept connections and never answer', async () => {
    // A port that takes the TCP connection and then says nothing (a hung server, a wrong firewall rule).
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const backends: Array<Record<string, string>> = [
        { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: `esdb://127.0.0.1:${port}?tls=false` },
        { READ_STORE: 'mongodb', MONGODB_URL: `mongodb://127.0.0.1:${port}/billing` },
      ];
      for (const env of backends) {
        const started = Date.now();
        await expect(start(env)).rejects.toThrow(/did not answer within 500 ms/);
        expect(Date.now() - started).toBeLessThan(1_500);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('fails fast when MongoDB does not answer, without showing the password', async () => {
    const error = await start({
      READ_STORE: 'mongodb',
      MONGODB_URL: 'mongodb://billing:s3cret@127.0.0.1:9/billing',
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^MongoDB at mongodb:\/\/billing:\*\*\*@127\.0\.0\.1:9\/billing did not answer within 500 ms/,
    );
    expect((error as Error).message).not.toContain('s3cret');
  });
});
