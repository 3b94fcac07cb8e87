import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore, EventSubscription } from '../ports/event-store';
import type { Projection } from './projection';

interface Waiter {
  position: string;
  resolve: (reached: boolean) => void;
}

interface Running {
  projection: Projection;
  subscription: EventSubscription;
  done: Promise<void>;
  /** Last position handled (or skipped): what waiters compare with. */
  position: string | null;
  failed: Error | null;
}

/**
 * Feeds each projection from its checkpoint (catch up, then live) and tells waiters when a position has
 * been reached by every projection.
 */
export class ProjectionRunner implements ConsistencyWaiter {
  private readonly running: Running[] = [];
  private waiters: Waiter[] = [];

  constructor(
    private readonly eventStore: EventStore,
    private readonly projections: readonly Projection[],
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  async start(): Promise<void> {
    for (const projection of this.projections) {
      const checkpoint = await projection.getCheckpoint();
      const subscription = this.eventStore.subscribeToAll(checkpoint === null ? {} : { after: checkpoint });
      const state: Running = { projection, subscription, position: checkpoint, failed: null, done: Promise.resolve() };
      state.done = this.consume(state);
      this.running.push(state);
    }
  }

  private async consume(state: Running): Promise<void> {
    try {
      for await (const event of state.subscription) {
        await state.projection.handle(event);
        state.position = event.position;
        this.settleWaiters();
      }
    } catch (error) {
      state.failed = error instanceof Error ? error : new Error(String(error));
      this.log('projection stopped on an error', { projection: state.projection.name, error: state.failed.message });
    }
  }

  async waitForPosition(position: string | null, timeoutMs: number): Promise<boolean> {
    const target = position ?? (await this.eventStore.headPosition());
    if (target === null || this.reached(target)) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        position: target,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Checkpoint positions of each projection, for health and metrics. */
  positions(): Record<string, string | null> {
    return Object.fromEntries(this.running.map((r) => [r.projection.name, r.position]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map((r) => r.subscription.close()));
    await Promise.all(this.running.map((r) => r.done));
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }

  private reached(position: string): boolean {
    return this.running.every(
      (r) => r.position !== null && this.eventStore.comparePositions(r.position, position) >= 0,
    );
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.reached(waiter.position)) waiter.resolve(true);
      else pending.push(waiter);
    }
    this.waiters = pending;
  }
}
