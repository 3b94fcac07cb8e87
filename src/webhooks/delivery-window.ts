/**
 * One webhook's deliveries as the dispatcher holds them: a window of at most two pages of deliveries
 * without an outcome (light records: where the document is in the log, never its body), a cursor up to
 * which the log has been read for this webhook, and `through`, up to which every document has an
 * outcome. Memory is flat in the backlog: what is not in the window is still in the log, read a page at
 * a time as the window empties. A delivery retried for hours holds one place, not the webhook.
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
  /** Deliveries without an outcome yet, in log order: at most two pages (the dispatcher reads no more). */
  readonly entries: WindowEntry[] = [];
  readonly outbox: Array<{ entry: WindowEntry; outcome: DeliveryOutcome }> = [];
  /** The log has been read for this webhook up to this position (inclusive). */
  cursor: string;
  /** Every document of this webhook at or before this position has an outcome. */
  through: string;
  /**
   * Positions past `through` known to have an outcome: delivered after an older one that is still being
   * retried, or recorded so by a previous run (skipped when the log is read there). Only a delivery
   * retried while younger ones go through makes it grow, and it empties once that one is done or given up
   * (24 hours at most).
   */
  private readonly doneAhead = new Set<string>();
  /** Delivery ids of outcomes recorded before outcomes carried positions (older versions). */
  private readonly legacy = new Set<string>();
  inFlight = 0;
  filling = false;
  /** Its recorded outcomes have been read (the window is not filled before). */
  ready = false;
  removed = false;

  constructor(
    readonly webhook: WebhookRegistered['data'],
    registeredAt: string,
    private readonly compare: Compare,
  ) {
    // Only documents after the registration (later in the log) are told to it.
    this.cursor = registeredAt;
    this.through = registeredAt;
  }

  /** Folds one outcome recorded by an earlier run (outcomes are appended with a `through` never going back). */
  restore(outcome: DeliveryOutcome['data']): void {
    if (outcome.position === undefined) {
      this.legacy.add(outcome.deliveryId);
      return;
    }
    if (outcome.through !== undefined && this.compare(outcome.through, this.through) > 0) {
      this.through = outcome.through;
      this.prune();
    }
    if (this.compare(outcome.position, this.through) > 0) this.doneAhead.add(outcome.position);
  }

  /** Once restored: the log is read again from `through` on. */
  restored(): void {
    this.cursor = this.through;
    this.ready = true;
  }

  /** Whether a document read from the log already has an outcome (a previous run's). */
  hasOutcome(position: string, deliveryId: string): boolean {
    // Read once: the cursor never comes back to it.
    return this.doneAhead.delete(position) || this.legacy.has(deliveryId);
  }

  /** Where `through` stands once these entries' outcomes are appended too. */
  throughWith(batch: ReadonlySet<WindowEntry>): string {
    const oldest = this.entries.find((e) => !batch.has(e));
    // Nothing left without an outcome: every document read so far (the others not this webhook's) has one.
    if (oldest === undefined) return this.cursor;
    // Else the last position known done before the oldest one still owed: every document up to it is done.
    let through = this.through;
    const consider = (position: string) => {
      if (this.compare(position, oldest.position) < 0 && this.compare(position, through) > 0) through = position;
    };
    for (const entry of batch) consider(entry.position);
    for (const position of this.doneAhead) consider(position);
    return through;
  }

  /** Appended: the entries leave the window, and `through` moves to where throughWith put it. */
  settle(batch: ReadonlySet<WindowEntry>, through: string): void {
    for (const entry of batch) {
      entry.state = 'done';
      this.doneAhead.add(entry.position);
    }
    let kept = 0;
    for (const entry of this.entries) if (entry.state !== 'done') this.entries[kept++] = entry;
    this.entries.length = kept;
    this.through = through;
    this.prune();
  }

  private prune(): void {
    for (const position of this.doneAhead)
      if (this.compare(position, this.through) <= 0) this.doneAhead.delete(position);
  }

  pending(): PendingDelivery[] {
    return this.entries.map((e) => ({
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
