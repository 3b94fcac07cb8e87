/**
 * Validation in worker threads: a write the service cannot make stops the file at once (as in process),
 * a file that cannot be read fails with its reason, and a worker that stops fails its files with a clear
 * error while the next file gets a new worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import type { ValidationOptions } from '../../src/ingestion/validation-types';
import { SinkFailure } from '../../src/ingestion/sink-failure';
import { ValidationWorkers } from '../../src/ingestion/validation-workers';
import { generateReadings } from '../../src/tools/readings-generator';

const work = mkdtempSync(join(tmpdir(), 'validation-workers-'));
const file = join(work, 'readings.csv');
writeFileSync(file, [...generateReadings({ month: '2026-10', days: 2, meters: 20, errorRate: 0, seed: 1 })].join('\n'));
const options: ValidationOptions = {
  clock: new ZonedClock('Europe/Sofia'),
  rules: { resolutionMinutes: 15, maxKwhPerReading: 10_000 },
  maxRecordBytes: 65_536,
  layout: { quotes: 'none', lineEnding: 'LF' },
  batch: { readingsPerEvent: 100, rejectedRowsPerEvent: 10, rejectedBytesPerEvent: 10_000 },
};
const logged: string[] = [];
let workers: ValidationWorkers;
beforeEach(() => {
  workers = new ValidationWorkers(1, (message) => logged.push(message));
});
afterEach(() => workers.close());
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('validates a file and hands every batch over in order', async () => {
  const counts: number[] = [];
  const result = await workers.validate(file, options, {
    accepted: (readings) => Promise.resolve(void counts.push(readings.meter.length)),
    rejected: () => Promise.reject(new Error('no rejected rows expected')),
  });
  expect(result).toMatchObject({ kind: 'validated', totalRows: 20 * 2 * 96, acceptedRows: 20 * 2 * 96 });
  expect(counts).toEqual([...Array.from({ length: 38 }, () => 100), 40]);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(20 * 2 * 96);
});

it('stops at the first batch the service cannot write and reports it as the sink failure', async () => {
  let writes = 0;
  const refused = new Error('the log refused the append');
  const outcome = workers.validate(file, options, {
    accepted: () => {
      writes += 1;
      return writes === 3 ? Promise.reject(refused) : Promise.resolve();
    },
    rejected: () => Promise.resolve(),
  });
  await expect(outcome).rejects.toBeInstanceOf(SinkFailure);
  await expect(outcome).rejects.toMatchObject({ cause: refused });
  // Batches already in flight are not written after the refusal.
  expect(writes).toBe(3);
});

it('fails a file that cannot be read with the reason', async () => {
  await expect(
    workers.validate(join(work, 'missing.csv'), options, {
      accepted: () => Promise.resolve(),
      rejected: () => Promise.resolve(),
    }),
  ).rejects.toThrow(/could not be validated: .*ENOENT/);
});

it('fails the files of a worker that stops, and gives the next file a new worker', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let first = true;
  const outcome = workers.validate(file, options, {
    // The first write waits, so the file is still in the worker when it stops.
    accepted: () => (first ? ((first = false), held) : Promise.resolve()),
    rejected: () => Promise.resolve(),
  });
  const stopping = workers.close();
  release();
  await stopping;
  await expect(outcome).rejects.toThrow(/the validation worker stopped/);

  workers = new ValidationWorkers(1, (message) => logged.push(message));
  await expect(
    workers.validate(file, options, { accepted: () => Promise.resolve(), rejected: () => Promise.resolve() }),
  ).resolves.toMatchObject({ kind: 'validated' });
});

it('gives a file its own worker while another holds the kept one, and stops that extra worker once idle', async () => {
  await workers.close();
  logged.length = 0;
  workers = new ValidationWorkers(1, (message) => logged.push(message), 2);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let first = true;
  // The first file's first write waits: its worker is busy with it until released.
  const holding = workers.validate(file, options, {
    accepted: () => (first ? ((first = false), held) : Promise.resolve()),
    rejected: () => Promise.resolve(),
  });
  const beside = await workers.validate(file, options, {
    accepted: () => Promise.resolve(),
    rejected: () => Promise.resolve(),
  });
  expect(beside).toMatchObject({ kind: 'validated', acceptedRows: 20 * 2 * 96 });
  expect(first).toBe(false); // the held file was still waiting on its first write
  release();
  await expect(holding).resolves.toMatchObject({ kind: 'validated', acceptedRows: 20 * 2 * 96 });
  expect(workers.running).toBe(1);
  expect(logged.filter((message) => message === 'validation worker stopped')).toHaveLength(0);
});
