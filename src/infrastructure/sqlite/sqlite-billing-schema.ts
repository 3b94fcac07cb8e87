/**
 * The billing read model's tables in SQLite: their names (live or a rebuild's), their creation and the
 * migrations from earlier versions, and the row shapes both the program's interpreter and the queries use.
 */
import type { DailyUsageDoc } from '../../domain/billing/daily-usage';
import { decodeSlots, type MeterDaySlots } from '../../domain/billing/meter-day';
import { columnNames, type SqliteDatabase } from './database';
import type { TableSet } from './table-set';

export const TABLES = [
  'rm_prices',
  'rm_daily_usage',
  'rm_day_slots',
  'rm_pending_days',
  'rm_prepared_uploads',
  'rm_staged_batches',
  'rm_applied_uploads',
  'rm_invoices',
];
export const INDEXES = [
  { table: 'rm_daily_usage', name: '_by_date', columns: 'date, meter' },
  { table: 'rm_invoices', name: '_by_meter', columns: 'meter, month' },
  { table: 'rm_prices', name: '_by_day', columns: 'market, delivery_date' },
];

/** The daily figures, without the slots (what queries read), named as `DailyUsageDoc` has them. */
export const DAILY_FIELDS = `meter, date, total_kwh_micro AS totalKwhMicro, min_kwh_micro AS minKwhMicro,
  max_kwh_micro AS maxKwhMicro, intervals, expected_intervals AS expectedIntervals,
  priced_intervals AS pricedIntervals, priced_kwh_micro AS pricedKwhMicro, cost_femto AS costFemto,
  quality_marks AS qualityMarks`;

export interface SlotColumns {
  meter: string;
  date: string;
  interval_minutes: number;
  day_start: number;
  slots: Buffer;
}

export const slotsOf = (row: SlotColumns): MeterDaySlots => ({
  meter: row.meter,
  date: row.date,
  dayStart: row.day_start,
  intervalMinutes: row.interval_minutes,
  ...decodeSlots(row.slots),
});

/** The tables' names in the set in use (live, or a rebuild's copy). */
export type BillingTableNames = Record<
  'prices' | 'daily' | 'slots' | 'pending' | 'prepared' | 'staged' | 'applied' | 'invoices',
  string
>;

export function billingTableNames(tables: TableSet): BillingTableNames {
  return {
    prices: tables.name('rm_prices'),
    daily: tables.name('rm_daily_usage'),
    slots: tables.name('rm_day_slots'),
    pending: tables.name('rm_pending_days'),
    prepared: tables.name('rm_prepared_uploads'),
    staged: tables.name('rm_staged_batches'),
    applied: tables.name('rm_applied_uploads'),
    invoices: tables.name('rm_invoices'),
  };
}

/** The model as its parts reach it: the connection, the table set and its names. */
export interface BillingModel {
  db: SqliteDatabase;
  tables: TableSet;
  t: BillingTableNames;
}

export function createBillingTables(db: SqliteDatabase, tables: TableSet, t: BillingTableNames): void {
  // Tables of earlier versions of this model (rebuilt from the log when the version changes).
  db.exec(`DROP TABLE IF EXISTS ${tables.name('rm_readings')}; DROP TABLE IF EXISTS ${tables.name('rm_staged_days')}`);
  const daily = columnNames(db, t.daily);
  // Version 3 kept the slots in the daily table; version 2 had neither.
  // Version 5 kept no quality marks.
  if (
    daily.length > 0 &&
    (daily.includes('slots') || !daily.includes('cost_femto') || !daily.includes('quality_marks'))
  )
    db.exec(`DROP TABLE ${t.daily}`);
  const pendingColumns = columnNames(db, t.pending);
  if (pendingColumns.length > 0 && !pendingColumns.includes('quality_marks')) db.exec(`DROP TABLE ${t.pending}`);
  // Version 4 recorded only that an upload was prepared whole.
  const prepared = columnNames(db, t.prepared);
  if (prepared.length > 0 && !prepared.includes('stale')) db.exec(`DROP TABLE ${t.prepared}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${t.prices} (
      market TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, price_micro INTEGER NOT NULL,
      delivery_date TEXT NOT NULL,
      PRIMARY KEY (market, start_ms)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t.daily} (
      meter TEXT NOT NULL, date TEXT NOT NULL, total_kwh_micro INTEGER NOT NULL, min_kwh_micro INTEGER NOT NULL,
      max_kwh_micro INTEGER NOT NULL, intervals INTEGER NOT NULL, expected_intervals INTEGER NOT NULL,
      priced_intervals INTEGER NOT NULL, priced_kwh_micro INTEGER NOT NULL, cost_femto TEXT NOT NULL,
      quality_marks TEXT NOT NULL DEFAULT '',
      PRIMARY KEY (meter, date)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t.slots} (
      date TEXT NOT NULL, meter TEXT NOT NULL, interval_minutes INTEGER NOT NULL, day_start INTEGER NOT NULL,
      slots BLOB NOT NULL, PRIMARY KEY (date, meter));
    CREATE TABLE IF NOT EXISTS ${t.pending} (
      upload_id TEXT NOT NULL, meter TEXT NOT NULL, date TEXT NOT NULL, total_kwh_micro INTEGER NOT NULL,
      min_kwh_micro INTEGER NOT NULL, max_kwh_micro INTEGER NOT NULL, intervals INTEGER NOT NULL,
      expected_intervals INTEGER NOT NULL, priced_intervals INTEGER NOT NULL, priced_kwh_micro INTEGER NOT NULL,
      cost_femto TEXT NOT NULL, quality_marks TEXT NOT NULL DEFAULT '', interval_minutes INTEGER NOT NULL,
      day_start INTEGER NOT NULL, slots BLOB NOT NULL,
      PRIMARY KEY (upload_id, meter, date));
    CREATE TABLE IF NOT EXISTS ${t.prepared} (
      upload_id TEXT NOT NULL PRIMARY KEY, through_batch INTEGER NOT NULL, complete INTEGER NOT NULL,
      stale INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t.staged} (
      upload_id TEXT NOT NULL, batch INTEGER NOT NULL, data BLOB NOT NULL,
      PRIMARY KEY (upload_id, batch));
    CREATE TABLE IF NOT EXISTS ${t.applied} (
      upload_id TEXT NOT NULL PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t.invoices} (
      month TEXT NOT NULL, meter TEXT NOT NULL, doc TEXT NOT NULL,
      PRIMARY KEY (month, meter)) WITHOUT ROWID;
  `);
  tables.createIndexes();
}

/** A meter-day's daily figures as bound parameters, in column order. */
export function dailyValues(
  d: DailyUsageDoc,
): [string, string, number, number, number, number, number, number, number, string, string] {
  return [
    d.meter,
    d.date,
    d.totalKwhMicro,
    d.minKwhMicro,
    d.maxKwhMicro,
    d.intervals,
    d.expectedIntervals,
    d.pricedIntervals,
    d.pricedKwhMicro,
    d.costFemto,
    d.qualityMarks ?? '',
  ];
}
