import type { ZonedClock } from '../domain/time/zoned-time';
import type { UploadService } from '../ingestion/upload-service';
import type { PriceImportService } from '../pricing/price-import-service';
import type { PriceScrapeService } from '../pricing/scrape-service';
import type { ProjectionRunner } from '../projections/runner';
import type { BillingQueries } from '../ports/billing-read-model';
import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore } from '../ports/event-store';
import type { UploadQueries } from '../ports/upload-read-model';

export type Role = 'ADMIN' | 'VIEWER';

/** What every resolver may use: the caller and the application services, built by the composition root. */
export interface Services {
  uploads: UploadService;
  uploadQueries: UploadQueries;
  eventStore: EventStore;
  consistency: ConsistencyWaiter;
  billing: BillingQueries;
  billingSettings: { clock: ZonedClock; market: string };
  priceImport: PriceImportService;
  priceScrape: PriceScrapeService;
  projections: Pick<ProjectionRunner, 'rebuild'>;
  /** How long `fileValidation` waits for an upload that has not started before it ends with an error. */
  uploadWatchStartMs: number;
}

export interface GraphQLContext {
  role: Role | null;
  /** Who the caller is, for the audit trail (`uploadedBy`). */
  principal: string | null;
  services: Services;
}

/** Resolves the caller's role from a bearer token. With no tokens configured, everyone is an admin. */
export function roleFor(
  authorization: string | undefined,
  tokens: { adminToken: string | null; viewerToken: string | null },
): { role: Role | null; principal: string | null } {
  if (tokens.adminToken === null && tokens.viewerToken === null) return { role: 'ADMIN', principal: null };
  const token = authorization?.replace(/^Bearer\s+/i, '').trim();
  if (token !== undefined && token !== '' && token === tokens.adminToken) return { role: 'ADMIN', principal: 'admin' };
  if (token !== undefined && token !== '' && token === tokens.viewerToken)
    return { role: 'VIEWER', principal: 'viewer' };
  return { role: null, principal: null };
}
