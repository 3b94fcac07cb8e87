/**
 * Delivers issued invoices and credit notes to the registered webhooks, at least once, driven from the
 * log. Each webhook has its own window of deliveries, read from the log a page at a time as it empties,
 * and its own attempts in flight: a receiver that hangs or fails holds only its own window, and memory
 * stays flat however many deliveries are owed (they wait in the log, not here). An outcome is recorded
 * as an event once the receiver answered 2xx, or gave up; outcomes carry how far the webhook is done, so
 * a start reads its deliveries from there on and sends only what has no outcome. Runs in the process
 * holding the projector lease.
 */
import { nameBasedUuid } from '../common/name-based-uuid';
import { INVOICE_STREAM_PREFIX, type InvoicingEvent } from '../domain/accounts/events';
import {
  deliveryStreamName,
  type DeliveryOutcome,
  nextAttemptAt,
  retryable,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_STREAM_PREFIX,
  type WebhookEvent,
  type WebhookEventType,
} from '../domain/webhooks/events';
import type { Logger } from '../logger';
import type { EventStore, EventSubscription, RecordedEvent } from '../ports/event-store';
import { eInvoicePath } from '../views/e-invoice';
import { DeliveryWindow, type PendingDelivery, type WindowEntry } from './delivery-window';
import { LogPages } from './log-pages';
import { sendWithFetch, type Send } from './send';
import { signatureHeader } from './signature';
import type { WebhookSecrets } from './secrets';
import { checkTarget, type Resolve } from './target-guard';

export { dropBody, sendWithFetch, type Send } from './send';
export type { PendingDelivery } from './delivery-window';

export interface DispatcherOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Attempts in flight per webhook (each webhook has its own: a hung receiver holds only these). */
  concurrency: number;
  /** Log events read per page; a webhook holds at most two pages of deliveries in memory. */
  pageSize?: number;
  now: () => number;
  send?: Send;
  resolve?: Resolve;
  /** Derives the signing secret of webhooks whose registration holds none. */
  secrets: WebhookSecrets;
  /** How often due retries are looked for. */
  tickMs?: number;
}

/** An outcome that could not be recorded is delivered again this much later. */
const RECORD_RETRY_MS = 5_000;
/** Outcomes read at a start between two turns of the event loop. */
const RESTORE_SLICE = 1_000;
/** Outcomes are appended in rounds at most this often (each webhook's of a round in one append). */
const RECORD_ROUND_MS = 1_000;

