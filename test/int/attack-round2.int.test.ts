/**
 * Round 2 outsider probes of the routes beside the GraphQL gate: exports are charged to the same query
 * budget as queries, a query parameter of the wrong shape is refused rather than dropped, and Apollo's
 * own refusals of an APQ request are answered as the client's error, not as a server fault.
 */
import { generateReadings } from '../../src/tools/readings-generator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../support/spawned-server';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

const ADMIN = { authorization: 'Bearer admin-token-for-attack-round2' };
const VIEWER = { authorization: 'Bearer viewer-token-for-attack-round2' };

describe('round 2 attacks on the routes beside the gate', () => {
  let t: TestServer;
  let base: string;
  beforeAll(async () => {
    t = await startTestServer({
      ADMIN_TOKEN: ADMIN.authorization.slice(7),
      VIEWER_TOKEN: VIEWER.authorization.slice(7),
      // Two export pages (2 x 1,000 rows) spend the whole burst; the refill (1 item a second) is negligible.
      QUERY_COST_BURST: '2000',
      QUERY_COST_PER_SECOND: '1',
    });
    base = t.url.replace(/\/graphql$/, '');
    // 60 meters x 31 days = 1,860 daily rows: two of the export's pages.
    const readings = [...generateReadings({ month: '2026-10', meters: 60, errorRate: 0, seed: 5 })].join('\n');
    const uploaded = await uploadFile(t.url, readings, 'r.csv', { headers: ADMIN });
    expect(uploaded.data?.uploadReadings.status).toBe('VALIDATED');
    await t.server.services!.consistency.waitForPosition((uploaded.data as any).uploadReadings.position, 30_000);
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('charges an export to the query budget GraphQL queries share, and refuses one over it with a JSON 429', async () => {
    const first = await fetch(`${base}/exports/daily-usage.csv?from=2026-10-01&to=2026-10-31`, { headers: VIEWER });
    expect(first.status).toBe(200);
    expect((await first.text()).trimEnd().split('\r\n')).toHaveLength(1 + 60 * 31);
    // The budget is spent: a query and another export of the same caller wait.
    const query = await graphql(t.url, '{ uploads(first: 10) { totalCount } }', {}, VIEWER);
    expect(query.status).toBe(429);
    expect(query.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REQUESTS');
    const second = await fetch(`${base}/exports/daily-usage.parquet?from=2026-10-01&to=2026-10-31`, {
      headers: VIEWER,
    });
    expect(second.status).toBe(429);
    const body = (await second.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(body.errors[0]!.extensions.code).toBe('TOO_MANY_REQUESTS');
    expect(body.errors[0]!.extensions.retryAfterSeconds).toEqual(expect.any(Number));
    expect(body.errors[0]!.message).toMatch(/QUERY_COST_PER_SECOND/);
    // Another caller has a budget of its own.
    const admin = await fetch(`${base}/exports/invoices.csv?month=2026-10`, { headers: ADMIN });
    expect(admin.status).toBe(200);
  });

  it.each([
    ['a list', 'meter[]=MP000001&meter[]=MP000002'],
    ['an object', 'meter[__proto__]=x'],
    ['twice', 'meter=MP000001&meter=MP000002'],
  ])('refuses a meter parameter given as %s instead of exporting every meter', async (_shape, meter) => {
    const response = await fetch(`${base}/exports/daily-usage.csv?from=2026-10-01&to=2026-10-02&${meter}`, {
      headers: ADMIN,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]!.message).toMatch(/meter/);
  });

  it.each(['/exports/invoices.csv?month=2026-10', '/exports/daily-usage.parquet', '/invoices/INV-1.html'])(
    'answers OPTIONS %s with a JSON 405 naming the methods served, not the router’s text',
    async (path) => {
      const response = await fetch(`${base}${path}`, { method: 'OPTIONS' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
    },
  );

  it.each([
    [
      'an unsupported APQ version',
      { query: '{ meters }', extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } },
    ],
    [
      'a hash that is not the document',
      { query: '{ meters }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
    ],
  ])('answers %s as the client’s error, not an internal one', async (_what, body) => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(answer.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});

describe('parallel exports of one caller beside /healthz, on a server run as npm start runs it', () => {
  let dataDir: string;
  let child: ReturnType<typeof spawnServer>['child'];
  let url: string;
  let base: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attack-round2-'));
    const spawned = spawnServer(dataDir, {
      AUTH: 'on',
      ADMIN_TOKEN: ADMIN.authorization.slice(7),
      VIEWER_TOKEN: VIEWER.authorization.slice(7),
      // The heap and young generation `npm start` gives it.
      NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=4',
    });
    child = spawned.child;
    url = await spawned.ready;
    base = url.replace(/\/graphql$/, '');
    // 400 meters x 31 days = 12,400 daily rows (13 pages an export): a month of a mid-sized supplier.
    const readings = [
      ...generateReadings({ month: '2026-10', meters: 400, intervalMinutes: 60, errorRate: 0, seed: 9 }),
    ].join('\n');
    const uploaded = await uploadFile(url, readings, 'r.csv', { headers: ADMIN });
    expect(uploaded.data?.uploadReadings.status).toBe('VALIDATED');
    // Billed once the draft of the last meter is there.
    for (;;) {
      const drafts = await graphql<{ draftInvoices: unknown[] }>(
        url,
        '{ dailyTotals(date: "2026-10-31") { meters } }',
        {},
        ADMIN,
      );
      if ((drafts.data as any)?.dailyTotals?.meters === 400) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 180_000);
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });
  it('keeps /healthz within 2 s while one viewer runs 20 year-long exports at once', async () => {
    // Each page used to be read by the date index and the whole range sorted again (quadratic in the
    // range), and no export was charged to any budget: /healthz took 4-5 s.
    let slowest = 0;
    let running = true;
    const watch = (async () => {
      while (running) {
        const started = Date.now();
        const health = await fetch(`${base}/healthz`);
        expect(health.status).toBe(200);
        slowest = Math.max(slowest, Date.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const format = i % 2 === 0 ? 'csv' : 'parquet';
        const response = await fetch(`${base}/exports/daily-usage.${format}?from=2026-01-01&to=2026-12-31`, {
          headers: VIEWER,
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    running = false;
    await watch;
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(statuses).toContain(200);
    expect(slowest).toBeLessThan(2_000);
  }, 120_000);
});
