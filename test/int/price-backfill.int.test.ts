import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

it('npm run prices:backfill over the October DST change completes the invoices of a running server', async () => {
  const upload = await uploadFile(t.url, [...generateReadings({ month: '2026-10', meters: 2, seed: 9 })].join('\n'));
  const query = `query($p: String) { invoices(month: "2026-10", atLeast: $p) { edges { node { status unpricedIntervals } } } }`;
  const before = await graphql(t.url, query, { p: upload.data!.uploadReadings.position });
  expect(before.data?.invoices.edges.map((e: any) => e.node.status)).toEqual(['MISSING_PRICES', 'MISSING_PRICES']);

  // The CLI as a user runs it, in its own process, writing to the server's database.
  const { args: cli, env } = pricesBackfillCli(t.config.dataDir, fake);
  const first = await run(process.execPath, [...cli, '--from', '2026-10-01', '--to', '2026-10-31'], { env });
  expect(JSON.parse(first.stdout)).toEqual({ days: 31, appended: 31, unchanged: 0, incomplete: [] });
  const again = await run(process.execPath, [...cli, '--from', '2026-10-01', '--to', '2026-10-31'], { env });
  expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, unchanged: 31 });

  // The server's projections pick the other process's events up: no replay.
  expect(await t.server.projections.waitForPosition(null, 10_000)).toBe(true);
  const after = await graphql(t.url, query);
  expect(after.data?.invoices.edges.map((e: any) => [e.node.status, e.node.unpricedIntervals])).toEqual([
    ['COMPLETE', 0],
    ['COMPLETE', 0],
  ]);
  const dst = await graphql(t.url, '{ prices(from: "2026-10-25", to: "2026-10-25") { start } }');
  expect(dst.data?.prices).toHaveLength(25);
}, 60_000);
