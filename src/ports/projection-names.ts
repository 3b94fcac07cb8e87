/**
 * The names the projections' checkpoints, versions and read-model tables are kept under: shared by the
 * projections and the stores that keep their state, so neither imports the other.
 */
export const UPLOAD_STATUS_PROJECTION = 'upload-status';
export const BILLING_PROJECTION = 'billing';
export const ACCOUNTS_PROJECTION = 'accounts';
