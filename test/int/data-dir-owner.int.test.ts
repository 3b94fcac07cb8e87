/**
 * One owner of a data directory, with processes as `npm start` runs them: a second start on a DATA_DIR
 * in use is refused at once (naming the directory and the holder's pid) and changes nothing, so the
 * first server's upload running meanwhile is billed whole; a kill -9 of the owner frees the directory
 * for the next start; `npm run replay` owns it too, and the price CLI appends beside a server.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DataDirInUseError } from '../../src/infrastructure/data-dir';
import { takeDataDirLock } from '../../src/infrastructure/sqlite/data-dir-lock';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { readingsHeaderOf } from '../../src/domain/readings/readings-batch';
import { emptyCounts, generateReadings } from '../../src/tools/readings-generator';
import { spawnServer } from '../support/spawned-server';
import { graphql, uploadFile } from '../support/test-server';

jest.setTimeout(240_000);
const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'owner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// 200 meters x 23 days of 15-minute readings: 441,600 rows (the probe's file had 447,000).
const counts = emptyCounts();
const csv = [...generateReadings({ month: '2026-10', days: 23, meters: 200, errorRate: 0, seed: 5 }, counts)].join(
  '\n',
);

type Child = ReturnType<typeof spawn>;

/** A second `npm start` on the directory: its exit code and what it wrote, once it has ended (or started). */
async function secondStart(dataDir: string): Promise<{ code: number | null; stderr: string; started: boolean }> {
  const { child, ready } = spawnServer(dataDir);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const started = await ready.then(
    () => true,
    () => false,
  );
  if (started) child.kill('SIGKILL');
  const [code] = await exited;
  return { code, stderr, started };
}

async function killed(child: Child): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function uploadStatus(url: string, id: string): Promise<{ status: string; acceptedRows: number } | null> {
  const answer: any = await graphql(url, 'query($id: ID!) { upload(id: $id) { status acceptedRows } }', { id });
  return answer.data?.upload ?? null;
}

/** The readings the log holds of the upload, read from the log's file as another process would. */
async function readingsInLog(dataDir: string, uploadId: string): Promise<number> {
  const db = openSqliteDatabase(join(dataDir, 'energy-billing.sqlite'));
  try {
    let readings = 0;
    for await (const event of new SqliteEventStore(db).readStream(`upload-${uploadId}`)) {
      if (event.type === 'ReadingsAccepted') readings += readingsHeaderOf(event.data).count;
    }
    return readings;
  } finally {
    db.close();
  }
}

/** Billed intervals over every meter's invoice of the month, at the upload's log position. */
async function billedIntervals(url: string, atLeast: string): Promise<{ meters: number; intervals: number }> {
  const query = `query($after: String, $p: String) { invoices(month: "2026-10", first: 100, after: $after, atLeast: $p) {
    edges { node { intervals } } pageInfo { hasNextPage endCursor } } }`;
  let after: string | null = null;
  let meters = 0;
  let intervals = 0;
  for (;;) {
    const page: any = await graphql(url, query, { after, p: atLeast });
    expect(page.errors).toBeUndefined();
    for (const edge of page.data.invoices.edges) {
      meters += 1;
      intervals += edge.node.intervals;
    }
    if (!page.data.invoices.pageInfo.hasNextPage) return { meters, intervals };
    after = page.data.invoices.pageInfo.endCursor;
  }
}

