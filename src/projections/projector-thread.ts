import { Worker } from 'node:worker_threads';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { EventStoreUnavailableError, type AppendSignal, type EventStore } from '../ports/event-store';
import { ReadStoreUnavailableError } from '../ports/read-store-errors';
import type { ProjectorLease } from '../ports/projection-state';
import type { LeaseFence } from './leased-projector';
import type { ErrorReport, FromProjector, ProjectorWorkerData, ToProjector } from './projector-protocol';
import { UnknownProjectionError, type ProjectionEngine, type ProjectionStatus, type RebuildReport } from './runner';
import { PositionWaiters } from './position-waiters';

/** The projector thread's heap: a page of meter-days and a few staged batches at a time need far less. */
const PROJECTOR_HEAP_MB = 256;
const PROJECTOR_YOUNG_MB = 4;
/** How long a stop waits for the thread to finish its batch and close its connections before ending it. */
const STOP_TIMEOUT_MS = 30_000;
/** Waits before starting a thread that died again: doubling from the first, up to the last. */
const RESTART_BACKOFF_MS = [1_000, 30_000] as const;

type LeaseMessage = { op: 'acquire'; holder: string; ttlMs: number; now: number } | { op: 'release'; holder: string };

interface Running {
  worker: Worker;
  /** Set once the thread answered `start`. */
  started: boolean;
  stopping: boolean;
  exited: Promise<void>;
}

export interface ProjectorThreadOptions {
  /** The thread's module (the composition root's `app/projector-worker`) and the node arguments it needs. */
  entry: { path: string; execArgv: string[] };
  config: Config;
  /** The main thread's connection to the log: the head position and the positions' order. */
  eventStore: Pick<EventStore, 'headPosition' | 'comparePositions'>;
  /** This thread's appends, forwarded so the projector's subscriptions wake at once (embedded log). */
  appendSignal: AppendSignal | null;
  /** The lease tenure this process holds; the thread fences its writes with each grant as it changes. */
  fence: LeaseFence;
  names: readonly string[];
  streamPrefixes: readonly string[];
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

/**
 * Runs the projections in a worker thread with its own backend connections (`app/projector-worker.ts`):
 * the main thread keeps answering requests while a month is billed or the log replayed, and billing
 * uses the second core. It tells waiters when every projection has reached a position, as the runner
 * does in process. A thread that dies is reported as failed projections (`/readyz`) and started again.
 */
export class ProjectorThread implements ProjectionEngine {
  private running: Running | null = null;
  private progress: ProjectionStatus[] = [];
  private readonly waiters = new PositionWaiters((position) => this.reached(position));
  private readonly rebuilds = new PendingCalls<RebuildReport>();
  private readonly leaseCalls = new PendingCalls<number | null>();
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private wanted = false;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly options: ProjectorThreadOptions) {}

  get names(): string[] {
    return [...this.options.names];
  }

  async start(): Promise<void> {
    this.wanted = true;
    if (this.unsubscribe.length === 0) {
      this.unsubscribe = [
        this.options.fence.watch((grant) => this.post({ kind: 'grant', grant })),
        ...(this.options.appendSignal === null
          ? []
          : [this.options.appendSignal.onAppended(() => this.post({ kind: 'appended' }))]),
      ];
    }
    await this.spawn();
  }

  private spawn(): Promise<void> {
    const data: ProjectorWorkerData = { config: this.options.config, grant: this.options.fence.current() };
    const { entry } = this.options;
    const worker = new Worker(entry.path, {
      workerData: data,
      execArgv: entry.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: PROJECTOR_HEAP_MB, maxYoungGenerationSizeMb: PROJECTOR_YOUNG_MB },
    });
    let started!: { resolve(): void; reject(error: Error): void };
    const startedPromise = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    let lastError: Error | null = null;
    const running: Running = {
      worker,
      started: false,
      stopping: false,
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    this.running = running;
    worker.on('message', (message: FromProjector) => {
      switch (message.kind) {
        case 'started':
          running.started = true;
          this.restarts = 0;
          started.resolve();
          return;
        case 'startFailed':
          started.reject(errorOf(message.error));
          return;
        case 'progress':
          if (this.running === running) {
            this.progress = message.status;
            this.waiters.settle();
          }
          return;
        case 'rebuilt':
          this.rebuilds.resolve(message.id, message.report);
          return;
        case 'rebuildFailed':
          this.rebuilds.reject(message.id, errorOf(message.error));
          return;
        case 'leaseAnswer':
          this.leaseCalls.resolve(message.id, message.token);
          return;
        case 'leaseFailed':
          this.leaseCalls.reject(message.id, errorOf(message.error));
          return;
        case 'log':
          this.options.log[message.level](message.message, message.fields);
          return;
        case 'stopped':
          // Its connections are closed: nothing it still holds (a driver's timers) may keep it alive.
          void worker.terminate();
          return;
        default: {
          const unknown: never = message;
          this.options.log.error('unknown message from the projector thread', { message: JSON.stringify(unknown) });
        }
      }
    });
    worker.on('error', (error) => {
      lastError = error;
    });
    worker.once('exit', (code) => {
      const reason = `the projector thread stopped (exit code ${code}${lastError === null ? '' : `: ${lastError.message}`})`;
      started.reject(new Error(reason));
      this.rebuilds.rejectAll(new Error(reason));
      this.leaseCalls.rejectAll(new Error(reason));
      if (this.running !== running) return;
      this.running = null;
      if (running.stopping || !this.wanted) return;
      // Died on its own: the projections are not running, which `/readyz` reports until it is back.
      this.progress = this.options.names.map((name) => ({
        name,
        position: this.progress.find((p) => p.name === name)?.position ?? null,
        failed: reason,
      }));
      this.scheduleRestart(reason);
    });
    worker.postMessage({ kind: 'start' } satisfies ToProjector);
    return startedPromise.catch(async (error: unknown) => {
      // A thread that could not start is ended, and the caller told why.
      running.stopping = true;
      await worker.terminate();
      if (this.running === running) this.running = null;
      throw error;
    });
  }

