import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import { BILLING_PROJECTION } from '../../projections/billing/projection';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import type {
  BillingChanges,
  BillingProjectionStore,
  BillingQueries,
  DailyTotalsRow,
  StoredReading,
} from '../../ports/billing-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import type { SqliteDatabase } from './database';
import { TableSet } from './table-set';

const TABLES = ['rm_readings', 'rm_prices', 'rm_daily_usage', 'rm_invoices'];
const INDEXES = [
  { table: 'rm_daily_usage', name: '_by_date', columns: 'date' },
  { table: 'rm_invoices', name: '_by_meter', columns: 'meter, month' },
  { table: 'rm_readings', name: '_by_start', columns: 'start_ms' },
];

interface DailyRow {
  meter: string;
  date: string;
  total_kwh_micro: number;
  min_kwh_micro: number;
  max_kwh_micro: number;
  intervals: number;
  expected_intervals: number;
  priced_intervals: number;
  priced_kwh_micro: number;
  cost_femto: string;
}

const toDaily = (row: DailyRow): DailyUsageDoc => ({
  meter: row.meter,
  date: row.date,
  totalKwhMicro: row.total_kwh_micro,
  minKwhMicro: row.min_kwh_micro,
  maxKwhMicro: row.max_kwh_micro,
  intervals: row.intervals,
  expectedIntervals: row.expected_intervals,
  pricedIntervals: row.priced_intervals,
  pricedKwhMicro: row.priced_kwh_micro,
  costFemto: row.cost_femto,
});

/** Readings, prices, daily usage and invoices in SQLite; `suffix` selects live or rebuild tables. */
export class SqliteBillingReadModel implements BillingProjectionStore, BillingQueries {
  readonly tables: TableSet;
  private readonly t: Record<'readings' | 'prices' | 'daily' | 'invoices', string>;

  constructor(
    private readonly db: SqliteDatabase,
    suffix = '',
  ) {
    this.tables = new TableSet(db, BILLING_PROJECTION, TABLES, suffix, INDEXES);
    this.t = {
      readings: this.tables.name('rm_readings'),
      prices: this.tables.name('rm_prices'),
      daily: this.tables.name('rm_daily_usage'),
      invoices: this.tables.name('rm_invoices'),
    };
    this.createTables();
  }

