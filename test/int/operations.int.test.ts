/**
 * What the people who run the service see: health, readiness with its backends, Prometheus metrics,
 * and a start against an unreachable production backend failing fast with a clear message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
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
      role: 'all',
      backends: [
        { name: 'sqlite-event-store', ok: true },
        { name: 'sqlite-read-models', ok: true },
      ],
      projector: { leader: true },
    });
    expect((body.projections as Array<{ name: string }>).map((p) => p.name)).toEqual(['upload-status', 'billing']);
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
