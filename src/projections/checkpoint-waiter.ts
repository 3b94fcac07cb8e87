import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore } from '../ports/event-store';
import type { ProjectionCheckpoints } from '../ports/projection-state';

/**
 * Read-your-writes for a process that does not run the projections (ROLE=api, or an instance whose
 * projector lease is held elsewhere): polls the stored checkpoints until each has passed the position.
 */
export class CheckpointWaiter implements ConsistencyWaiter {
  constructor(
    private readonly eventStore: EventStore,
    private readonly checkpoints: ProjectionCheckpoints,
    private readonly names: readonly string[],
    private readonly streamPrefixes: readonly string[],
    private readonly pollMs = 50,
    private readonly now: () => number = Date.now,
  ) {}

  async waitForPosition(position: string | null, timeoutMs: number): Promise<boolean> {
    const target = position ?? (await this.eventStore.headPosition({ streamPrefixes: this.streamPrefixes }));
    if (target === null) return true;
    const deadline = this.now() + timeoutMs;
    for (;;) {
      if (await this.reached(target)) return true;
      if (this.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, Math.max(1, deadline - this.now()))));
    }
  }

  private async reached(target: string): Promise<boolean> {
    for (const name of this.names) {
      const checkpoint = await this.checkpoints.get(name);
      if (checkpoint === null || this.eventStore.comparePositions(checkpoint, target) < 0) return false;
    }
    return true;
  }
}
