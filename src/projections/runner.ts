import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore, EventSubscription, RecordedEvent } from '../ports/event-store';
import type { Logger } from '../logger';
import type { ProjectionVersions } from '../ports/projection-state';
import type { Projection, ProjectionDefinition } from './projection';
import { PositionWaiters } from './position-waiters';

export interface RunnerOptions {
  /** The streams projections read; the subscription filters on them (on the server, for EventStoreDB). */
  streamPrefixes?: readonly string[];
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told each projection's status whenever one commits a batch, fails, recovers, starts or stops. */
  onProgress?: (status: ProjectionStatus[]) => void;
}

export interface ProjectionStatus {
  name: string;
  /** Last position committed, or null before the first. */
  position: string | null;
  failed: string | null;
}

/** What the service asks of whatever runs its projections: this thread's runner, or the projector thread. */
export interface ProjectionEngine extends ConsistencyWaiter {
  readonly names: string[];
  /** Rebuilds projections whose version changed, then runs all of them live. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Checkpoint positions and failures of each running projection, for health and metrics. */
  status(): ProjectionStatus[];
  /** Rebuilds these projections (all when null) from position zero, one rebuild at a time. */
  rebuild(names: readonly string[] | null): Promise<RebuildReport>;
}

/** Waits before handling a failed batch again: doubling from the first, up to the last. */
const RETRY_BACKOFF_MS = [500, 30_000] as const;

/** Most events handed to a projection in one commit. */
const MAX_BATCH = 32;
/** Most binary payload bytes in one commit (a readings event is about 500 KB for 50,000 readings). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Longest a projection waits to gather a batch: the bound on the lag that batching adds. */
const MAX_GATHER_MS = 250;
const REBUILD_SUFFIX = '__rebuild';

interface Live {
  definition: ProjectionDefinition;
  projection: Projection;
  subscription: EventSubscription;
  done: Promise<void>;
  /** Last position committed: what waiters compare with. */
  position: string | null;
  failed: Error | null;
  stopping: boolean;
}

export interface RebuildReport {
  projections: string[];
  events: number;
  millis: number;
}

/**
 * Feeds each projection from its checkpoint (catch up, then live) in batches, tells waiters when a
 * position has been reached by every projection, and rebuilds projections from position zero.
 */
