import type { RecordedEvent } from '../ports/event-store';

/**
 * A projection as the runner sees it: it writes its read model for a batch of events together with the
 * checkpoint, in one atomic commit, idempotently (a redelivered event changes nothing).
 */
export interface Projection {
  readonly name: string;
  getCheckpoint(): Promise<string | null>;
  handle(events: readonly RecordedEvent[]): Promise<void>;
  reset(): Promise<void>;
}

/** How to make a projection over live tables (suffix '') or over fresh ones for a rebuild. */
export interface ProjectionDefinition {
  readonly name: string;
  /** Bumped when the read model's shape or rules change: the model is then rebuilt on start. */
  readonly version: number;
  create(suffix: string): Projection;
  /** Swaps a rebuilt copy (made with `create(suffix)`) in for the live model, atomically. */
  promote(suffix: string): Promise<void>;
}
