import type { RecordedEvent } from '../ports/event-store';

/**
 * A projection as the runner sees it: a name, and a handler that writes its read model for one event
 * together with the checkpoint, idempotently (a redelivered event changes nothing).
 */
export interface Projection {
  readonly name: string;
  /** Bumped when the read model's shape or rules change: the runner then rebuilds it from zero. */
  readonly version: number;
  getCheckpoint(): Promise<string | null>;
  handle(event: RecordedEvent): Promise<void>;
  reset(): Promise<void>;
}
