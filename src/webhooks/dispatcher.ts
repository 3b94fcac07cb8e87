/**
 * Delivers issued invoices and credit notes to the registered webhooks, at least once, driven from the
 * log: on start it reads which deliveries have an outcome already, then follows the webhooks'
 * registrations and the invoice streams from the beginning, so whatever was issued and not acknowledged
 * (a crash, a restart, an outage of the receiver) is sent again. Runs in the process holding the
 * projector lease; an outcome is recorded as an event once the receiver answered 2xx, or gave up.
 */
import { eInvoicePath } from '../views/e-invoice';
import { nameBasedUuid } from '../common/name-based-uuid';
import { INVOICE_STREAM_PREFIX, type InvoicingEvent } from '../domain/accounts/events';
import {
  DELIVERY_STREAM_PREFIX,
  deliveryStreamName,
  type DeliveryOutcome,
  nextAttemptAt,
  retryable,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_STREAM_PREFIX,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookRegistered,
} from '../domain/webhooks/events';
import type { Logger } from '../logger';
import type { EventStore, EventSubscription, RecordedEvent } from '../ports/event-store';
import { signatureHeader } from './signature';
import type { WebhookSecrets } from './secrets';
import { checkTarget, type Resolve } from './target-guard';

/** POSTs a body and answers the HTTP status; throws on a network error or a timeout. */
export type Send = (
  url: string,
  request: { body: string; headers: Record<string, string>; timeoutMs: number },
) => Promise<number>;

