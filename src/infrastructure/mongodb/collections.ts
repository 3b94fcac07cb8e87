/**
 * The MongoDB shape of the read models, as pure data and functions: collection names, index
 * definitions, and the bulk writes each commit issues. Kept apart from the driver calls so the rules
 * (natural keys, idempotent upserts, rebuild names) are unit-tested without a server.
 */
import { Binary, type AnyBulkWriteOperation, type IndexDescription } from 'mongodb';
import type { DailyUsageDoc } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { decodeSlots, encodeSlots, type MeterDayKey, type MeterDayRow } from '../../domain/billing/meter-day';
import type { Preparation, PriceDay } from '../../ports/billing-read-model';
import type { RejectedRowRecord } from '../../ports/upload-read-model';
import type { UploadStatusDoc } from '../../domain/readings/upload-status';

export const UPLOADS = 'uploads';
export const REJECTED_ROWS = 'rejected_rows';
export const PRICES = 'prices';
export const DAILY_USAGE = 'daily_usage';
export const STAGED_BATCHES = 'staged_batches';
export const APPLIED_UPLOADS = 'applied_uploads';
export const PENDING_DAYS = 'pending_days';
export const PREPARED_UPLOADS = 'prepared_uploads';
export const INVOICES = 'invoices';
export const CHECKPOINTS = 'projection_checkpoints';
export const VERSIONS = 'projection_versions';
export const LEASES = 'projector_lease';
export const GENERATIONS = 'read_model_generations';
export const ACCOUNTS = 'accounts';
export const ISSUED = 'issued_invoices';

/** The collections of each projection's read model, renamed together when a rebuild is promoted. */
export const UPLOAD_COLLECTIONS = [UPLOADS, REJECTED_ROWS] as const;
export const BILLING_COLLECTIONS = [
  PRICES,
  DAILY_USAGE,
  PENDING_DAYS,
  PREPARED_UPLOADS,
  STAGED_BATCHES,
  APPLIED_UPLOADS,
  INVOICES,
] as const;

export const ACCOUNT_COLLECTIONS = [ACCOUNTS, ISSUED] as const;

/** One unique index per natural key, plus what the queries filter and sort on. */
export const INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  [UPLOADS]: [
    { key: { uploadId: 1 }, name: 'uploadId_unique', unique: true },
    { key: { seq: -1 }, name: 'seq_unique', unique: true },
    { key: { sha256: 1, status: 1, duplicateOf: 1, seq: 1 }, name: 'sha256_validated' },
    { key: { status: 1, seq: 1 }, name: 'status_seq' },
  ],
  [REJECTED_ROWS]: [{ key: { uploadId: 1, line: 1 }, name: 'upload_line_unique', unique: true }],
  [STAGED_BATCHES]: [{ key: { uploadId: 1, batch: 1 }, name: 'upload_batch_unique', unique: true }],
  [APPLIED_UPLOADS]: [{ key: { uploadId: 1 }, name: 'upload_unique', unique: true }],
  [PENDING_DAYS]: [{ key: { uploadId: 1, meter: 1, date: 1 }, name: 'upload_meter_date_unique', unique: true }],
  [PREPARED_UPLOADS]: [{ key: { uploadId: 1 }, name: 'upload_unique', unique: true }],
  [PRICES]: [
    { key: { market: 1, start: 1 }, name: 'market_start_unique', unique: true },
    { key: { market: 1, deliveryDate: 1 }, name: 'market_delivery_date' },
  ],
  [DAILY_USAGE]: [
    { key: { meter: 1, date: 1 }, name: 'meter_date_unique', unique: true },
    { key: { date: 1, meter: 1 }, name: 'date_meter' },
  ],
  [ACCOUNTS]: [
    { key: { id: 1 }, name: 'id_unique', unique: true },
    { key: { 'meters.from': 1, 'meters.to': 1 }, name: 'meter_range' },
  ],
  [ISSUED]: [
    { key: { number: 1 }, name: 'number_unique', unique: true },
    { key: { accountId: 1, month: -1, number: 1 }, name: 'account_month' },
    { key: { month: 1, number: 1 }, name: 'month_number' },
  ],
  [INVOICES]: [
    { key: { month: 1, meter: 1 }, name: 'month_meter_unique', unique: true },
    { key: { meter: 1, month: -1 }, name: 'meter_month' },
  ],
};

/** A collection in a generation: `uploads__a`, or `uploads` for the one made before generations existed. */
export function collectionName(base: string, suffix: string): string {
  return `${base}${suffix}`;
}

