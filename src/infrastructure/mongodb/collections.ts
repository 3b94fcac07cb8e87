/**
 * The MongoDB shape of the read models, as pure data and functions: collection names, index
 * definitions, and the bulk writes each commit issues. Kept apart from the driver calls so the rules
 * (natural keys, idempotent upserts, rebuild names) are unit-tested without a server.
 */
import type { AnyBulkWriteOperation, IndexDescription } from 'mongodb';
import type { DailyUsageDoc } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import type { BillingChanges, PriceDay } from '../../ports/billing-read-model';
import type { RejectedRowRecord } from '../../ports/upload-read-model';
import type { UploadStatusDoc } from '../../projections/upload-status/evolve';

export const UPLOADS = 'uploads';
export const REJECTED_ROWS = 'rejected_rows';
export const READINGS = 'readings';
export const PRICES = 'prices';
export const DAILY_USAGE = 'daily_usage';
export const INVOICES = 'invoices';
export const CHECKPOINTS = 'projection_checkpoints';
export const VERSIONS = 'projection_versions';
export const LEASES = 'projector_lease';

/** The collections of each projection's read model, renamed together when a rebuild is promoted. */
export const UPLOAD_COLLECTIONS = [UPLOADS, REJECTED_ROWS] as const;
export const BILLING_COLLECTIONS = [READINGS, PRICES, DAILY_USAGE, INVOICES] as const;

/** One unique index per natural key, plus what the queries filter and sort on. */
export const INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  [UPLOADS]: [
    { key: { uploadId: 1 }, name: 'uploadId_unique', unique: true },
    { key: { seq: -1 }, name: 'seq_unique', unique: true },
    { key: { sha256: 1, status: 1, duplicateOf: 1, seq: 1 }, name: 'sha256_validated' },
  ],
  [REJECTED_ROWS]: [{ key: { uploadId: 1, line: 1 }, name: 'upload_line_unique', unique: true }],
  [READINGS]: [
    { key: { meter: 1, start: 1 }, name: 'meter_start_unique', unique: true },
    { key: { start: 1, meter: 1 }, name: 'start_meter' },
  ],
  [PRICES]: [
    { key: { market: 1, start: 1 }, name: 'market_start_unique', unique: true },
    { key: { market: 1, deliveryDate: 1 }, name: 'market_delivery_date' },
  ],
  [DAILY_USAGE]: [
    { key: { meter: 1, date: 1 }, name: 'meter_date_unique', unique: true },
    { key: { date: 1 }, name: 'date' },
  ],
  [INVOICES]: [
    { key: { month: 1, meter: 1 }, name: 'month_meter_unique', unique: true },
    { key: { meter: 1, month: -1 }, name: 'meter_month' },
  ],
};

/** `uploads` for the live model, `uploads__rebuild` for a copy being rebuilt. */
export function collectionName(base: string, suffix: string): string {
  return `${base}${suffix}`;
}

export interface UploadDocument {
  uploadId: string;
  /** Listing order, assigned once when the upload first appears. */
  seq: number;
  sha256: string | null;
  status: string;
  duplicateOf: string | null;
  doc: UploadStatusDoc;
}

/**
 * Upserts of changed uploads. A new upload gets the next listing number, in the order of the batch; an
 * existing one keeps its number (`$setOnInsert` is never applied to it).
 */
export function uploadWrites(
  docs: readonly UploadStatusDoc[],
  existing: ReadonlySet<string>,
  maxSeq: number,
): AnyBulkWriteOperation<UploadDocument>[] {
  let seq = maxSeq;
  return docs.map((doc) => {
    const fields = { sha256: doc.sha256, status: doc.status, duplicateOf: doc.duplicateOf, doc };
    return {
      updateOne: {
        filter: { uploadId: doc.uploadId },
        update: existing.has(doc.uploadId) ? { $set: fields } : { $set: fields, $setOnInsert: { seq: ++seq } },
        upsert: true,
      },
    };
  });
}

/** Inserts of rejected rows keyed by (upload, line): a redelivered row matches and changes nothing. */
export function rejectedRowWrites(rows: readonly RejectedRowRecord[]): AnyBulkWriteOperation<RejectedRowRecord>[] {
  return rows.map((row) => ({
    updateOne: {
      filter: { uploadId: row.uploadId, line: row.line },
      update: { $setOnInsert: { raw: row.raw, reasons: row.reasons } },
      upsert: true,
    },
  }));
}

export interface ReadingDocument {
  meter: string;
  start: number;
  kwhMicro: number;
}

export function readingWrites(readings: BillingChanges['readings']): AnyBulkWriteOperation<ReadingDocument>[] {
  return readings.map((r) => ({
    updateOne: { filter: { meter: r.meter, start: r.start }, update: { $set: { kwhMicro: r.kwhMicro } }, upsert: true },
  }));
}

export interface PriceDocument {
  market: string;
  deliveryDate: string;
  start: number;
  end: number;
  priceMicro: number;
}

/**
 * A publication replaces its whole delivery day: delete the day, then upsert its intervals. Run
 * ordered; a repeat (redelivery) deletes and writes the same rows again.
 */
export function priceDayWrites(days: readonly PriceDay[]): AnyBulkWriteOperation<PriceDocument>[] {
  return days.flatMap((day): AnyBulkWriteOperation<PriceDocument>[] => [
    { deleteMany: { filter: { market: day.market, deliveryDate: day.deliveryDate } } },
    ...day.intervals.map((p) => ({
      updateOne: {
        filter: { market: day.market, start: p.start },
        update: { $set: { deliveryDate: day.deliveryDate, end: p.end, priceMicro: p.priceMicro } },
        upsert: true,
      },
    })),
  ]);
}

export function dailyWrites(daily: readonly DailyUsageDoc[]): AnyBulkWriteOperation<DailyUsageDoc>[] {
  return daily.map((doc) => ({
    replaceOne: { filter: { meter: doc.meter, date: doc.date }, replacement: { ...doc }, upsert: true },
  }));
}

export function invoiceWrites(invoices: readonly InvoiceDoc[]): AnyBulkWriteOperation<InvoiceDoc>[] {
  return invoices.map((doc) => ({
    replaceOne: { filter: { month: doc.month, meter: doc.meter }, replacement: { ...doc }, upsert: true },
  }));
}

/** Month and meter of an invoice id (`2026-10:MP-001`), or null when it is not one. */
export function parseInvoiceId(id: string): { month: string; meter: string } | null {
  const at = id.indexOf(':');
  if (at < 0) return null;
  return { month: id.slice(0, at), meter: id.slice(at + 1) };
}

/** Leaves out MongoDB's `_id` so documents read back equal what was written. */
export const WITHOUT_ID = { projection: { _id: 0 } } as const;

/** A connection string with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