export const sendWithFetch: Send = async (url, request) => {
  const response = await fetch(url, {
    method: 'POST',
    body: request.body,
    headers: request.headers,
    // A redirect could lead anywhere, a private address included: it is an answer, not followed.
    redirect: 'manual',
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  await dropBody(response);
  return response.status;
};

/** How much of a receiver's answer is read: only its status counts, and an answer may be of any size. */
const ANSWER_BYTES_READ = 4 * 1024;

/** Reads at most a few KB of an answer's body (so its connection can be reused), then drops the rest. */
export async function dropBody(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  try {
    for (let read = 0; read < ANSWER_BYTES_READ;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
  } catch {
    return; // a body cut short changes nothing: the status is the answer
  }
  await reader.cancel().catch(() => undefined);
}

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

interface Job extends PendingDelivery {
  body: string;
  issuedAt: number;
  sending: boolean;
}

export interface DispatcherOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  concurrency: number;
  now: () => number;
  send?: Send;
  resolve?: Resolve;
  /** Derives the signing secret of webhooks whose registration holds none. */
  secrets: WebhookSecrets;
  /** How often due deliveries are looked for. */
  tickMs?: number;
}

export class WebhookDispatcher {
  private readonly webhooks = new Map<string, WebhookRegistered['data']>();
  private readonly done = new Set<string>();
  private readonly jobs = new Map<string, Job>();
  private readonly inFlight = new Set<Promise<void>>();
  private subscription: EventSubscription | null = null;
  private consuming: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly eventStore: EventStore,
    private readonly options: DispatcherOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {}

  async start(): Promise<void> {
    for await (const recorded of this.eventStore.readAll({ streamPrefixes: [DELIVERY_STREAM_PREFIX] })) {
      this.done.add((recorded.data as DeliveryOutcome['data']).deliveryId);
    }
    const subscription = this.eventStore.subscribeToAll({
      streamPrefixes: [WEBHOOK_STREAM_PREFIX, INVOICE_STREAM_PREFIX],
    });
    this.subscription = subscription;
    this.consuming = (async () => {
      try {
        for await (const recorded of subscription) this.handle(recorded);
      } catch (error) {
        this.log.error('webhook dispatcher stopped reading the log', { error: String(error) });
      }
    })();
    this.timer = setInterval(() => this.pump(), this.options.tickMs ?? 200);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.subscription?.close();
    await this.consuming;
    await Promise.all([...this.inFlight]);
  }

  /** Deliveries not acknowledged yet, of one webhook or all, oldest first. */
  pending(webhookId: string | null): PendingDelivery[] {
    return [...this.jobs.values()]
      .filter((job) => webhookId === null || job.webhookId === webhookId)
      .map(({ body: _body, issuedAt: _issuedAt, sending: _sending, ...view }) => view);
  }

  private handle(recorded: RecordedEvent): void {
    if (recorded.streamName.startsWith(WEBHOOK_STREAM_PREFIX)) {
      const event = { type: recorded.type, data: recorded.data } as WebhookEvent;
      if (event.type === 'WebhookRegistered') this.webhooks.set(event.data.webhookId, event.data);
      else if (event.type === 'WebhookRemoved') {
        this.webhooks.delete(event.data.webhookId);
        for (const [id, job] of this.jobs) if (job.webhookId === event.data.webhookId) this.jobs.delete(id);
      }
      return;
    }
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(recorded.type)) return;
    const event = { type: recorded.type, data: recorded.data } as InvoicingEvent;
    // Only webhooks registered before the event (earlier in the log) are told about it.
    for (const webhook of this.webhooks.values()) {
      if (!webhook.events.includes(event.type)) continue;
      const deliveryId = nameBasedUuid(`${webhook.webhookId}/${recorded.id}`);
      if (this.done.has(deliveryId) || this.jobs.has(deliveryId)) continue;
      const body = JSON.stringify({
        id: deliveryId,
        type: event.type === 'InvoiceIssued' ? 'invoice.issued' : 'credit_note.issued',
        createdAt: recorded.created.toISOString(),
        data: event.data,
        // Paths on this service (the same API key as GraphQL): the page and the e-invoice in both syntaxes.
        links: {
          html: `/invoices/${encodeURIComponent(event.data.number)}.html`,
          ubl: eInvoicePath(event.data.number, 'ubl'),
          cii: eInvoicePath(event.data.number, 'cii'),
        },
      });
      this.jobs.set(deliveryId, {
        deliveryId,
        webhookId: webhook.webhookId,
        number: event.data.number,
        eventType: event.type,
        attempts: 0,
        nextAttemptAt: this.options.now(),
        lastStatusCode: null,
        lastError: null,
        body,
        issuedAt: recorded.created.getTime(),
        sending: false,
      });
    }
    this.pump();
  }

  private pump(): void {
    const now = this.options.now();
    const due = [...this.jobs.values()]
      .filter((job) => !job.sending && job.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    for (const job of due) {
      if (this.inFlight.size >= this.options.concurrency) return;
      job.sending = true;
      const attempt = this.attempt(job).finally(() => {
        job.sending = false;
        this.inFlight.delete(attempt);
      });
      this.inFlight.add(attempt);
    }
  }

  private async attempt(job: Job): Promise<void> {
    const webhook = this.webhooks.get(job.webhookId);
    if (webhook === undefined) {
      this.jobs.delete(job.deliveryId);
      return;
    }
    let status: number | null = null;
    try {
      await checkTarget(webhook.url, this.options.allowPrivate, this.options.resolve);
      const unixSeconds = Math.floor(this.options.now() / 1000);
      status = await (this.options.send ?? sendWithFetch)(webhook.url, {
        body: job.body,
        timeoutMs: this.options.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'energy-billing-webhooks',
          'x-webhook-id': job.webhookId,
          'x-delivery-id': job.deliveryId,
          'idempotency-key': job.deliveryId,
          'x-signature': signatureHeader(
            webhook.secret ?? this.options.secrets.secretOf(webhook.webhookId),
            job.body,
            unixSeconds,
          ),
        },
      });
      job.lastError = status >= 200 && status < 300 ? null : `HTTP ${status}`;
    } catch (error) {
      job.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    job.attempts += 1;
    job.lastStatusCode = status;
    const at = this.options.now();
    if (status !== null && status >= 200 && status < 300) {
      await this.record(job, {
        type: 'WebhookDelivered',
        data: {
          webhookId: job.webhookId,
          deliveryId: job.deliveryId,
          number: job.number,
          attempts: job.attempts,
          statusCode: status,
          at: new Date(at).toISOString(),
        },
      });
      return;
    }
    const next = status !== null && !retryable(status) ? null : nextAttemptAt(job.attempts, at, job.issuedAt);
    if (next !== null) {
      job.nextAttemptAt = next;
      return;
    }
    this.log.warn('webhook delivery given up', { webhookId: job.webhookId, number: job.number, reason: job.lastError });
    await this.record(job, {
      type: 'WebhookDeliveryFailed',
      data: {
        webhookId: job.webhookId,
        deliveryId: job.deliveryId,
        number: job.number,
        attempts: job.attempts,
        reason: job.lastError ?? 'unknown',
        at: new Date(at).toISOString(),
      },
    });
  }

  private async record(job: Job, outcome: DeliveryOutcome): Promise<void> {
    try {
      await this.eventStore.appendToStream(
        deliveryStreamName(job.webhookId),
        [{ id: nameBasedUuid(`${job.deliveryId}/outcome`), type: outcome.type, data: outcome.data }],
        { expectedRevision: 'any' },
      );
      this.done.add(job.deliveryId);
      this.jobs.delete(job.deliveryId);
    } catch (error) {
      // Not recorded: try the delivery again later (the receiver dedupes on the idempotency id).
      this.log.warn('webhook outcome could not be recorded; will deliver again', { error: String(error) });
      job.nextAttemptAt = this.options.now() + 5_000;
    }
  }
}
