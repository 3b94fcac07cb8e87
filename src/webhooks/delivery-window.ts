/**
 * One webhook's deliveries as the dispatcher holds them: a window of at most a few pages of deliveries
 * (light records: where the document is in the log, never its body), a cursor up to which the log has
 * been read for this webhook, and `through`, up to which every document has an outcome. Memory is flat
 * in the backlog: what is not in the window is still in the log, read a page at a time as the window
 * empties.
 */
import type { DeliveryOutcome, WebhookEventType, WebhookRegistered } from '../domain/webhooks/events';

export interface PendingDelivery {
  deliveryId: string;
  webhookId: string;
  number: string;
  eventType: WebhookEventType;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface WindowEntry extends PendingDelivery {
  /** Where the document is: its log position, and its stream and revision to read it back when sent. */
  position: string;
  eventId: string;
  streamName: string;
  revision: number;
  issuedAt: number;
  /** waiting (for its next attempt), sending, recording (its outcome being appended), done. */
  state: 'waiting' | 'sending' | 'recording' | 'done';
  /** An append of its outcome failed (it may have landed all the same). */
  recordFailed?: boolean;
}

export type Compare = (a: string, b: string) => number;

export class DeliveryWindow {
  /** In log order; a done entry leaves once every entry before it is done. */
  readonly entries: WindowEntry[] = [];
  readonly outbox: Array<{ entry: WindowEntry; outcome: DeliveryOutcome }> = [];
  /** The log has been read for this webhook up to this position (inclusive). */
  cursor: string;
  /** Every document of this webhook at or before this position has an outcome. */
  through: string;
  /** Positions past `through` whose outcome a previous run recorded (out of order): skipped when read. */
  readonly recordedAhead = new Set<string>();
  /** Delivery ids of outcomes recorded before outcomes carried positions (older versions). */
  readonly legacy = new Set<string>();
  inFlight = 0;
  filling = false;
  /** Its recorded outcomes have been read (the window is not filled before). */
  ready = false;
  removed = false;

  constructor(
    readonly webhook: WebhookRegistered['data'],
    registeredAt: string,
  ) {
    // Only documents after the registration (later in the log) are told to it.
    this.cursor = registeredAt;
    this.through = registeredAt;
  }

  /**
   * Folds one outcome recorded by an earlier run. Outcomes are appended with a `through` that never goes
   * back, and one past `through` is at most a window's length ahead of it, so the set stays small.
   */
  restore(outcome: DeliveryOutcome['data'], compare: Compare): void {
    if (outcome.position === undefined) {
      this.legacy.add(outcome.deliveryId);
      return;
    }
    if (outcome.through !== undefined && compare(outcome.through, this.through) > 0) {
      this.through = outcome.through;
      for (const position of this.recordedAhead)
        if (compare(position, this.through) <= 0) this.recordedAhead.delete(position);
    }
    if (compare(outcome.position, this.through) > 0) this.recordedAhead.add(outcome.position);
  }

  /** Once restored: the log is read again from `through` on. */
  restored(): void {
    this.cursor = this.through;
    this.ready = true;
  }

  /** Whether a document read from the log already has an outcome (a previous run's). */
  hasOutcome(position: string, deliveryId: string): boolean {
    // Read once: the cursor never comes back to it.
    return this.recordedAhead.delete(position) || this.legacy.has(deliveryId);
  }

  /** Where `through` stands once these entries' outcomes are appended too. */
  throughWith(batch: ReadonlySet<WindowEntry>): string {
    let through = this.through;
    for (const entry of this.entries) {
      if (entry.state !== 'done' && !batch.has(entry)) return through;
      through = entry.position;
    }
    // Every entry done: every document read so far (the others were not this webhook's) has an outcome.
    return this.cursor;
  }

  /** Marks appended outcomes done and lets the done entries at the head leave. */
  settle(batch: ReadonlySet<WindowEntry>, through: string): void {
    for (const entry of batch) entry.state = 'done';
    let done = 0;
    while (done < this.entries.length && this.entries[done]!.state === 'done') done++;
    this.entries.splice(0, done);
    this.through = through;
  }

  pending(): PendingDelivery[] {
    return this.entries
      .filter((e) => e.state !== 'done')
      .map((e) => ({
        deliveryId: e.deliveryId,
        webhookId: e.webhookId,
        number: e.number,
        eventType: e.eventType,
        attempts: e.attempts,
        nextAttemptAt: e.nextAttemptAt,
        lastStatusCode: e.lastStatusCode,
        lastError: e.lastError,
      }));
  }
}