  private scheduleRestart(reason: string): void {
    const waitMs = Math.min(RESTART_BACKOFF_MS[1], RESTART_BACKOFF_MS[0] * 2 ** this.restarts);
    this.restarts += 1;
    this.options.log.error('projector thread died; starting it again', { reason, retryInMs: waitMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.wanted) return;
      this.spawn().catch((error: unknown) => {
        if (this.wanted) this.scheduleRestart(error instanceof Error ? error.message : String(error));
      });
    }, waitMs);
  }

  private post(message: ToProjector): void {
    const running = this.running;
    if (running !== null && !running.stopping) running.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    const running = this.running;
    if (running !== null) {
      running.worker.postMessage({ kind: 'stop' } satisfies ToProjector);
      running.stopping = true;
      const timer = setTimeout(() => {
        this.options.log.warn('the projector thread did not stop in time: ending it', { timeoutMs: STOP_TIMEOUT_MS });
        void running.worker.terminate();
      }, STOP_TIMEOUT_MS);
      await running.exited;
      clearTimeout(timer);
      this.running = null;
    }
    this.progress = [];
    this.waiters.giveUp();
  }

  status(): ProjectionStatus[] {
    return this.progress.map((p) => ({ ...p }));
  }

  rebuild(names: readonly string[] | null): Promise<RebuildReport> {
    const running = this.running;
    if (running === null || !running.started || running.stopping) {
      return Promise.reject(new Error('the projector thread is not running; try again shortly'));
    }
    return this.rebuilds.call((id) =>
      running.worker.postMessage({
        kind: 'rebuild',
        id,
        names: names === null ? null : [...names],
      } satisfies ToProjector),
    );
  }

  /**
   * The projector lease, renewed through the thread while it runs: the lease lives beside the read
   * models, whose write lock the thread holds for a commit at a time (up to about a second for a big
   * upload), so a renewal made here would hold this thread's event loop meanwhile; through the thread it
   * waits its turn without blocking anything. Without a running thread, `direct` answers.
   */
  leaseThrough(direct: ProjectorLease): ProjectorLease {
    const viaThread = (message: LeaseMessage): Promise<number | null> | null => {
      const running = this.running;
      if (running === null || !running.started || running.stopping) return null;
      return this.leaseCalls.call((id) =>
        running.worker.postMessage({ ...message, kind: 'lease', id } satisfies ToProjector),
      );
    };
    return {
      tryAcquire: (holder, ttlMs, now) =>
        viaThread({ op: 'acquire', holder, ttlMs, now }) ?? direct.tryAcquire(holder, ttlMs, now),
      release: async (holder) => {
        await (viaThread({ op: 'release', holder }) ?? direct.release(holder));
      },
    };
  }

  async waitForPosition(position: string | null, timeoutMs: number): Promise<boolean> {
    const target =
      position ?? (await this.options.eventStore.headPosition({ streamPrefixes: this.options.streamPrefixes }));
    return target === null ? true : this.waiters.wait(target, timeoutMs);
  }

  private reached(position: string): boolean {
    const { names, eventStore } = this.options;
    return names.every((name) => {
      const live = this.progress.find((p) => p.name === name);
      return live?.position != null && eventStore.comparePositions(live.position, position) >= 0;
    });
  }
}

/** Requests sent to the thread, each waiting for the answer that carries its id. */
class PendingCalls<Answer> {
  private readonly calls = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  private nextId = 0;

  /** Sends a request under a fresh id (`send`) and answers what the thread answers to it. */
  call(send: (id: number) => void): Promise<Answer> {
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      send(id);
    });
  }

  resolve(id: number, answer: Answer): void {
    this.calls.get(id)?.resolve(answer);
    this.calls.delete(id);
  }

  reject(id: number, error: Error): void {
    this.calls.get(id)?.reject(error);
    this.calls.delete(id);
  }

  /** Fails every call still waiting (the thread ended). */
  rejectAll(error: Error): void {
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
  }
}

/** The error a report from the thread stands for: the classes the API maps to codes keep their class. */
function errorOf(report: ErrorReport): Error {
  switch (report.name) {
    case 'UnknownProjectionError':
      return new UnknownProjectionError(report.unknown ?? [], report.known ?? []);
    case 'EventStoreUnavailableError':
      return new EventStoreUnavailableError(report.message);
    case 'ReadStoreUnavailableError':
      return new ReadStoreUnavailableError(report.message);
    default: {
      const error = new Error(report.message);
      error.name = report.name;
      return error;
    }
  }
}