describe('one owner of a data directory', () => {
  it.each([1, 2, 3])(
    'run %i: a second start during a 200-meter upload is refused, touching nothing; the upload is billed whole; after a kill -9 a new start takes the directory',
    async (runNumber) => {
      const dataDir = join(work, `run-${runNumber}`);
      const first = spawnServer(dataDir);
      const url = await first.ready;
      try {
        const id = randomUUID();
        let answered = false;
        const uploading = uploadFile(url, csv, 'october.csv', { uploadId: id }).then((answer) => {
          answered = true;
          return answer;
        });
        // The second start comes while the first validates: some of its readings are in the log.
        for (;;) {
          const status = await uploadStatus(url, id);
          if (answered || (status !== null && status.status !== 'RECEIVED')) {
            throw new Error(`the upload finished (${status?.status}) before the second start`);
          }
          if (status !== null && status.acceptedRows > 0) break;
        }
        // Held there (SIGSTOP) so the second start surely comes mid-upload, whatever the machine's load:
        // the upload's landed file, its claim and its unfinished stream are all there to be "repaired".
        first.child.kill('SIGSTOP');
        let second;
        try {
          second = await secondStart(dataDir);
        } finally {
          first.child.kill('SIGCONT');
        }
        expect(second.started).toBe(false);
        expect(second.code).toBe(1);
        expect(answered).toBe(false);
        const lines = second.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `DATA_DIR ${dataDir} is in use by another energy-billing server (pid ${first.child.pid} `,
        );

        const receipt = (await uploading).data!.uploadReadings;
        expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: counts.valid, rejectedRows: 0 });
        expect(await readingsInLog(dataDir, id)).toBe(counts.valid);
        expect(await billedIntervals(url, receipt.position)).toEqual({ meters: 200, intervals: counts.valid });
      } finally {
        await killed(first.child);
      }
      // The OS dropped the dead holder's lock: no stale lock to clear by hand.
      const next = spawnServer(dataDir);
      try {
        await expect(next.ready).resolves.toMatch(/^http:/);
      } finally {
        await killed(next.child);
      }
    },
  );

  it('npm run replay owns the directory too: refused beside a server, a server refused beside it, and alone it runs', async () => {
    const dataDir = join(work, 'tools');
    const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const replay = () =>
      run(process.execPath, ['--require', 'tsx/cjs', 'scripts/replay.ts'], { cwd: root, env }).then(
        (done) => ({ code: 0, stdout: done.stdout, stderr: done.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const first = spawnServer(dataDir);
    await first.ready;
    try {
      const refused = await replay();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `replay failed: DATA_DIR ${dataDir} is in use by another energy-billing server (pid ${first.child.pid} `,
      );
    } finally {
      first.child.kill('SIGTERM');
      await once(first.child, 'exit');
    }
    // A replay holding the directory (this process, as the replay script takes it): a start is refused.
    const held = takeDataDirLock(dataDir, 'replay');
    try {
      const second = await secondStart(dataDir);
      expect(second).toMatchObject({ started: false, code: 1 });
      expect(second.stderr).toContain(`is in use by another energy-billing replay (pid ${process.pid} `);
    } finally {
      held.release();
    }
    const alone = await replay();
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.stdout)).toEqual(expect.any(Object));
  });

  it('is an OS lock held per connection: a second take in the same process is refused naming the holder, and a release frees it', () => {
    const dataDir = mkdtempSync(join(work, 'in-process-'));
    const held = takeDataDirLock(dataDir, 'server', () => new Date('2026-12-01T00:00:00Z'));
    try {
      expect(() => takeDataDirLock(dataDir, 'replay')).toThrow(DataDirInUseError);
      expect(() => takeDataDirLock(dataDir, 'replay')).toThrow(
        `DATA_DIR ${dataDir} is in use by another energy-billing server (pid ${process.pid} on ${hostname()}, since 2026-12-01T00:00:00.000Z)`,
      );
    } finally {
      held.release();
    }
    const again = takeDataDirLock(dataDir, 'replay');
    again.release();
  });

  it('a damaged lock file is said, with what to do (it holds nothing of value), not taken for a holder', () => {
    const dataDir = mkdtempSync(join(work, 'damaged-lock-'));
    takeDataDirLock(dataDir, 'server').release();
    writeFileSync(join(dataDir, 'owner.lock'), Buffer.alloc(8192, 0xa5));
    expect(() => takeDataDirLock(dataDir, 'server')).toThrow(
      `DATA_DIR ${dataDir}: its lock file ${join(dataDir, 'owner.lock')} is damaged (file is not a database); it holds nothing of value: make sure no energy-billing process uses ${dataDir}, delete owner.lock and start again`,
    );
  });
});
