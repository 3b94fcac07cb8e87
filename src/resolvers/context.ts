import type { WebhookService } from '../webhooks/webhook-service';
import type { InvoicingService } from '../invoicing/invoicing-service';
import type { AccountsQueries } from '../ports/accounts-read-model';
import type { ApiKeyService } from '../access/api-key-service';
import type { AccessRole } from '../domain/access/api-keys';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { UploadService } from '../ingestion/upload-service';
import type { PriceImportService } from '../pricing/price-import-service';
import type { PriceScrapeService } from '../pricing/scrape-service';
import type { ProjectionEngine } from '../projections/runner';
import type { BillingQueries } from '../ports/billing-read-model';
import type { ChannelUsage } from '../usage/channel-usage';
import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore } from '../ports/event-store';
import type { UploadQueries } from '../ports/upload-read-model';

export type Role = AccessRole;

/** What every resolver may use: the caller and the application services, built by the composition root. */
export interface Services {
  uploads: UploadService;
  uploadQueries: UploadQueries;
  eventStore: EventStore;
  consistency: ConsistencyWaiter;
  billing: BillingQueries;
  /** Usage by channel: a kind's or a register's days, and a meter's channels. */
  channelUsage: ChannelUsage;
  accountQueries: AccountsQueries;
  invoicing: InvoicingService;
  webhooks: WebhookService;
  /** The service's clock (issue dates, "the last n months"). */
  now: () => Date;
  /** The streams the read models are built from (the log's head for them). */
  streamPrefixes: readonly string[];
  billingSettings: { clock: ZonedClock; market: string };
  priceImport: PriceImportService;
  priceScrape: PriceScrapeService;
  projections: Pick<ProjectionEngine, 'rebuild'>;
  access: ApiKeyService;
  /** How long `fileValidation` waits for an upload that has not started before it ends with an error. */
  uploadWatchStartMs: number;
}

export interface GraphQLContext {
  role: Role | null;
  /** Who the caller is, for the audit trail (`uploadedBy`). */
  principal: string | null;
  /** The API key the caller sent, if any. */
  keyId: string | null;
  /** The client's address (behind TRUST_PROXY_HOPS proxies, as they forwarded it); absent over WebSocket. */
  clientAddress?: string;
  services: Services;
}
