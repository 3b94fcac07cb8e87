import { join } from 'node:path';
import { localDateOf, scrapeDates } from '../../src/domain/billing/calendar';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import type { FakeEntsoe } from '../support/fake-entsoe';
import { startFakeEntsoe } from '../support/fake-entsoe';
import type { TestServer } from '../support/test-server';
import { startTestServer } from '../support/test-server';

let fake: FakeEntsoe;
let t: TestServer;
beforeAll(async () => {
  fake = await startFakeEntsoe((at) => 40 + ((at / 3_600_000) % 24));
  // A shortened schedule: every 2 seconds instead of daily at 14:30.
  t = await startTestServer({
    PRICE_SCRAPE: 'on',
    PRICE_SCRAPE_CRON: '*/2 * * * * *',
    PRICE_SOURCE_URL: fake.url,
    ENTSOE_TOKEN: 'test-token',
    PRICE_RECHECK_DAYS: '1',
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

function priceEvents(): Array<{ stream_name: string; revision: number }> {
  const db = openSqliteDatabase(join(t.config.dataDir, 'energy-billing.sqlite'));
  try {
    return db
      .prepare("SELECT stream_name, revision FROM events WHERE type = 'MarketPricesPublished' ORDER BY position")
      .all() as Array<{ stream_name: string; revision: number }>;
  } finally {
    db.close();
  }
}

/** Waits for the scheduler to have asked the source `count` more times (bounded, no fixed sleeps). */
async function runsObserved(count: number, timeoutMs = 20_000): Promise<void> {
  const target = fake.requests + count;
  const deadline = Date.now() + timeoutMs;
  while (fake.requests < target) {
    if (Date.now() > deadline) throw new Error(`the scheduled job did not run within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('the scheduled job appends the next day and the rechecked day, then nothing on the next run', async () => {
  const clock = new ZonedClock('Europe/Sofia');
  const dates = scrapeDates(localDateOf(clock, Date.now()), 1); // tomorrow, today
  await runsObserved(2); // the first run fetched both days
  await runsObserved(2); // a second run fetched them again
  await t.server.projections.waitForPosition(null, 5_000);
  const events = priceEvents();
  const streams = events.map((e) => e.stream_name).sort();
  // Each day was appended once: the unchanged second run appended nothing.
  expect(new Set(streams).size).toBe(streams.length);
  expect(streams).toEqual(expect.arrayContaining(dates.map((d) => `prices-10YCA-BULGARIA-R-${d}`)));
}, 30_000);
