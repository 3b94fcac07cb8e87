/**
 * A price backfill killed part-way (kill -9 of its process), then run again: it resumes, every day of
 * the range is published exactly once, and the running server's invoices complete without a replay.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { generateReadings } from '../../src/tools/readings-generator';
import type { FakeEntsoe } from '../support/fake-entsoe';
import { pricesBackfillCli, startFakeEntsoe } from '../support/fake-entsoe';
import type { TestServer } from '../support/test-server';
import { graphql, startTestServer, uploadFile } from '../support/test-server';

const run = promisify(execFile);
jest.setTimeout(120_000);

let fake: FakeEntsoe;
let t: TestServer;
beforeAll(async () => {
  fake = await startFakeEntsoe((at) => 30 + ((at / 3_600_000) % 24));
  t = await startTestServer({ PRICE_SOURCE_URL: fake.url, ENTSOE_TOKEN: 'test-token' });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** Publications in the log per price-day stream, read from the log file as another process would. */
function publicationsPerDay(): Map<string, number> {
  const db = openSqliteDatabase(join(t.config.dataDir, 'energy-billing.sqlite'));
  try {
    const rows = db
      .prepare(
        `SELECT stream_name AS stream, count(*) AS n FROM events WHERE type = 'MarketPricesPublished' GROUP BY stream_name`,
      )
      .all() as Array<{ stream: string; n: number }>;
    return new Map(rows.map((row) => [row.stream, row.n]));
  } finally {
    db.close();
  }
}

it('kill -9 of the backfill part-way: run again, it resumes, every day is published once and the invoices complete', async () => {
  const upload = await uploadFile(t.url, [...generateReadings({ month: '2026-09', meters: 2, seed: 5 })].join('\n'));
  const query = `query($p: String) { invoices(month: "2026-09", atLeast: $p) { edges { node { status unpricedIntervals } } } }`;
  const before = await graphql(t.url, query, { p: upload.data!.uploadReadings.position });
  expect(before.data?.invoices.edges.map((e: any) => e.node.status)).toEqual(['MISSING_PRICES', 'MISSING_PRICES']);

  const { args: cli, env } = pricesBackfillCli(t.config.dataDir, fake);
  const range = ['--from', '2025-10-01', '--to', '2026-09-30']; // 365 days
  fake.delayEach(15); // slow enough that the kill lands part-way
  const child = spawn(process.execPath, [...cli, ...range], { env, stdio: 'ignore' });
  const exited = once(child, 'exit');
  while (publicationsPerDay().size < 10) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  const cut = publicationsPerDay().size;
  expect(cut).toBeGreaterThanOrEqual(10);
  expect(cut).toBeLessThan(365);

  fake.delayEach(0);
  const again = await run(process.execPath, [...cli, ...range], { env });
  const summary = JSON.parse(again.stdout) as {
    days: number;
    appended: number;
    unchanged: number;
    incomplete: string[];
  };
  // Resumed after the last day it recorded done: at most the day it was appending when killed is seen again.
  expect(summary.days).toBeLessThanOrEqual(365 - cut + 1);
  expect(summary.appended).toBe(365 - cut);
  expect(summary.appended + summary.unchanged).toBe(summary.days);
  expect(summary.incomplete).toEqual([]);

  const published = publicationsPerDay();
  expect(published.size).toBe(365);
  expect([...published.values()].every((n) => n === 1)).toBe(true);

  // The server's projections pick the other process's events up: no replay.
  expect(await t.server.projections.waitForPosition(null, 20_000)).toBe(true);
  const after = await graphql(t.url, query);
  expect(after.data?.invoices.edges.map((e: any) => [e.node.status, e.node.unpricedIntervals])).toEqual([
    ['COMPLETE', 0],
    ['COMPLETE', 0],
  ]);
});