  private createTables(): void {
    const { t } = this;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${t.readings} (
        meter TEXT NOT NULL, start_ms INTEGER NOT NULL, kwh_micro INTEGER NOT NULL,
        PRIMARY KEY (meter, start_ms)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.prices} (
        market TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, price_micro INTEGER NOT NULL,
        delivery_date TEXT NOT NULL,
        PRIMARY KEY (market, start_ms)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.daily} (
        meter TEXT NOT NULL, date TEXT NOT NULL, total_kwh_micro INTEGER NOT NULL, min_kwh_micro INTEGER NOT NULL,
        max_kwh_micro INTEGER NOT NULL, intervals INTEGER NOT NULL, expected_intervals INTEGER NOT NULL,
        priced_intervals INTEGER NOT NULL, priced_kwh_micro INTEGER NOT NULL, cost_femto TEXT NOT NULL,
        PRIMARY KEY (meter, date)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.invoices} (
        month TEXT NOT NULL, meter TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (month, meter)) WITHOUT ROWID;
    `);
    this.tables.createIndexes();
  }

  getCheckpoint(): Promise<string | null> {
    return this.tables.checkpoints.get(this.tables.checkpointName);
  }

  readingsOf(meter: string, from: number, to: number): Promise<StoredReading[]> {
    return Promise.resolve(
      this.db
        .prepare<[string, number, number], StoredReading>(
          `SELECT start_ms AS start, kwh_micro AS kwhMicro FROM ${this.t.readings}
           WHERE meter = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
        )
        .all(meter, from, to),
    );
  }

  metersWithReadings(from: number, to: number): Promise<string[]> {
    return Promise.resolve(
      this.db
        .prepare<[number, number], { meter: string }>(
          `SELECT DISTINCT meter FROM ${this.t.readings} WHERE start_ms >= ? AND start_ms < ? ORDER BY meter`,
        )
        .all(from, to)
        .map((row) => row.meter),
    );
  }

  priceIntervals(market: string, from: number, to: number): Promise<PriceInterval[]> {
    return Promise.resolve(this.pricesSync(market, from, to));
  }

  private pricesSync(market: string, from: number, to: number): PriceInterval[] {
    return this.db
      .prepare<[string, number, number], PriceInterval>(
        `SELECT start_ms AS start, end_ms AS end, price_micro AS priceMicro FROM ${this.t.prices}
         WHERE market = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
      )
      .all(market, from, to);
  }

  dailyOf(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return Promise.resolve(
      this.db
        .prepare<[string, string, string], DailyRow>(
          `SELECT * FROM ${this.t.daily} WHERE meter = ? AND date >= ? AND date <= ? ORDER BY date`,
        )
        .all(meter, fromDate, toDate)
        .map(toDaily),
    );
  }

  commit(changes: BillingChanges): Promise<void> {
    const { t } = this;
    const upsertReading = this.db.prepare(
      `INSERT INTO ${t.readings} (meter, start_ms, kwh_micro) VALUES (?, ?, ?)
       ON CONFLICT (meter, start_ms) DO UPDATE SET kwh_micro = excluded.kwh_micro`,
    );
    const deletePriceDay = this.db.prepare(`DELETE FROM ${t.prices} WHERE market = ? AND delivery_date = ?`);
    const insertPrice = this.db.prepare(
      `INSERT OR REPLACE INTO ${t.prices} (market, start_ms, end_ms, price_micro, delivery_date) VALUES (?, ?, ?, ?, ?)`,
    );
    const upsertDaily = this.db.prepare(
      `INSERT OR REPLACE INTO ${t.daily} (meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals,
         expected_intervals, priced_intervals, priced_kwh_micro, cost_femto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const upsertInvoice = this.db.prepare(`INSERT OR REPLACE INTO ${t.invoices} (month, meter, doc) VALUES (?, ?, ?)`);
    this.db.transaction(() => {
      for (const r of changes.readings) upsertReading.run(r.meter, r.start, r.kwhMicro);
      for (const day of changes.priceDays) {
        deletePriceDay.run(day.market, day.deliveryDate);
        for (const p of day.intervals) insertPrice.run(day.market, p.start, p.end, p.priceMicro, day.deliveryDate);
      }
      for (const d of changes.daily) {
        upsertDaily.run(
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
        );
      }
      for (const invoice of changes.invoices) upsertInvoice.run(invoice.month, invoice.meter, JSON.stringify(invoice));
      this.tables.checkpoints.set(this.tables.checkpointName, changes.checkpoint);
    })();
    return Promise.resolve();
  }

  reset(): Promise<void> {
    this.tables.reset(() => this.createTables());
    return Promise.resolve();
  }

  /** Makes this (rebuild) copy the live one, with its checkpoint. */
  promote(): void {
    this.tables.promote();
  }

  // ---- queries (live tables) ----

  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return this.dailyOf(meter, fromDate, toDate);
  }

  dailyTotals(date: string): Promise<DailyTotalsRow | null> {
    const row = this.db
      .prepare<[string], { meters: number; total: number | null }>(
        `SELECT count(*) AS meters, sum(total_kwh_micro) AS total FROM ${this.t.daily} WHERE date = ? AND intervals > 0`,
      )
      .get(date);
    if (row === undefined || row.meters === 0) return Promise.resolve(null);
    return Promise.resolve({ date, meters: row.meters, totalKwhMicro: row.total ?? 0 });
  }

  meters(): Promise<string[]> {
    return Promise.resolve(
      this.db
        .prepare<[], { meter: string }>(`SELECT DISTINCT meter FROM ${this.t.daily} ORDER BY meter`)
        .all()
        .map((row) => row.meter),
    );
  }

  prices(market: string, from: number, to: number): Promise<PriceInterval[]> {
    return this.priceIntervals(market, from, to);
  }

  invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>> {
    const { t } = this;
    if (meter !== null) {
      const row = this.db
        .prepare<[string, string], { doc: string }>(`SELECT doc FROM ${t.invoices} WHERE month = ? AND meter = ?`)
        .get(month, meter);
      const items = row === undefined ? [] : [{ cursor: encodeCursor(0), node: JSON.parse(row.doc) as InvoiceDoc }];
      return Promise.resolve({ totalCount: items.length, hasNextPage: false, items });
    }
    const offset = after === null ? 0 : decodeCursor(after) + 1;
    const rows = this.db
      .prepare<[string, number, number], { doc: string }>(
        `SELECT doc FROM ${t.invoices} WHERE month = ? ORDER BY meter LIMIT ? OFFSET ?`,
      )
      .all(month, first + 1, offset);
    const total =
      this.db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${t.invoices} WHERE month = ?`).get(month)
        ?.n ?? 0;
    return Promise.resolve({
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((row, i) => ({
        cursor: encodeCursor(offset + i),
        node: JSON.parse(row.doc) as InvoiceDoc,
      })),
    });
  }

  invoice(id: string): Promise<InvoiceDoc | null> {
    const at = id.indexOf(':');
    if (at < 0) return Promise.resolve(null);
    const row = this.db
      .prepare<[string, string], { doc: string }>(`SELECT doc FROM ${this.t.invoices} WHERE month = ? AND meter = ?`)
      .get(id.slice(0, at), id.slice(at + 1));
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as InvoiceDoc));
  }

  latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]> {
    return Promise.resolve(
      this.db
        .prepare<[string, number], { doc: string }>(
          `SELECT doc FROM ${this.t.invoices} WHERE meter = ? ORDER BY month DESC LIMIT ?`,
        )
        .all(meter, count)
        .map((row) => JSON.parse(row.doc) as InvoiceDoc),
    );
  }

  /** Everything in the model, in key order, for comparing a rebuild with the live model. */
  dump(): Record<string, unknown[]> {
    const { t } = this;
    return {
      readings: this.db.prepare(`SELECT * FROM ${t.readings} ORDER BY meter, start_ms`).all(),
      prices: this.db.prepare(`SELECT * FROM ${t.prices} ORDER BY market, start_ms`).all(),
      daily: this.db.prepare(`SELECT * FROM ${t.daily} ORDER BY meter, date`).all(),
      invoices: this.db.prepare(`SELECT * FROM ${t.invoices} ORDER BY month, meter`).all(),
    };
  }
}
