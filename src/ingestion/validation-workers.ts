import { workerEntry } from '../common/worker-entry';
import { Worker } from 'node:worker_threads';
import { SinkFailure } from './sink-failure';
import { validateReadingsFile } from './readings-file';
import type { FileValidationResult, ValidationOptions, ValidationSink } from './validation-types';
import type { FromWorker, ToWorker } from './validation-protocol';

/** Reads a landed file through the row rules, handing batches to the sink (in-process or in a worker). */
export type FileValidator = (
  path: string,
  options: ValidationOptions,
  sink: ValidationSink,
) => Promise<FileValidationResult>;

/** Validation on the calling thread. */
export const validateInProcess: FileValidator = validateReadingsFile;

interface RunningJob {
  sink: ValidationSink;
  /** The sink's writes, one after another in the order the worker sent the batches. */
  writes: Promise<void>;
  /** The first write that failed: later batches are refused without writing. */
  failure: { error: unknown } | null;
  resolve(result: FileValidationResult): void;
  reject(error: unknown): void;
}

interface WorkerSlot {
  worker: Worker;
  jobs: Map<number, RunningJob>;
  /** Stopped on purpose (an extra worker with nothing left to do): its exit is not an error. */
  retired?: boolean;
}

/** A worker's heap limit: one file's duplicate index and a few batches need far less. */
const WORKER_HEAP_MB = 256;
/** Its young generation: a file is read in short-lived buffers and strings, a small nursery collects them cheaply. */
const WORKER_YOUNG_MB = 4;

/**
 * Validation in worker threads, so parsing a file uses another core while this thread writes its
 * batches to the log and runs the projections. The worker runs the same code as in-process validation;
 * a write that fails stops the file (`SinkFailure`, as in process), and a worker that dies fails its
 * files with a clear error and is replaced on the next upload.
 *
 * A file never waits behind another one: it goes to an idle worker, and when every worker is busy one
 * more is started (up to `max`, the uploads processed at once), so one admin's big or slow file holds
 * only its own thread. `size` workers are kept started; the ones started beyond them stop once idle.
 */
export class ValidationWorkers {
  private readonly slots: Array<WorkerSlot | null>;
  private nextJob = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
    max: number = size,
  ) {
    if (size < 1) throw new Error('ValidationWorkers needs at least one worker');
    this.slots = Array.from({ length: Math.max(size, max) }, () => null);
    // Started now: loading a worker's code is not part of the first upload's time.
    for (let i = 0; i < size; i++) this.slots[i] = this.start(i);
  }

  /** Worker threads running now (kept and extra). */
  get running(): number {
    return this.slots.filter((slot) => slot !== null).length;
  }

  readonly validate: FileValidator = (path, options, sink) => {
    if (this.closed) return Promise.reject(new Error('the validation workers are stopped'));
    const slot = this.slotForNextFile();
    const job = this.nextJob++;
    return new Promise<FileValidationResult>((resolve, reject) => {
      slot.jobs.set(job, { sink, writes: Promise.resolve(), failure: null, resolve, reject });
      const request: ToWorker = {
        kind: 'validate',
        job,
        path,
        timeZone: options.clock.timeZone,
        rules: options.rules,
        maxRecordBytes: options.maxRecordBytes,
        layout: options.layout,
        batch: options.batch,
        format: options.format,
        defaultIntervalMinutes: options.defaultIntervalMinutes,
        maxListedRejectedRows: options.maxListedRejectedRows,
      };
      slot.worker.postMessage(request);
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.filter((slot): slot is WorkerSlot => slot !== null);
    this.slots.fill(null);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /**
   * An idle worker (the kept ones first, restarted if one stopped); else a new one in a free place; else,
   * with `max` files already in progress, the least busy.
   */
  private slotForNextFile(): WorkerSlot {
    let best: WorkerSlot | null = null;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = i < this.size ? (this.slots[i] ??= this.start(i)) : this.slots[i];
      if (slot === null || slot === undefined) continue;
      if (slot.jobs.size === 0) return slot;
      if (best === null || slot.jobs.size < best.jobs.size) best = slot;
    }
    const free = this.slots.indexOf(null);
    if (free !== -1) return (this.slots[free] = this.start(free));
    return best!;
  }

  /** Stops a worker started beyond the kept ones once it has no file left. */
  private retireIfExtra(slot: WorkerSlot): void {
    const index = this.slots.indexOf(slot);
    if (index < this.size || index === -1 || slot.jobs.size > 0) return;
    this.slots[index] = null;
    slot.retired = true;
    void slot.worker.terminate();
  }

  private start(index: number): WorkerSlot {
    const entry = workerEntry(__dirname, 'validation-worker');
    const worker = new Worker(entry.path, {
      execArgv: entry.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    });
    const slot: WorkerSlot = { worker, jobs: new Map() };
    worker.on('message', (message: FromWorker) => this.received(slot, message));
    const stopped = (reason: string): void => {
      if (this.slots[index] === slot) this.slots[index] = null;
      if (slot.jobs.size > 0 || (!this.closed && slot.retired !== true))
        this.log('validation worker stopped', { reason, files: slot.jobs.size });
      for (const job of slot.jobs.values()) {
        void job.writes.then(() => job.reject(new Error(`the validation worker stopped (${reason})`)));
      }
      slot.jobs.clear();
    };
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return slot;
  }

  private received(slot: WorkerSlot, message: FromWorker): void {
    const job = slot.jobs.get(message.job);
    if (job === undefined) return;
    switch (message.kind) {
      case 'accepted':
      case 'rejected': {
        job.writes = job.writes.then(async () => {
          if (job.failure === null) {
            try {
              if (message.kind === 'accepted') await job.sink.accepted(message.readings);
              else await job.sink.rejected(message.rows);
            } catch (error) {
              job.failure = { error };
            }
          }
          const ack: ToWorker = {
            kind: 'ack',
            job: message.job,
            seq: message.seq,
            error: job.failure === null ? null : messageOf(job.failure.error),
          };
          slot.worker.postMessage(ack);
        });
        return;
      }
      case 'done':
      case 'failed':
        slot.jobs.delete(message.job);
        this.retireIfExtra(slot);
        void job.writes.then(() => {
          if (job.failure !== null) job.reject(new SinkFailure(job.failure.error));
          else if (message.kind === 'done') job.resolve(message.result);
          else job.reject(new Error(`the file could not be validated: ${message.message}`));
        });
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown message from a validation worker: ${JSON.stringify(unknown)}`);
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
