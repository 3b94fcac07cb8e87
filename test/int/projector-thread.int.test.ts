import type { Worker } from 'node:worker_threads';
import { ProjectorThread } from '../../src/projections/projector-thread';
import { generateReadings } from '../../src/tools/readings-generator';
import type { TestServer } from '../support/test-server';
import { graphql, startTestServer, uploadFile } from '../support/test-server';

jest.setTimeout(60_000);

const MONTH = '2026-10';
const INVOICES = `query($month: String!, $atLeast: String) {
  invoices(month: $month, first: 100, atLeast: $atLeast) { edges { node { meter totalKwh intervals } } } }`;

const readingsOf = (seed: number, meters: number) =>
  [...generateReadings({ month: MONTH, days: 3, meters, errorRate: 0, seed })].join('\n');

async function upload(
  t: TestServer,
  csv: string,
): Promise<{ uploadId: string; position: string; acceptedRows: number }> {
  const response = await uploadFile(t.url, csv);
  expect(response.errors).toBeUndefined();
  return response.data!.uploadReadings;
}

async function invoices(
  t: TestServer,
  atLeast: string | null,
): Promise<Map<string, { totalKwh: number; intervals: number }>> {
  const answer = await graphql(t.url, INVOICES, { month: MONTH, atLeast });
  expect(answer.errors).toBeUndefined();
  return new Map(answer.data!.invoices.edges.map((e: any) => [e.node.meter, e.node]));
}

describe.each([
  ['on', ProjectorThread.name],
  ['off', 'ProjectionRunner'],
])('PROJECTOR_THREAD=%s', (setting, engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ PROJECTOR_THREAD: setting });
  });
  afterAll(async () => {
    await t.close();
  });

  it(`runs the projections in the ${engine}: an upload is billed and a replay gives the same invoices`, async () => {
    expect(t.server.projections.constructor.name).toBe(engine);
    const receipt = await upload(t, readingsOf(5, 4));
    const billed = await invoices(t, receipt.position);
    expect(billed.size).toBe(4);
    const readings = [...billed.values()].reduce((sum, invoice) => sum + invoice.intervals, 0);
    expect(readings).toBe(receipt.acceptedRows);
    expect(t.server.projections.status().map((p) => [p.name, p.position, p.failed])).toEqual(
      ['upload-status', 'billing', 'accounts'].map((name) => [name, expect.any(String), null]),
    );

    const replay = await graphql(t.url, 'mutation { replayProjections { projections events } }');
    expect(replay.errors).toBeUndefined();
    expect(replay.data!.replayProjections.projections).toEqual(['upload-status', 'billing', 'accounts']);
    expect(await invoices(t, receipt.position)).toEqual(billed);

    const unknown = await graphql(t.url, 'mutation { replayProjections(names: ["nope"]) { events } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.message).toContain('unknown projection nope');
  });
});

describe('a projector thread that dies', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is reported as failing projections, started again, and catches up on what was appended meanwhile', async () => {
    const first = await upload(t, readingsOf(7, 3));
    expect((await invoices(t, first.position)).size).toBe(3);

    // While the thread runs, the lease is taken and renewed on its connection, not on this thread's.
    const thread = t.server.projections as ProjectorThread;
    let directCalls = 0;
    const direct = {
      tryAcquire: () => Promise.resolve(++directCalls),
      release: () => Promise.resolve(void ++directCalls),
    };
    const lease = thread.leaseThrough(direct);
    // Another holder is refused: the server's process holds the lease.
    expect(await lease.tryAcquire('elsewhere:1:x', 60_000, Date.now())).toBeNull();
    expect(directCalls).toBe(0);

    // The thread's own worker, ended from outside as a crash would end it.
    const worker = (thread as unknown as { running: { worker: Worker } }).running.worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await worker.terminate();
    await exited;
    // No thread, no connection of its own: the lease is asked directly.
    expect(await lease.tryAcquire('elsewhere:1:x', 60_000, Date.now())).toBe(1);
    expect(thread.status().map((p) => p.failed)).toEqual([
      expect.stringContaining('the projector thread stopped'),
      expect.stringContaining('the projector thread stopped'),
      expect.stringContaining('the projector thread stopped'),
    ]);
    const readyz = await fetch(t.url.replace(/\/graphql$/, '/readyz'));
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { problems: string[] }).problems.join('\n')).toContain(
      'the projector thread stopped',
    );

    // Appended while no thread runs: billed once the new thread has caught up.
    const second = await upload(t, readingsOf(8, 6));
    const billed = await invoices(t, second.position);
    expect(billed.size).toBe(6);
    expect(thread.status().every((p) => p.failed === null)).toBe(true);
  });
});