/** The generation a rebuild writes while `live` is read: always the other of the two. */
export function rebuildGeneration(live: string): string {
  return live === '__a' ? '__b' : '__a';
}

/**
 * Generations neither live nor being built, cleared when a rebuild starts: the pre-generation one (''),
 * and '__rebuild' copies an older version may have left.
 */
export function retiredGenerations(live: string, target: string): string[] {
  return ['', '__a', '__b', '__rebuild'].filter((suffix) => suffix !== live && suffix !== target);
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

/** A meter-day as stored: its daily figures, and its slots compact (`encodeSlots`) as binary. */
export interface MeterDayDocument extends DailyUsageDoc {
  dayStart: number;
  intervalMinutes: number;
  slots: Binary;
}

/** A readings event's batch (its binary payload), kept until its upload is validated or dropped. */
export interface StagedBatchDocument {
  uploadId: string;
  batch: number;
  data: Binary;
}

export interface AppliedUploadDocument {
  uploadId: string;
  position: string;
}

export function meterDayDocument(row: MeterDayRow): MeterDayDocument {
  const { values: _v, present: _p, marks: _m, markNames: _n, ...rest } = row;
  return { ...rest, slots: new Binary(encodeSlots(row)) };
}

export function meterDayOf(doc: MeterDayDocument): MeterDayRow {
  const { slots, ...rest } = doc;
  return { ...rest, ...decodeSlots(slots.value()) };
}

/** The daily figures of a meter-day document, without its slots (what the queries read). */
export const DAILY_FIELDS = {
  projection: { _id: 0, dayStart: 0, intervalMinutes: 0, slots: 0 },
} as const;

/** Documents of these (meter, date) keys: a query on the keys' meters and dates, narrowed to the exact keys here. */
export function keysFilter(keys: readonly MeterDayKey[]): { meter: { $in: string[] }; date: { $in: string[] } } {
  return {
    meter: { $in: [...new Set(keys.map((k) => k.meter))] },
    date: { $in: [...new Set(keys.map((k) => k.date))] },
  };
}

export function meterDayWrites(days: readonly MeterDayRow[]): AnyBulkWriteOperation<MeterDayDocument>[] {
  return days.map((day) => ({
    replaceOne: { filter: { meter: day.meter, date: day.date }, replacement: meterDayDocument(day), upsert: true },
  }));
}

/** A re-priced meter-day: its daily figures replaced, its slots left as they are. */
export function dayTotalsWrites(days: readonly DailyUsageDoc[]): AnyBulkWriteOperation<MeterDayDocument>[] {
  return days.map((day) => ({
    updateOne: { filter: { meter: day.meter, date: day.date }, update: { $set: { ...day } } },
  }));
}

/** How far an upload's pending meter-days are prepared (`Preparation`). */
export interface PreparedUploadDocument extends Preparation {
  uploadId: string;
}

/** An upload's meter-day prepared ahead of its taking effect. */
export interface PendingDayDocument extends MeterDayDocument {
  uploadId: string;
}

export function pendingDayWrites(
  uploadId: string,
  days: readonly MeterDayRow[],
): AnyBulkWriteOperation<PendingDayDocument>[] {
  return days.map((day) => ({
    replaceOne: {
      filter: { uploadId, meter: day.meter, date: day.date },
      replacement: { uploadId, ...meterDayDocument(day) },
      upsert: true,
    },
  }));
}

/** Pending days made billed days: the same document without the upload's id. */
export function appliedPendingWrites(
  pending: readonly PendingDayDocument[],
): AnyBulkWriteOperation<MeterDayDocument>[] {
  return pending.map(({ uploadId: _uploadId, ...day }) => ({
    replaceOne: { filter: { meter: day.meter, date: day.date }, replacement: day, upsert: true },
  }));
}

/** Staging a batch again (a redelivery) writes the same document. */
export function stagedBatchWrite(
  uploadId: string,
  batch: number,
  bytes: Uint8Array,
): AnyBulkWriteOperation<StagedBatchDocument> {
  return {
    replaceOne: {
      filter: { uploadId, batch },
      replacement: { uploadId, batch, data: new Binary(bytes) },
      upsert: true,
    },
  };
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

/** A filter on `meter` for every series key that starts with `prefix` (a range: the index serves it). */
export const prefixRange = (prefix: string): { $gte: string; $lt: string } => ({
  $gte: prefix,
  $lt: `${prefix}\uffff`,
});

/** A filter on `meter` for meters' billed import only: series keys of kinds and registers hold a `#`. */
export const BILLED_IMPORT_ONLY = { $not: /#/ } as const;