export class ProjectionRunner implements ProjectionEngine {
  private readonly live = new Map<string, Live>();
  private readonly waiters = new PositionWaiters((position) => this.reached(position));
  private rebuilding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly eventStore: EventStore,
    private readonly definitions: readonly ProjectionDefinition[],
    private readonly versions: ProjectionVersions,
    private readonly log: Pick<Logger, 'info' | 'error'>,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.streamPrefixes = options.streamPrefixes ?? [];
  }

  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly streamPrefixes: readonly string[];

  get names(): string[] {
    return this.definitions.map((d) => d.name);
  }

  /** Rebuilds projections whose version changed, then starts all of them. */
  async start(): Promise<void> {
    const outdated: string[] = [];
    for (const definition of this.definitions) {
      const stored = await this.versions.get(definition.name);
      if (stored === definition.version) continue;
      // A model that never saw an event has nothing to rebuild: record its version and start.
      if (stored === null && (await definition.create('').getCheckpoint()) === null) {
        await this.versions.set(definition.name, definition.version);
      } else outdated.push(definition.name);
    }
    if (outdated.length > 0) {
      this.log.info('rebuilding projections whose version changed', { projections: outdated });
      await this.rebuildOffline(outdated);
    }
    for (const definition of this.definitions) await this.startLive(definition);
  }

  private async startLive(definition: ProjectionDefinition): Promise<void> {
    const projection = definition.create('');
    const checkpoint = await projection.getCheckpoint();
    const subscription = this.eventStore.subscribeToAll({
      ...(checkpoint === null ? {} : { after: checkpoint }),
      streamPrefixes: this.streamPrefixes,
    });
    const state: Live = {
      definition,
      projection,
      subscription,
      position: checkpoint,
      failed: null,
      stopping: false,
      done: Promise.resolve(),
    };
    state.done = this.consume(state);
    this.live.set(definition.name, state);
    this.progressed();
  }

  private async consume(state: Live): Promise<void> {
    const buffer: RecordedEvent[] = [];
    let flushing: Promise<void> | null = null;
    let lastHandleMs = 0;
    const flush = async (): Promise<void> => {
      // Gather events for as long as the last batch took to handle: cheap batches stay prompt, while
      // expensive ones (big uploads) get bigger, so each day and invoice is recomputed fewer times.
      const gatherMs = Math.min(MAX_GATHER_MS, lastHandleMs);
      await new Promise((resolve) => (gatherMs > 1 ? setTimeout(resolve, gatherMs) : setImmediate(resolve)));
      while (buffer.length > 0) {
        const batch = buffer.splice(0, batchLength(buffer));
        const started = this.now();
        await this.handleWithRetry(state, batch);
        lastHandleMs = this.now() - started;
        state.position = batch[batch.length - 1]!.position;
        this.waiters.settle();
        this.progressed();
        // An embedded store answers synchronously: let requests and timers in between two batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      flushing = null;
    };
    try {
      for await (const event of state.subscription) {
        buffer.push(event);
        flushing ??= flush();
        if (batchReady(buffer)) await flushing;
      }
      await flushing;
    } catch (error) {
      state.failed = error instanceof Error ? error : new Error(String(error));
      this.log.error('projection stopped on an error', {
        projection: state.definition.name,
        error: state.failed.message,
      });
      this.progressed();
    }
  }

  /**
   * Hands a batch to the projection until it succeeds: a read store that is down (or a bug) marks the
   * projection failed, which `/readyz` reports, and the same batch is tried again with backoff, so
   * nothing is skipped and the projection recovers by itself when the store returns.
   */
  private async handleWithRetry(state: Live, batch: readonly RecordedEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await state.projection.handle(batch);
        if (state.failed !== null) {
          this.log.info('projection recovered', { projection: state.definition.name });
          state.failed = null;
          this.progressed();
        }
        return;
      } catch (error) {
        if (state.stopping) throw error;
        state.failed = error instanceof Error ? error : new Error(String(error));
        this.progressed();
        const waitMs = Math.min(RETRY_BACKOFF_MS[1], RETRY_BACKOFF_MS[0] * 2 ** (attempt - 1));
        this.log.error('projection failed to handle a batch; retrying', {
          projection: state.definition.name,
          attempt,
          retryInMs: waitMs,
          firstPosition: batch[0]?.position,
          error: state.failed.message,
        });
        await this.sleep(waitMs);
        if (state.stopping) throw error;
      }
    }
  }

  async waitForPosition(position: string | null, timeoutMs: number): Promise<boolean> {
    const target = position ?? (await this.eventStore.headPosition({ streamPrefixes: this.streamPrefixes }));
    return target === null ? true : this.waiters.wait(target, timeoutMs);
  }

  status(): ProjectionStatus[] {
    return [...this.live.values()].map((l) => ({
      name: l.definition.name,
      position: l.position,
      failed: l.failed?.message ?? null,
    }));
  }

  /**
   * Rebuilds projections from position zero into fresh tables while the live ones keep serving, then
   * stops each live one, lets the copy catch up with the last events and swaps it in atomically.
   */
  rebuild(names: readonly string[] | null): Promise<RebuildReport> {
    const run = this.rebuilding.then(() => this.rebuildLive(names ?? this.names));
    this.rebuilding = run.catch(() => undefined);
    return run;
  }

  private async rebuildLive(names: readonly string[]): Promise<RebuildReport> {
    return this.rebuildEach(names, async (definition) => {
      const state = this.live.get(definition.name);
      if (state === undefined) return;
      state.stopping = true;
      await state.subscription.close();
      await state.done;
      this.live.delete(definition.name);
      this.progressed();
    });
  }

  /** For the CLI and start-up: no live projection runs, so rebuild and promote directly. */
  rebuildOffline(names: readonly string[]): Promise<RebuildReport> {
    return this.rebuildEach(names, null);
  }

  /**
   * Fills a fresh copy of each projection from position zero; when `stopLive` is given, stops the live
   * one, lets the copy catch up with what was appended meanwhile, swaps it in and restarts it live.
   */
  private async rebuildEach(
    names: readonly string[],
    stopLive: ((definition: ProjectionDefinition) => Promise<void>) | null,
  ): Promise<RebuildReport> {
    const definitions = this.select(names);
    const started = this.now();
    let events = 0;
    for (const definition of definitions) {
      const copy = definition.create(REBUILD_SUFFIX);
      await copy.reset();
      events += await this.catchUp(copy, null);
      if (stopLive !== null) {
        await stopLive(definition);
        events += await this.catchUp(copy, await copy.getCheckpoint());
      }
      await definition.promote(REBUILD_SUFFIX);
      await this.versions.set(definition.name, definition.version);
      if (stopLive !== null) await this.startLive(definition);
    }
    return { projections: definitions.map((d) => d.name), events, millis: Math.round(this.now() - started) };
  }

  private select(names: readonly string[]): ProjectionDefinition[] {
    const unknown = names.filter((name) => !this.definitions.some((d) => d.name === name));
    if (unknown.length > 0) {
      throw new UnknownProjectionError(unknown, this.names);
    }
    return this.definitions.filter((d) => names.includes(d.name));
  }

  private async catchUp(projection: Projection, after: string | null): Promise<number> {
    let count = 0;
    let batch: RecordedEvent[] = [];
    const from = after === null ? {} : { after };
    for await (const event of this.eventStore.readAll({ ...from, streamPrefixes: this.streamPrefixes })) {
      batch.push(event);
      if (batchReady(batch)) {
        await projection.handle(batch);
        count += batch.length;
        batch = [];
        // The embedded stores answer synchronously: let requests in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (batch.length > 0) await projection.handle(batch);
    return count + batch.length;
  }

  async stop(): Promise<void> {
    await this.rebuilding;
    for (const l of this.live.values()) l.stopping = true;
    await Promise.all([...this.live.values()].map((l) => l.subscription.close()));
    await Promise.all([...this.live.values()].map((l) => l.done));
    this.live.clear();
    this.progressed();
    this.waiters.giveUp();
  }

  private progressed(): void {
    this.options.onProgress?.(this.status());
  }

  private reached(position: string): boolean {
    if (this.live.size < this.definitions.length) return false;
    return [...this.live.values()].every(
      (l) => l.position !== null && this.eventStore.comparePositions(l.position, position) >= 0,
    );
  }
}

/** How many of the first events make one batch: up to MAX_BATCH events and MAX_BATCH_BYTES of binary payloads. */
function batchLength(events: readonly RecordedEvent[]): number {
  let bytes = 0;
  const limit = Math.min(events.length, MAX_BATCH);
  for (let i = 0; i < limit; i++) {
    const data = events[i]!.data;
    if (data instanceof Uint8Array) bytes += data.byteLength;
    if (bytes > MAX_BATCH_BYTES && i > 0) return i;
  }
  return limit;
}

/** Whether these events hold a whole batch (by count or by bytes). */
function batchReady(events: readonly RecordedEvent[]): boolean {
  return events.length >= MAX_BATCH || batchLength(events) < events.length;
}

export class UnknownProjectionError extends Error {
  readonly unknown: string[];
  readonly known: string[];

  constructor(unknown: readonly string[], known: readonly string[]) {
    super(`unknown projection${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${known.join(', ')}`);
    this.name = 'UnknownProjectionError';
    this.unknown = [...unknown];
    this.known = [...known];
  }
}
