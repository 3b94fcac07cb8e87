import { randomUUID } from 'node:crypto';
import {
  deliveryStreamName,
  type DeliveryOutcome,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  type WebhookRegistered,
  webhookStreamName,
} from '../domain/webhooks/events';
import type { EventStore } from '../ports/event-store';
import type { PendingDelivery } from './delivery-window';
import { activeWebhooks, type WebhookSecrets } from './secrets';
import { checkTarget, type Resolve, WebhookTargetError } from './target-guard';

export interface WebhookView {
  webhookId: string;
  url: string;
  events: WebhookEventType[];
  registeredAt: string;
}

export interface DeliveryView {
  deliveryId: string;
  number: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  statusCode: number | null;
  error: string | null;
  /** When it was delivered or given up, or (pending) when the next attempt is due. */
  at: string;
}

const MAX_WEBHOOKS = 100;

/** Registering, listing and removing webhooks, and each one's delivery log, from the event log. */
export class WebhookService {
  constructor(
    private readonly eventStore: EventStore,
    private readonly options: { allowPrivate: boolean; resolve?: Resolve; secrets: WebhookSecrets },
    private readonly now: () => Date,
    /** A webhook's pending deliveries in this process's dispatcher (null when another process delivers). */
    private readonly pending: (webhookId: string) => PendingDelivery[] | null,
  ) {}

  /** Registers a webhook; the answer carries its signing secret, which the log does not hold. */
  async register(
    url: string,
    events: readonly string[] | null,
  ): Promise<WebhookRegistered['data'] & { secret: string }> {
    await checkTarget(url, this.options.allowPrivate, this.options.resolve);
    const chosen = events === null || events.length === 0 ? [...WEBHOOK_EVENT_TYPES] : [...new Set(events)];
    const unknown = chosen.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
    if (unknown.length > 0) {
      throw new WebhookTargetError(
        `events: ${unknown.join(', ')} unknown; choose from ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      );
    }
    if ((await this.list()).length >= MAX_WEBHOOKS) {
      throw new WebhookTargetError(`at most ${MAX_WEBHOOKS} webhooks: remove one first`);
    }
    const data: WebhookRegistered['data'] = {
      webhookId: randomUUID(),
      url,
      events: chosen as WebhookEventType[],
      registeredAt: this.now().toISOString(),
    };
    await this.eventStore.appendToStream(
      webhookStreamName(data.webhookId),
      [{ id: randomUUID(), type: 'WebhookRegistered', data }],
      { expectedRevision: 'no_stream' },
    );
    return { ...data, secret: this.options.secrets.secretOf(data.webhookId) };
  }

  async remove(webhookId: string): Promise<boolean> {
    const webhook = (await this.list()).find((w) => w.webhookId === webhookId);
    if (webhook === undefined) return false;
    await this.eventStore.appendToStream(
      webhookStreamName(webhookId),
      [{ id: randomUUID(), type: 'WebhookRemoved', data: { webhookId, removedAt: this.now().toISOString() } }],
      { expectedRevision: 'stream_exists' },
    );
    return true;
  }

  /** Registered webhooks (their secrets never shown again). */
  async list(): Promise<WebhookView[]> {
    return (await activeWebhooks(this.eventStore)).map(({ secret: _secret, ...view }) => view);
  }

  /** A webhook's deliveries: pending ones first (when this process delivers), then outcomes, newest first. */
  async deliveries(webhookId: string, first: number): Promise<DeliveryView[]> {
    const outcomes: DeliveryView[] = [];
    for await (const recorded of this.eventStore.readStream(deliveryStreamName(webhookId))) {
      const outcome = { type: recorded.type, data: recorded.data } as DeliveryOutcome;
      outcomes.push(
        outcome.type === 'WebhookDelivered'
          ? {
              deliveryId: outcome.data.deliveryId,
              number: outcome.data.number,
              status: 'DELIVERED',
              attempts: outcome.data.attempts,
              statusCode: outcome.data.statusCode,
              error: null,
              at: outcome.data.at,
            }
          : {
              deliveryId: outcome.data.deliveryId,
              number: outcome.data.number,
              status: 'FAILED',
              attempts: outcome.data.attempts,
              statusCode: null,
              error: outcome.data.reason,
              at: outcome.data.at,
            },
      );
    }
    const pending: DeliveryView[] = (this.pending(webhookId) ?? []).map((p) => ({
      deliveryId: p.deliveryId,
      number: p.number,
      status: 'PENDING',
      attempts: p.attempts,
      statusCode: p.lastStatusCode,
      error: p.lastError,
      at: new Date(p.nextAttemptAt).toISOString(),
    }));
    return [...pending, ...outcomes.reverse()].slice(0, first);
  }
}