export class WebhookDispatcher {
  private readonly windows = new Map<string, DeliveryWindow>();
  private readonly pages: LogPages;
  private readonly pageSize: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private subscriptions: EventSubscription[] = [];
  private consuming: Array<Promise<void>> = [];
  /** Webhooks' recorded outcomes are read one webhook at a time. */
  private restoring: Promise<void> = Promise.resolve();
  private flushing: Promise<void> = Promise.resolve();
  private flushRunning = false;
  /** Ends the wait between two rounds of appends early. */
  private wakeFlush: () => void = () => undefined;
  private fillScheduled = false;
  /** The last invoice-stream position known: a webhook whose cursor is there has nothing more to read. */
  private head: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly eventStore: EventStore,
    private readonly options: DispatcherOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.pages = new LogPages(eventStore, this.pageSize);
  }

  async start(): Promise<void> {
    this.head = await this.eventStore.headPosition({ streamPrefixes: [INVOICE_STREAM_PREFIX] });
    // Registrations and removals (a few events) from the beginning; of the documents only that they come.
    const webhooks = this.eventStore.subscribeToAll({ streamPrefixes: [WEBHOOK_STREAM_PREFIX] });
    const documents = this.eventStore.subscribeToAll({
      ...(this.head === null ? {} : { after: this.head }),
      streamPrefixes: [INVOICE_STREAM_PREFIX],
    });
    this.subscriptions = [webhooks, documents];
    this.consuming = [
      this.consume(webhooks, (recorded) => this.onWebhookEvent(recorded)),
      this.consume(documents, (recorded) => {
        this.head = recorded.position;
        this.fillAllSoon();
      }),
    ];
    this.timer = setInterval(() => {
      for (const window of this.windows.values()) {
        this.pump(window);
        void this.fill(window);
      }
    }, this.options.tickMs ?? 200);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopping.abort(); // attempts in flight end now; they are sent again by the next holder
    this.wakeFlush();
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await Promise.all(this.consuming);
    await Promise.all([...this.inFlight]);
    await this.restoring;
    await this.flushing;
  }

  /** Deliveries in the webhooks' windows not acknowledged yet, of one webhook or all, oldest first. */
  pending(webhookId: string | null): PendingDelivery[] {
    if (webhookId !== null) return this.windows.get(webhookId)?.pending() ?? [];
    return [...this.windows.values()].flatMap((w) => w.pending());
  }

  private async consume(subscription: EventSubscription, handle: (recorded: RecordedEvent) => void): Promise<void> {
    try {
      for await (const recorded of subscription) handle(recorded);
    } catch (error) {
      this.log.error('webhook dispatcher stopped reading the log', { error: String(error) });
    }
  }

  private onWebhookEvent(recorded: RecordedEvent): void {
    const event = { type: recorded.type, data: recorded.data } as WebhookEvent;
    if (event.type === 'WebhookRegistered') {
      if (this.windows.has(event.data.webhookId)) return;
      const window = new DeliveryWindow(event.data, recorded.position, (a, b) =>
        this.eventStore.comparePositions(a, b),
      );
      this.windows.set(event.data.webhookId, window);
      this.restoring = this.restoring.then(() => this.restore(window));
    } else if (event.type === 'WebhookRemoved') {
      const window = this.windows.get(event.data.webhookId);
      if (window !== undefined) window.removed = true;
      this.windows.delete(event.data.webhookId);
    }
  }

  /** Reads the outcomes a webhook has (a few kept: see DeliveryWindow.restore), then fills its window. */
  private async restore(window: DeliveryWindow): Promise<void> {
    try {
      let read = 0;
      for await (const recorded of this.eventStore.readStream(deliveryStreamName(window.webhook.webhookId))) {
        if (window.removed || this.stopped) return;
        window.restore(recorded.data as DeliveryOutcome['data']);
        // A long history is read a slice at a time: requests are answered meanwhile.
        if (++read % RESTORE_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      window.restored();
      await this.fill(window);
    } catch (error) {
      this.log.error('webhook deliveries could not be read from the log; trying again', {
        webhookId: window.webhook.webhookId,
        error: String(error),
      });
      setTimeout(() => {
        if (!this.stopped && !window.removed) this.restoring = this.restoring.then(() => this.restore(window));
      }, 5_000);
    }
  }

  private fillAllSoon(): void {
    if (this.fillScheduled) return;
    this.fillScheduled = true;
    setImmediate(() => {
      this.fillScheduled = false;
      for (const window of this.windows.values()) void this.fill(window);
    });
  }

  /** Reads pages of the log into a webhook's window while it has room for one and the log has more. */
  private async fill(window: DeliveryWindow): Promise<void> {
    if (!window.ready || window.filling || window.removed || this.stopped) return;
    window.filling = true;
    try {
      while (
        !window.removed &&
        !this.stopped &&
        window.entries.length <= this.pageSize &&
        this.head !== null &&
        this.eventStore.comparePositions(window.cursor, this.head) < 0
      ) {
        // One page per turn of the event loop (LogPages): a hundred webhooks reading never hold it together.
        const page = await this.pages.after(window.cursor);
        if (window.removed || this.stopped) break;
        for (const recorded of page) {
          window.cursor = recorded.position;
          this.admit(window, recorded);
        }
        this.pump(window);
        if (page.length === 0) break;
      }
    } catch (error) {
      this.log.warn('webhook deliveries could not be read from the log; trying again', { error: String(error) });
    } finally {
      window.filling = false;
    }
  }

  private admit(window: DeliveryWindow, recorded: RecordedEvent): void {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(recorded.type)) return;
    const eventType = recorded.type as WebhookEventType;
    const { webhookId, events } = window.webhook;
    if (!events.includes(eventType)) return;
    const deliveryId = nameBasedUuid(`${webhookId}/${recorded.id}`);
    if (window.hasOutcome(recorded.position, deliveryId)) return;
    window.entries.push({
      deliveryId,
      webhookId,
      number: (recorded.data as { number: string }).number,
      eventType,
      attempts: 0,
      nextAttemptAt: this.options.now(),
      lastStatusCode: null,
      lastError: null,
      position: recorded.position,
      eventId: recorded.id,
      streamName: recorded.streamName,
      revision: recorded.revision,
      issuedAt: recorded.created.getTime(),
      state: 'waiting',
    });
  }

  /** Starts the webhook's due attempts, oldest first, up to its own concurrency. */
  private pump(window: DeliveryWindow): void {
    if (this.stopped || window.removed) return;
    const now = this.options.now();
    for (const entry of window.entries) {
      if (window.inFlight >= this.options.concurrency) return;
      if (entry.state !== 'waiting' || entry.nextAttemptAt > now) continue;
      entry.state = 'sending';
      window.inFlight += 1;
      const attempt = this.attempt(window, entry)
        .catch((error: unknown) => {
          this.log.error('webhook delivery failed unexpectedly; will try again', { error: String(error) });
          entry.state = 'waiting';
          entry.nextAttemptAt = this.options.now() + RECORD_RETRY_MS;
        })
        .finally(() => {
          window.inFlight -= 1;
          this.inFlight.delete(attempt);
          this.pump(window);
        });
      this.inFlight.add(attempt);
    }
  }

  private async attempt(window: DeliveryWindow, entry: WindowEntry): Promise<void> {
    const { webhook } = window;
    let status: number | null = null;
    try {
      await checkTarget(webhook.url, this.options.allowPrivate, this.options.resolve);
      const body = await this.bodyOf(entry);
      const unixSeconds = Math.floor(this.options.now() / 1000);
      status = await (this.options.send ?? sendWithFetch)(webhook.url, {
        body,
        timeoutMs: this.options.timeoutMs,
        signal: this.stopping.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'energy-billing-webhooks',
          'x-webhook-id': entry.webhookId,
          'x-delivery-id': entry.deliveryId,
          'idempotency-key': entry.deliveryId,
          'x-signature': signatureHeader(
            webhook.secret ?? this.options.secrets.secretOf(webhook.webhookId),
            body,
            unixSeconds,
          ),
        },
      });
      entry.lastError = status >= 200 && status < 300 ? null : `HTTP ${status}`;
    } catch (error) {
      entry.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (this.stopped && status === null) {
      entry.state = 'waiting'; // cut off by the stop: not an attempt the receiver saw through
      return;
    }
    entry.attempts += 1;
    entry.lastStatusCode = status;
    const at = this.options.now();
    const common = { webhookId: entry.webhookId, deliveryId: entry.deliveryId, number: entry.number };
    if (status !== null && status >= 200 && status < 300) {
      const data = { ...common, attempts: entry.attempts, statusCode: status, at: new Date(at).toISOString() };
      this.record(window, entry, { type: 'WebhookDelivered', data });
      return;
    }
    const next = status !== null && !retryable(status) ? null : nextAttemptAt(entry.attempts, at, entry.issuedAt);
    if (next !== null) {
      entry.nextAttemptAt = next;
      entry.state = 'waiting';
      return;
    }
    this.log.warn('webhook delivery given up', {
      webhookId: entry.webhookId,
      number: entry.number,
      reason: entry.lastError,
    });
    const reason = entry.lastError ?? 'unknown';
    const data = { ...common, attempts: entry.attempts, reason, at: new Date(at).toISOString() };
    this.record(window, entry, { type: 'WebhookDeliveryFailed', data });
  }

  /** The delivery's JSON, built when it is sent from the document in the log (never held in the window). */
  private async bodyOf(entry: WindowEntry): Promise<string> {
    const recorded = await this.pages.document(entry.eventId, entry.streamName, entry.revision);
    const event = { type: recorded.type, data: recorded.data } as InvoicingEvent;
    const number = entry.number;
    return JSON.stringify({
      id: entry.deliveryId,
      type: event.type === 'InvoiceIssued' ? 'invoice.issued' : 'credit_note.issued',
      createdAt: recorded.created.toISOString(),
      data: event.data,
      // Paths on this service (the same API key as GraphQL): the page and the e-invoice in both syntaxes.
      links: {
        html: `/invoices/${encodeURIComponent(number)}.html`,
        ubl: eInvoicePath(number, 'ubl'),
        cii: eInvoicePath(number, 'cii'),
      },
    });
  }

  /** Queues an outcome; outcomes are appended by one writer, each webhook's together. */
  private record(window: DeliveryWindow, entry: WindowEntry, outcome: DeliveryOutcome): void {
    entry.state = 'recording';
    window.outbox.push({ entry, outcome });
    if (window.outbox.length >= this.pageSize || this.stopped) this.wakeFlush();
    if (this.flushRunning) return;
    this.flushRunning = true;
    this.flushing = this.flush();
  }

  /**
   * Appends every webhook's queued outcomes in rounds. An append is a synchronous commit on the embedded
   * log (an fsync on the event loop): each webhook's outcomes of a round go in one append, the loop is
   * let through between appends, and the next round waits at least RECORD_ROUND_MS and twice as long as
   * this one took (so commits hold the event loop a third of the time at most), unless a webhook has a
   * page of outcomes queued: then its window is full, and one commit records a page.
   */
  private async flush(): Promise<void> {
    try {
      for (;;) {
        const ready = [...this.windows.values()].filter((w) => w.outbox.length > 0);
        if (ready.length === 0) return;
        const round = Date.now();
        for (const window of ready) {
          await this.append(window);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const took = Date.now() - round;
        const rest = Math.max(RECORD_ROUND_MS - took, 2 * took);
        // A webhook with a page of outcomes queued starts the next round at once (its window is full).
        if (!this.stopped && !this.pageQueued())
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.wakeFlush(), rest);
            this.wakeFlush = () => {
              clearTimeout(timer);
              this.wakeFlush = () => undefined;
              resolve();
            };
          });
      }
    } finally {
      this.flushRunning = false;
    }
  }

  private pageQueued(): boolean {
    for (const window of this.windows.values()) if (window.outbox.length >= this.pageSize) return true;
    return false;
  }

  private async append(window: DeliveryWindow): Promise<void> {
    const queued = window.outbox.splice(0);
    // An outcome whose append failed goes alone next time: had that append landed after all, the same
    // event id alone is taken as its retry, where mixed with new ones it would be refused.
    const batches = [
      queued.filter((q) => !q.entry.recordFailed),
      ...queued.filter((q) => q.entry.recordFailed).map((q) => [q]),
    ];
    for (const batch of batches.filter((b) => b.length > 0)) {
      const entries = new Set(batch.map((b) => b.entry));
      const through = window.throughWith(entries);
      try {
        await this.eventStore.appendToStream(
          deliveryStreamName(window.webhook.webhookId),
          batch.map(({ entry, outcome }) => ({
            id: nameBasedUuid(`${entry.deliveryId}/outcome`),
            type: outcome.type,
            data: { ...outcome.data, position: entry.position, through },
          })),
          { expectedRevision: 'any' },
        );
        window.settle(entries, through);
      } catch (error) {
        // Not recorded: deliver again later (the receiver dedupes on the idempotency id).
        this.log.warn('webhook outcomes could not be recorded; will deliver again', { error: String(error) });
        for (const entry of entries) {
          entry.state = 'waiting';
          entry.recordFailed = true;
          entry.nextAttemptAt = this.options.now() + RECORD_RETRY_MS;
        }
      }
    }
    this.pump(window);
    void this.fill(window);
  }
}
