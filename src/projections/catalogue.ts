/**
 * The service's projections: their names, the versions of their read models, and how each is made over a
 * read store's models. The entry points (API, projector thread, replay tool) all run this one list.
 */
import type { AccountsProjectionStore } from '../ports/accounts-read-model';
import { ACCOUNTS_PROJECTION, BILLING_PROJECTION, UPLOAD_STATUS_PROJECTION } from '../ports/projection-names';
import type { BillingProjectionStore } from '../ports/billing-read-model';
import type { UploadProjectionStore } from '../ports/upload-read-model';
import { AccountsProjection } from './accounts/projection';
import { BillingProjection } from './billing/projection';
import type { BillingRules } from './billing/rules';
import type { ProjectionDefinition } from './projection';
import { UploadStatusProjection } from './upload-status/projection';

/** Versions of the projections' read models: bump when a model's shape or rules change (rebuilt on start). */
export const PROJECTION_VERSIONS = {
  [UPLOAD_STATUS_PROJECTION]: 2, // 2: listing order assigned once per upload
  [ACCOUNTS_PROJECTION]: 2, // 2: accounts carry their billing details
  [BILLING_PROJECTION]: 6, // 2: meter-day rows; an upload's readings take effect when it is validated
  // 3: readings staged as their batches, applied uploads recorded, slots stored compact
  // 4: SQLite keeps a meter-day's slots apart from its daily figures (re-pricing rewrites the small rows)
  // 5: uploads prepared ahead as their readings come; a preparation records how far it got and if it went stale
  // 6: channels: registers and other kinds kept as series of their meter; invoices value the export
} as const;

/** A read model over live tables or collections (suffix '') or over a rebuild copy, and how to swap the copy in. */
export interface ReadModelFactory<Store> {
  (suffix: string): Store & { promote(): Promise<void> | void };
}

/** The read models one store offers the projections. */
export interface ProjectedModels {
  uploads: ReadModelFactory<UploadProjectionStore>;
  billing: ReadModelFactory<BillingProjectionStore>;
  accounts: ReadModelFactory<AccountsProjectionStore>;
}

/** The service's projections over one read store's models. */
export function projectionCatalogue(models: ProjectedModels, rules: BillingRules): ProjectionDefinition[] {
  return [
    {
      name: UPLOAD_STATUS_PROJECTION,
      version: PROJECTION_VERSIONS[UPLOAD_STATUS_PROJECTION],
      create: (suffix) => new UploadStatusProjection(models.uploads(suffix)),
      promote: async (suffix) => models.uploads(suffix).promote(),
    },
    {
      name: BILLING_PROJECTION,
      version: PROJECTION_VERSIONS[BILLING_PROJECTION],
      create: (suffix) => new BillingProjection(models.billing(suffix), rules),
      promote: async (suffix) => models.billing(suffix).promote(),
    },
    {
      name: ACCOUNTS_PROJECTION,
      version: PROJECTION_VERSIONS[ACCOUNTS_PROJECTION],
      create: (suffix) => new AccountsProjection(models.accounts(suffix)),
      promote: async (suffix) => models.accounts(suffix).promote(),
    },
  ];
}
