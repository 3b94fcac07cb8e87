/**
 * Outgoing webhooks: registrations and the final outcome of each delivery, as events. A delivery is one
 * issued invoice or credit note for one webhook; its id is the idempotency id the receiver sees.
 */

export const WEBHOOK_EVENT_TYPES = ['InvoiceIssued', 'CreditNoteIssued'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookRegistered {
  type: 'WebhookRegistered';
  data: {
    webhookId: string;
    url: string;
    events: WebhookEventType[];
    /**
     * The HMAC key deliveries are signed with: held here only by registrations made before secrets were
     * derived from the server key (WebhookSecrets); newer ones hold none, and it is shown once, when
     * registered.
     */
    secret?: string;
    registeredAt: string;
  };
}

export interface WebhookRemoved {
  type: 'WebhookRemoved';
  data: { webhookId: string; removedAt: string };
}

/**
 * Where a delivery's document is in the log, and how far the webhook is done: written with each outcome
 * since deliveries are read from the log in pages, so a start reads from `through` on and holds only the
 * few outcomes past it, never every delivery id. Outcomes recorded before hold neither.
 */
export interface DeliveryProgress {
  /** The log position of the invoice or credit note delivered. */
  position?: string;
  /** Every document of this webhook at or before this log position has an outcome (this one included). */
  through?: string;
}

/** The receiver answered 2xx: the delivery is done. */
export interface WebhookDelivered {
  type: 'WebhookDelivered';
  data: {
    webhookId: string;
    deliveryId: string;
    number: string;
    attempts: number;
    statusCode: number;
    at: string;
  } & DeliveryProgress;
}

/** Given up: a 4xx other than 408/429, or still failing 24 hours after the invoice was issued. */
export interface WebhookDeliveryFailed {
  type: 'WebhookDeliveryFailed';
  data: {
    webhookId: string;
    deliveryId: string;
    number: string;
    attempts: number;
    reason: string;
    at: string;
  } & DeliveryProgress;
}

export type WebhookEvent = WebhookRegistered | WebhookRemoved;
export type DeliveryOutcome = WebhookDelivered | WebhookDeliveryFailed;

export const WEBHOOK_STREAM_PREFIX = 'hook-';
export const DELIVERY_STREAM_PREFIX = 'hookdelivery-';
export const webhookStreamName = (webhookId: string): string => `${WEBHOOK_STREAM_PREFIX}${webhookId}`;
/** Outcomes apart from the registration, so listing webhooks never reads their deliveries. */
export const deliveryStreamName = (webhookId: string): string => `${DELIVERY_STREAM_PREFIX}${webhookId}`;

/** Retries stop this long after the invoice was issued. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;

/**
 * When to try again after `attempts` failed attempts: 1 s doubling per attempt up to an hour, never
 * past the retry window; null once the window is over.
 */
export function nextAttemptAt(attempts: number, lastAttemptAt: number, issuedAt: number): number | null {
  const wait = Math.min(3_600_000, 1_000 * 2 ** Math.max(0, attempts - 1));
  const at = lastAttemptAt + wait;
  const deadline = issuedAt + RETRY_WINDOW_MS;
  if (lastAttemptAt >= deadline) return null;
  return Math.min(at, deadline);
}

/** Whether an HTTP answer is worth another attempt: 5xx, 408 and 429 are; other 4xx are not. */
export function retryable(statusCode: number): boolean {
  return statusCode >= 500 || statusCode === 408 || statusCode === 429;
}

/** The outcome of a webhook's registration stream: its settings, or null when removed or unknown. */
export function evolveWebhook(
  state: WebhookRegistered['data'] | null,
  event: WebhookEvent,
): WebhookRegistered['data'] | null {
  switch (event.type) {
    case 'WebhookRegistered':
      return event.data;
    case 'WebhookRemoved':
      return null;
    default: {
      const never: never = event;
      throw new Error(`unknown webhook event ${JSON.stringify(never)}`);
    }
  }
}
