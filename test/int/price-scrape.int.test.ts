import { generateReadings } from '../../src/tools/readings-generator';
import type { FakeEntsoe } from '../support/fake-entsoe';
import { startFakeEntsoe } from '../support/fake-entsoe';
import type { TestServer } from '../support/test-server';
import { graphql, startTestServer, uploadFile } from '../support/test-server';

const SCRAPE = `mutation($d: String!) { scrapePrices(date: $d) { date source points complete appended position } }`;
const HOUR = 3_600_000;
// A missing hour on 2026-11-12 (09:00-10:00 UTC), as sources sometimes publish.
const gapStart = Date.parse('2026-11-12T09:00:00Z');
const price = (at: number): number | null =>
  at === gapStart ? null : 50 + ((at / HOUR) % 24) - (at % (7 * HOUR) === 0 ? 80 : 0);

let fake: FakeEntsoe;
let t: TestServer;
beforeAll(async () => {
  fake = await startFakeEntsoe(price);
  t = await startTestServer({
    PRICE_SOURCE: 'entsoe',
    PRICE_SOURCE_URL: fake.url,
    ENTSOE_TOKEN: 'test-token',
    PRICE_SCRAPE: 'off',
    PRICE_FETCH_TIMEOUT_MS: '300',
    PRICE_FETCH_ATTEMPTS: '2',
  });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

async function scrape(date: string) {
  const response = await graphql(t.url, SCRAPE, { d: date });
  return response;
}

describe('scrapePrices from an ENTSO-E-shaped source', () => {
  it('turns a month of invoices from MISSING_PRICES to COMPLETE, 25 points on the DST day', async () => {
    const csv = [...generateReadings({ month: '2026-10', meters: 2, seed: 4 })].join('\n');
    const upload = await uploadFile(t.url, csv);
    const invoicesQuery = `query($p: String) { invoices(month: "2026-10", atLeast: $p) { edges { node { meter status unpricedIntervals } } } }`;
    const before = await graphql(t.url, invoicesQuery, { p: upload.data!.uploadReadings.position });
    expect(before.data?.invoices.edges.map((e: any) => e.node.status)).toEqual(['MISSING_PRICES', 'MISSING_PRICES']);

    let position = '';
    for (let day = 1; day <= 31; day++) {
      const date = `2026-10-${String(day).padStart(2, '0')}`;
      const result = await scrape(date);
      expect(result.errors).toBeUndefined();
      const r = result.data?.scrapePrices;
      expect(r).toMatchObject({ date, source: 'entsoe', appended: true });
      if (date === '2026-10-25') expect(r).toMatchObject({ points: 25, complete: true });
      position = r.position ?? position;
    }
    const after = await graphql(t.url, invoicesQuery, { p: position });
    expect(after.data?.invoices.edges.map((e: any) => [e.node.status, e.node.unpricedIntervals])).toEqual([
      ['COMPLETE', 0],
      ['COMPLETE', 0],
    ]);
  });

  it('stores a day with a missing hour with its gap marked, never as zero', async () => {
    const csv = [...generateReadings({ month: '2026-11', days: 12, meters: 1, seed: 5 })]
      .filter((line, i) => i === 0 || line.includes('2026-11-12'))
      .join('\n');
    await uploadFile(t.url, csv, 'november-12.csv');
    const result = await scrape('2026-11-12');
    expect(result.data?.scrapePrices).toMatchObject({ points: 23, complete: false, appended: true });
    const day = await graphql(
      t.url,
      'query($p: String) { dailyUsage(meter: "MP000001", from: "2026-11-12", to: "2026-11-12", atLeast: $p) { intervals unpricedIntervals } }',
      { p: result.data?.scrapePrices.position },
    );
    expect(day.data?.dailyUsage[0]).toEqual({ intervals: 96, unpricedIntervals: 4 });
    const prices = await graphql(t.url, '{ prices(from: "2026-11-12", to: "2026-11-12") { start } }');
    expect(prices.data?.prices).toHaveLength(23);
  });

  it('appends nothing when a day is scraped again unchanged', async () => {
    const again = await scrape('2026-10-25');
    expect(again.data?.scrapePrices).toMatchObject({ appended: false, points: 25 });
  });

  it('retries a 503 and succeeds', async () => {
    fake.failNext(1);
    const before = fake.requests;
    const result = await scrape('2026-11-02');
    expect(result.data?.scrapePrices).toMatchObject({ appended: true, points: 24, complete: true });
    expect(fake.requests - before).toBe(2);
  });

  it('gives up on a server that does not answer in time, with a clear error', async () => {
    fake.delayNext(1_000);
    fake.failNext(0);
    const result = await scrape('2026-11-03');
    // the first attempt times out, the second succeeds: bounded retries cover a slow answer
    expect(result.data?.scrapePrices?.appended ?? false).toBe(true);
    fake.failNext(5);
    const failed = await scrape('2026-11-04');
    expect(failed.errors?.[0]?.extensions?.code).toBe('PRICE_SOURCE_FAILED');
    expect(failed.errors?.[0]?.message).toMatch(/HTTP 503 .* after 2 attempts/);
    expect(failed.errors?.[0]?.message).not.toContain('test-token');
  });

  it('explains a refused token', async () => {
    fake.failNext(0);
    const refused = await startTestServer({
      PRICE_SOURCE_URL: fake.url,
      ENTSOE_TOKEN: 'wrong',
      PRICE_SCRAPE: 'off',
      PRICE_FETCH_ATTEMPTS: '1',
    });
    try {
      const result = await graphql(refused.url, SCRAPE, { d: '2026-10-01' });
      expect(result.errors?.[0]?.extensions?.code).toBe('PRICE_SOURCE_FAILED');
      expect(result.errors?.[0]?.message).toMatch(/Unauthorized.*ENTSOE_TOKEN/);
    } finally {
      await refused.close();
    }
  });
});
