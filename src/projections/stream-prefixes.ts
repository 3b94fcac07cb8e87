import { ACCOUNT_STREAM_PREFIX, INVOICE_STREAM_PREFIX, METER_STREAM_PREFIX } from '../domain/accounts/events';
import { PRICE_STREAM_PREFIX } from '../domain/billing/prices-events';
import { UPLOAD_STREAM_PREFIX } from '../domain/readings/events';

/** The streams the projections read: subscriptions to the whole log filter on these on the server. */
export const SERVICE_STREAM_PREFIXES: readonly string[] = [
  UPLOAD_STREAM_PREFIX,
  PRICE_STREAM_PREFIX,
  ACCOUNT_STREAM_PREFIX,
  METER_STREAM_PREFIX,
  INVOICE_STREAM_PREFIX,
];
