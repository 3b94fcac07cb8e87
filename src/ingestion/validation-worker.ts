/**
 * Worker thread entry: validates landed files with the same code as in-process validation and sends
 * the batches to the upload service, which writes them to the log. At most BATCHES_IN_FLIGHT batches
 * are ahead of the service's acknowledgements; a refused write stops the file at once.
 */
import { parentPort } from 'node:worker_threads';
import type { RejectedRow } from '../domain/readings/events';
import type { ReadingsColumns } from '../domain/readings/readings-batch';
import { ZonedClock } from '../domain/time/zoned-time';
import { validateReadingsFile } from './readings-file';
import type { ValidationSink } from './validation-types';
import { SinkFailure } from './sink-failure';
import { BATCHES_IN_FLIGHT, type FromWorker, type ToWorker } from './validation-protocol';

const port = parentPort;
if (port === null) throw new Error('validation-worker runs as a worker thread');

/** Clocks by zone, kept across files so their offset caches stay warm. */
const clocks = new Map<string, ZonedClock>();

/** One file's batches sent and acknowledged. */
class Job implements ValidationSink {
  private sent = 0;
  private acknowledged = 0;
  private error: string | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly id: number) {}

  acked(error: string | null): void {
    this.acknowledged += 1;
    if (error !== null && this.error === null) this.error = error;
    this.wake?.();
  }

  async accepted(readings: ReadingsColumns): Promise<void> {
    const seq = this.sent++;
    const message: FromWorker = { kind: 'accepted', job: this.id, seq, readings };
    // The columns are the builder's own copies (take() slices): moved, not copied.
    const buffers = [readings.meter.buffer, readings.startMs.buffer, readings.kwhMicro.buffer] as ArrayBuffer[];
    if (readings.quality !== undefined) buffers.push(readings.quality.buffer as ArrayBuffer);
    port!.postMessage(message, buffers);
    await this.waitFor(this.sent - BATCHES_IN_FLIGHT);
  }

  async rejected(rows: RejectedRow[]): Promise<void> {
    const seq = this.sent++;
    port!.postMessage({ kind: 'rejected', job: this.id, seq, rows } satisfies FromWorker);
    await this.waitFor(this.sent - BATCHES_IN_FLIGHT);
  }

  /** Every batch sent so far is written (throws when one was not). */
  drain(): Promise<void> {
    return this.waitFor(this.sent);
  }

  private async waitFor(acknowledged: number): Promise<void> {
    while (this.error === null && this.acknowledged < acknowledged) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    if (this.error !== null) throw new Error(this.error);
  }
}

const jobs = new Map<number, Job>();

async function validate(request: Extract<ToWorker, { kind: 'validate' }>): Promise<void> {
  const job = new Job(request.job);
  jobs.set(request.job, job);
  try {
    let clock = clocks.get(request.timeZone);
    if (clock === undefined) {
      clock = new ZonedClock(request.timeZone);
      clocks.set(request.timeZone, clock);
    }
    const result = await validateReadingsFile(
      request.path,
      {
        clock,
        rules: request.rules,
        maxRecordBytes: request.maxRecordBytes,
        layout: request.layout,
        batch: request.batch,
        format: request.format,
        defaultIntervalMinutes: request.defaultIntervalMinutes,
        maxListedRejectedRows: request.maxListedRejectedRows,
      },
      job,
    );
    await job.drain().catch((error: unknown) => {
      throw new SinkFailure(error);
    });
    port!.postMessage({ kind: 'done', job: request.job, result } satisfies FromWorker);
  } catch (error) {
    port!.postMessage({
      kind: 'failed',
      job: request.job,
      message: error instanceof Error ? error.message : String(error),
      sinkFailed: error instanceof SinkFailure,
    } satisfies FromWorker);
  } finally {
    jobs.delete(request.job);
  }
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'validate') void validate(message);
  else jobs.get(message.job)?.acked(message.error);
});
