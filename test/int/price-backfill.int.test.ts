import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { generateReadings } from '../../src/tools/readings-generator';
import type { FakeEntsoe } from '../support/fake-entsoe';
import { pricesBackfillCli, startFakeEntsoe } from '../support/fake-entsoe';
import type { TestServer } from '../support/test-server';
import { graphql, startTestServer, uploadFile } from '../support/test-server';

const run = promisify(execFile);

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

/** The month's invoices as [status, unpriced intervals], read at a log position when one is given. */
async function invoiceStates(month: string, atLeast?: string): Promise<Array<[string, number]>> {
  const query = `query($m: String!, $p: String) { invoices(month: $m, atLeast: $p) { edges { node { status unpricedIntervals } } } }`;
  const answer = await graphql(t.url, query, { m: month, p: atLeast ?? null });
  return answer.data?.invoices.edges.map((e: any) => [e.node.status, e.node.unpricedIntervals]);
}

/** Uploads two meters' readings of a month that has no prices yet: both invoices wait for them. */
async function uploadBeforePrices(month: string, seed: number): Promise<void> {
  const upload = await uploadFile(t.url, [...generateReadings({ month, meters: 2, seed })].join('\n'));
  const before = await invoiceStates(month, upload.data!.uploadReadings.position);
  expect(before.map(([status]) => status)).toEqual(['MISSING_PRICES', 'MISSING_PRICES']);
}

it('npm run prices:backfill over the October DST change completes the invoices of a running server', async () => {
  await uploadBeforePrices('2026-10', 9);

  // The CLI as a user runs it, in its own process, writing to the server's database.
  const { args: cli, env } = pricesBackfillCli(t.config.dataDir, fake);
  const first = await run(process.execPath, [...cli, '--from', '2026-10-01', '--to', '2026-10-31'], { env });
  expect(JSON.parse(first.stdout)).toEqual({ days: 31, appended: 31, unchanged: 0, incomplete: [] });
  const again = await run(process.execPath, [...cli, '--from', '2026-10-01', '--to', '2026-10-31'], { env });
  expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, unchanged: 31 });

  // The server's projections pick the other process's events up: no replay.
  expect(await t.server.projections.waitForPosition(null, 10_000)).toBe(true);
  expect(await invoiceStates('2026-10')).toEqual([
    ['COMPLETE', 0],
    ['COMPLETE', 0],
  ]);
  const dst = await graphql(t.url, '{ prices(from: "2026-10-25", to: "2026-10-25") { start } }');
  expect(dst.data?.prices).toHaveLength(25);

  // A state file that cannot be read (an older version killed mid-write left it empty): it starts over,
  // and the days already published append nothing.
  writeFileSync(join(t.config.dataDir, 'backfill-2026-10-01-2026-10-31.json'), '');
  const torn = await run(process.execPath, [...cli, '--from', '2026-10-01', '--to', '2026-10-31'], { env });
  expect(torn.stderr).toContain('does not say which day was done last: starting from --from again');
  expect(JSON.parse(torn.stdout)).toMatchObject({ days: 31, appended: 0, unchanged: 31 });
}, 60_000);

/** Publications in the log per price-day stream of these dates, read from the log file as another process would. */
function publicationsPerDay(from: string, to: string): Map<string, number> {
  const db = openSqliteDatabase(join(t.config.dataDir, 'energy-billing.sqlite'));
  try {
    const rows = db
      .prepare(
        `SELECT stream_name AS stream, count(*) AS n FROM events WHERE type = 'MarketPricesPublished' GROUP BY stream_name`,
      )
      .all() as Array<{ stream: string; n: number }>;
    const inRange = rows.filter((row) => row.stream.slice(-10) >= from && row.stream.slice(-10) <= to);
    return new Map(inRange.map((row) => [row.stream, row.n]));
  } finally {
    db.close();
  }
}

it('kill -9 of the backfill part-way: run again, it resumes, every day is published once and the invoices complete', async () => {
  await uploadBeforePrices('2026-09', 5);

  const { args: cli, env } = pricesBackfillCli(t.config.dataDir, fake);
  const year = ['2025-10-01', '2026-09-30'] as const; // 365 days, none of October 2026 (above)
  const range = ['--from', year[0], '--to', year[1]];
  fake.delayEach(15); // slow enough that the kill lands part-way
  const child = spawn(process.execPath, [...cli, ...range], { env, stdio: 'ignore' });
  const exited = once(child, 'exit');
  while (publicationsPerDay(...year).size < 10) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  const cut = publicationsPerDay(...year).size;
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

  const published = publicationsPerDay(...year);
  expect(published.size).toBe(365);
  expect([...published.values()].every((n) => n === 1)).toBe(true);

  // The server's projections pick the other process's events up: no replay.
  expect(await t.server.projections.waitForPosition(null, 20_000)).toBe(true);
  expect(await invoiceStates('2026-09')).toEqual([
    ['COMPLETE', 0],
    ['COMPLETE', 0],
  ]);
}, 120_000);
