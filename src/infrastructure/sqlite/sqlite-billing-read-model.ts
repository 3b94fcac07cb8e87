import type { ProjectorFence } from '../../ports/projection-state';
import type { Statement } from 'better-sqlite3';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { decodeSlots, encodeSlots, type MeterDaySlots } from '../../domain/billing/meter-day';
import { BILLING_PROJECTION } from '../../projections/billing/projection';
import type {
  BillingAnswer,
  BillingProgram,
  BillingProjectionStore,
  BillingQueries,
  BillingRequest,
  DailyTotalsRow,
} from '../../ports/billing-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import { columnNames, statement, type SqliteDatabase } from './database';
import { TableSet } from './table-set';

const TABLES = [
  'rm_prices',
  'rm_daily_usage',
  'rm_day_slots',
  'rm_pending_days',
  'rm_prepared_uploads',
  'rm_staged_batches',
  'rm_applied_uploads',
  'rm_invoices',
];
const INDEXES = [
  { table: 'rm_daily_usage', name: '_by_date', columns: 'date, meter' },
  { table: 'rm_invoices', name: '_by_meter', columns: 'meter, month' },
  { table: 'rm_prices', name: '_by_day', columns: 'market, delivery_date' },
];

/** The daily figures, without the slots (what queries read), named as `DailyUsageDoc` has them. */
const DAILY_FIELDS = `meter, date, total_kwh_micro AS totalKwhMicro, min_kwh_micro AS minKwhMicro,
  max_kwh_micro AS maxKwhMicro, intervals, expected_intervals AS expectedIntervals,
  priced_intervals AS pricedIntervals, priced_kwh_micro AS pricedKwhMicro, cost_femto AS costFemto`;

interface SlotColumns {
  meter: string;
  date: string;
  interval_minutes: number;
  day_start: number;
  slots: Buffer;
}

const slotsOf = (row: SlotColumns): MeterDaySlots => ({
  meter: row.meter,
  date: row.date,
  dayStart: row.day_start,
  intervalMinutes: row.interval_minutes,
  ...decodeSlots(row.slots),
});

/**
 * Prices, billed meter-days (daily figures with their exact cost in one table, readings as slots in
 * another, so re-pricing a day rewrites only the small rows), staged batches of uploads not yet
 * validated, and invoices, in SQLite; `suffix` selects live or rebuild tables. A billing program
 * runs synchronously inside one transaction, so a batch takes effect whole and queries on this
 * connection never see half of it.
 */
export class SqliteBillingReadModel implements BillingProjectionStore, BillingQueries {
  readonly tables: TableSet;
  private readonly t: Record<
    'prices' | 'daily' | 'slots' | 'pending' | 'prepared' | 'staged' | 'applied' | 'invoices',
    string
  >;

  constructor(
    private readonly db: SqliteDatabase,
    suffix = '',
    fence: ProjectorFence | null = null,
  ) {
    this.tables = new TableSet(db, BILLING_PROJECTION, TABLES, suffix, INDEXES, fence);
    this.t = {
      prices: this.tables.name('rm_prices'),
      daily: this.tables.name('rm_daily_usage'),
      slots: this.tables.name('rm_day_slots'),
      pending: this.tables.name('rm_pending_days'),
      prepared: this.tables.name('rm_prepared_uploads'),
      staged: this.tables.name('rm_staged_batches'),
      applied: this.tables.name('rm_applied_uploads'),
      invoices: this.tables.name('rm_invoices'),
    };
    this.createTables();
  }

  private createTables(): void {
    const { t } = this;
    // Tables of earlier versions of this model (rebuilt from the log when the version changes).
    this.db.exec(
      `DROP TABLE IF EXISTS ${this.tables.name('rm_readings')}; DROP TABLE IF EXISTS ${this.tables.name('rm_staged_days')}`,
    );
    const daily = columnNames(this.db, t.daily);
    // Version 3 kept the slots in the daily table; version 2 had neither.
    if (daily.length > 0 && (daily.includes('slots') || !daily.includes('cost_femto')))
      this.db.exec(`DROP TABLE ${t.daily}`);
    // Version 4 recorded only that an upload was prepared whole.
    const prepared = columnNames(this.db, t.prepared);
    if (prepared.length > 0 && !prepared.includes('stale')) this.db.exec(`DROP TABLE ${t.prepared}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${t.prices} (
        market TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, price_micro INTEGER NOT NULL,
        delivery_date TEXT NOT NULL,
        PRIMARY KEY (market, start_ms)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.daily} (
        meter TEXT NOT NULL, date TEXT NOT NULL, total_kwh_micro INTEGER NOT NULL, min_kwh_micro INTEGER NOT NULL,
        max_kwh_micro INTEGER NOT NULL, intervals INTEGER NOT NULL, expected_intervals INTEGER NOT NULL,
        priced_intervals INTEGER NOT NULL, priced_kwh_micro INTEGER NOT NULL, cost_femto TEXT NOT NULL,
        PRIMARY KEY (meter, date)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.slots} (
        date TEXT NOT NULL, meter TEXT NOT NULL, interval_minutes INTEGER NOT NULL, day_start INTEGER NOT NULL,
        slots BLOB NOT NULL, PRIMARY KEY (date, meter));
      CREATE TABLE IF NOT EXISTS ${t.pending} (
        upload_id TEXT NOT NULL, meter TEXT NOT NULL, date TEXT NOT NULL, total_kwh_micro INTEGER NOT NULL,
        min_kwh_micro INTEGER NOT NULL, max_kwh_micro INTEGER NOT NULL, intervals INTEGER NOT NULL,
        expected_intervals INTEGER NOT NULL, priced_intervals INTEGER NOT NULL, priced_kwh_micro INTEGER NOT NULL,
        cost_femto TEXT NOT NULL, interval_minutes INTEGER NOT NULL, day_start INTEGER NOT NULL, slots BLOB NOT NULL,
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
    this.tables.createIndexes();
  }

  /** The connection's statement for this SQL, prepared once (`statement`). */
  private sql(text: string): Statement {
    return statement(this.db, text);
  }

  getCheckpoint(): Promise<string | null> {
    return this.tables.checkpoints.get(this.tables.checkpointName);
  }

  run(program: () => BillingProgram): Promise<void> {
    return this.tables.write(() => {
      const steps = program();
      let step = steps.next();
      while (step.done !== true) step = steps.next(this.answer(step.value));
    });
  }

  private answer(request: BillingRequest): BillingAnswer {
    const { t } = this;
    switch (request.op) {
      case 'stageBatch':
        this.sql(`INSERT OR REPLACE INTO ${t.staged} (upload_id, batch, data) VALUES (?, ?, ?)`).run(
          request.uploadId,
          request.batch,
          request.bytes,
        );
        return undefined;
      case 'stagedBatches':
        return (
          this.sql(`SELECT batch, data FROM ${t.staged} WHERE upload_id = ? AND batch > ? ORDER BY batch LIMIT ?`).all(
            request.uploadId,
            request.afterBatch,
            request.limit,
          ) as Array<{ batch: number; data: Buffer }>
        ).map((row) => ({ batch: row.batch, bytes: row.data }));
      case 'dropStaged':
        this.sql(`DELETE FROM ${t.staged} WHERE upload_id = ?`).run(request.uploadId);
        return undefined;
      case 'uploadApplied':
        return this.sql(`SELECT 1 FROM ${t.applied} WHERE upload_id = ?`).get(request.uploadId) !== undefined;
      case 'markApplied':
        this.sql(`INSERT OR REPLACE INTO ${t.applied} (upload_id, position) VALUES (?, ?)`).run(
          request.uploadId,
          request.position,
        );
        return undefined;
      case 'meterDays': {
        const select = this.sql(`SELECT * FROM ${t.slots} WHERE date = ? AND meter = ?`);
        return request.keys.flatMap((key) => {
          const row = select.get(key.date, key.meter) as SlotColumns | undefined;
          return row === undefined ? [] : [slotsOf(row)];
        });
      }
      case 'meterDaysOfDate':
        return (
          this.sql(`SELECT * FROM ${t.slots} WHERE date = ? AND meter > ? ORDER BY meter LIMIT ?`).all(
            request.date,
            request.afterMeter ?? '',
            request.limit,
          ) as SlotColumns[]
        ).map(slotsOf);
      case 'putMeterDays': {
        const putSlots = this.sql(
          `INSERT OR REPLACE INTO ${t.slots} (date, meter, interval_minutes, day_start, slots) VALUES (?, ?, ?, ?, ?)`,
        );
        const putDaily = this.sql(
          `INSERT OR REPLACE INTO ${t.daily} (meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals,
             expected_intervals, priced_intervals, priced_kwh_micro, cost_femto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const d of request.days) {
          putSlots.run(d.date, d.meter, d.intervalMinutes, d.dayStart, encodeSlots(d));
          putDaily.run(...dailyValues(d));
        }
        return undefined;
      }
      case 'putDayTotals': {
        const update = this.sql(
          `UPDATE ${t.daily} SET total_kwh_micro = ?, min_kwh_micro = ?, max_kwh_micro = ?, intervals = ?,
             expected_intervals = ?, priced_intervals = ?, priced_kwh_micro = ?, cost_femto = ?
           WHERE meter = ? AND date = ?`,
        );
        for (const d of request.days) {
          const [meter, date, ...figures] = dailyValues(d);
          update.run(...figures, meter, date);
        }
        return undefined;
      }
      case 'pendingDays': {
        const select = this.sql(
          `SELECT meter, date, interval_minutes, day_start, slots FROM ${t.pending} WHERE upload_id = ? AND meter = ? AND date = ?`,
        );
        return request.keys.flatMap((key) => {
          const row = select.get(request.uploadId, key.meter, key.date) as SlotColumns | undefined;
          return row === undefined ? [] : [slotsOf(row)];
        });
      }
      case 'putPendingDays': {
        const put = this.sql(
          `INSERT OR REPLACE INTO ${t.pending} (upload_id, meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro,
             intervals, expected_intervals, priced_intervals, priced_kwh_micro, cost_femto, interval_minutes, day_start,
             slots) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const d of request.days) {
          put.run(request.uploadId, ...dailyValues(d), d.intervalMinutes, d.dayStart, encodeSlots(d));
        }
        return undefined;
      }
      case 'preparation': {
        const row = this.sql(`SELECT through_batch, complete, stale FROM ${t.prepared} WHERE upload_id = ?`).get(
          request.uploadId,
        ) as { through_batch: number; complete: number; stale: number } | undefined;
        return row === undefined
          ? null
          : { throughBatch: row.through_batch, complete: row.complete === 1, stale: row.stale === 1 };
      }
      case 'putPreparation': {
        const { throughBatch, complete, stale } = request.preparation;
        this.sql(
          `INSERT OR REPLACE INTO ${t.prepared} (upload_id, through_batch, complete, stale) VALUES (?, ?, ?, ?)`,
        ).run(request.uploadId, throughBatch, complete ? 1 : 0, stale ? 1 : 0);
        return undefined;
      }
      case 'stalePreparations':
        this.sql(`UPDATE ${t.prepared} SET stale = 1 WHERE stale = 0 AND upload_id IS NOT ?`).run(request.except);
        return undefined;
      case 'applyPending': {
        const ready = this.sql(`SELECT 1 FROM ${t.prepared} WHERE upload_id = ? AND complete = 1 AND stale = 0`);
        if (ready.get(request.uploadId) === undefined) {
          return { prepared: false, touched: [] };
        }
        // Row by row inside SQLite: no day passes through JavaScript, so the commit stays short.
        this.sql(
          `INSERT OR REPLACE INTO ${t.slots} (date, meter, interval_minutes, day_start, slots)
           SELECT date, meter, interval_minutes, day_start, slots FROM ${t.pending} WHERE upload_id = ?`,
        ).run(request.uploadId);
        this.sql(
          `INSERT OR REPLACE INTO ${t.daily} (meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals,
             expected_intervals, priced_intervals, priced_kwh_micro, cost_femto)
           SELECT meter, date, total_kwh_micro, min_kwh_micro, max_kwh_micro, intervals, expected_intervals,
             priced_intervals, priced_kwh_micro, cost_femto FROM ${t.pending} WHERE upload_id = ?`,
        ).run(request.uploadId);
        const touched = this.sql(
          `SELECT DISTINCT meter, substr(date, 1, 7) AS month FROM ${t.pending} WHERE upload_id = ?`,
        ).all(request.uploadId) as Array<{ meter: string; month: string }>;
        return { prepared: true, touched };
      }
      case 'dropPending':
        this.sql(`DELETE FROM ${t.pending} WHERE upload_id = ?`).run(request.uploadId);
        this.sql(`DELETE FROM ${t.prepared} WHERE upload_id = ?`).run(request.uploadId);
        return undefined;
      case 'prices':
        return this.pricesSync(request.market, request.from, request.to);
      case 'putPriceDay': {
        const { day } = request;
        this.sql(`DELETE FROM ${t.prices} WHERE market = ? AND delivery_date = ?`).run(day.market, day.deliveryDate);
        const insert = this.sql(
          `INSERT OR REPLACE INTO ${t.prices} (market, start_ms, end_ms, price_micro, delivery_date) VALUES (?, ?, ?, ?, ?)`,
        );
        for (const p of day.intervals) insert.run(day.market, p.start, p.end, p.priceMicro, day.deliveryDate);
        return undefined;
      }
      case 'dailyOfMonth':
        return this.sql(
          `SELECT ${DAILY_FIELDS} FROM ${t.daily}
           WHERE meter IN (SELECT value FROM json_each(?)) AND date >= ? AND date <= ? ORDER BY meter, date`,
        ).all(JSON.stringify(request.meters), `${request.month}-01`, `${request.month}-31`) as DailyUsageDoc[];
      case 'putInvoices': {
        const put = this.sql(`INSERT OR REPLACE INTO ${t.invoices} (month, meter, doc) VALUES (?, ?, ?)`);
        for (const invoice of request.invoices) put.run(invoice.month, invoice.meter, JSON.stringify(invoice));
        return undefined;
      }
      case 'checkpoint':
        this.tables.checkpoints.set(this.tables.checkpointName, request.position);
        return undefined;
      default: {
        const unhandled: never = request;
        throw new Error(`unknown billing request ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private pricesSync(market: string, from: number, to: number): PriceInterval[] {
    return this.sql(
      `SELECT start_ms AS start, end_ms AS end, price_micro AS priceMicro FROM ${this.t.prices}
       WHERE market = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
    ).all(market, from, to) as PriceInterval[];
  }

  private dailySync(meter: string, fromDate: string, toDate: string): DailyUsageDoc[] {
    return this.sql(
      `SELECT ${DAILY_FIELDS} FROM ${this.t.daily} WHERE meter = ? AND date >= ? AND date <= ? ORDER BY date`,
    ).all(meter, fromDate, toDate) as DailyUsageDoc[];
  }

  reset(): Promise<void> {
    this.tables.reset(() => this.createTables());
    return Promise.resolve();
  }

  /** Makes this (rebuild) copy the live one, with its checkpoint. */
  promote(): void {
    this.tables.promote();
  }

  daySlots(meter: string, fromDate: string, toDate: string): Promise<MeterDaySlots[]> {
    const rows = this.sql(
      `SELECT * FROM ${this.t.slots} WHERE meter = ? AND date >= ? AND date <= ? ORDER BY date`,
    ).all(meter, fromDate, toDate) as SlotColumns[];
    return Promise.resolve(rows.map(slotsOf));
  }

  // ---- queries (live tables) ----

  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return Promise.resolve(this.dailySync(meter, fromDate, toDate));
  }

  dailyUsagePage(
    range: { fromDate: string; toDate: string; meter: string | null },
    after: { meter: string; date: string } | null,
    limit: number,
  ): Promise<DailyUsageDoc[]> {
    const key = after ?? { meter: '', date: '' };
    const rows =
      range.meter === null
        ? this.sql(
            `SELECT ${DAILY_FIELDS} FROM ${this.t.daily} WHERE (meter, date) > (?, ?) AND date >= ? AND date <= ?
             ORDER BY meter, date LIMIT ?`,
          ).all(key.meter, key.date, range.fromDate, range.toDate, limit)
        : this.sql(
            `SELECT ${DAILY_FIELDS} FROM ${this.t.daily} WHERE meter = ? AND date > ? AND date >= ? AND date <= ?
             ORDER BY date LIMIT ?`,
          ).all(
            range.meter,
            after === null || after.meter !== range.meter ? '' : key.date,
            range.fromDate,
            range.toDate,
            limit,
          );
    return Promise.resolve(rows as DailyUsageDoc[]);
  }

  dailyTotals(date: string): Promise<DailyTotalsRow | null> {
    const row = this.sql(
      `SELECT count(*) AS meters, sum(total_kwh_micro) AS total FROM ${this.t.daily} WHERE date = ? AND intervals > 0`,
    ).get(date) as { meters: number; total: number | null } | undefined;
    if (row === undefined || row.meters === 0) return Promise.resolve(null);
    return Promise.resolve({ date, meters: row.meters, totalKwhMicro: row.total ?? 0 });
  }

  meters(): Promise<string[]> {
    return Promise.resolve(
      (this.sql(`SELECT DISTINCT meter FROM ${this.t.daily} ORDER BY meter`).all() as Array<{ meter: string }>).map(
        (row) => row.meter,
      ),
    );
  }

  prices(market: string, from: number, to: number): Promise<PriceInterval[]> {
    return Promise.resolve(this.pricesSync(market, from, to));
  }

  invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>> {
    const { t } = this;
    if (meter !== null) {
      const row = this.sql(`SELECT doc FROM ${t.invoices} WHERE month = ? AND meter = ?`).get(month, meter) as
        { doc: string } | undefined;
      const items = row === undefined ? [] : [{ cursor: encodeCursor(0), node: JSON.parse(row.doc) as InvoiceDoc }];
      return Promise.resolve({ totalCount: items.length, hasNextPage: false, items });
    }
    const offset = after === null ? 0 : decodeCursor(after) + 1;
    const rows = this.sql(`SELECT doc FROM ${t.invoices} WHERE month = ? ORDER BY meter LIMIT ? OFFSET ?`).all(
      month,
      first + 1,
      offset,
    ) as Array<{ doc: string }>;
    const total = (this.sql(`SELECT count(*) AS n FROM ${t.invoices} WHERE month = ?`).get(month) as { n: number }).n;
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
    const row = this.sql(`SELECT doc FROM ${this.t.invoices} WHERE month = ? AND meter = ?`).get(
      id.slice(0, at),
      id.slice(at + 1),
    ) as { doc: string } | undefined;
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as InvoiceDoc));
  }

  latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]> {
    return Promise.resolve(
      (
        this.sql(`SELECT doc FROM ${this.t.invoices} WHERE meter = ? ORDER BY month DESC LIMIT ?`).all(
          meter,
          count,
        ) as Array<{
          doc: string;
        }>
      ).map((row) => JSON.parse(row.doc) as InvoiceDoc),
    );
  }

  /** Everything in the model, in key order, for comparing a rebuild with the live model. */
  dump(): Record<string, unknown[]> {
    const { t } = this;
    return {
      prices: this.db.prepare(`SELECT * FROM ${t.prices} ORDER BY market, start_ms`).all(),
      daily: this.db.prepare(`SELECT * FROM ${t.daily} ORDER BY meter, date`).all(),
      slots: this.db.prepare(`SELECT * FROM ${t.slots} ORDER BY date, meter`).all(),
      pending: this.db.prepare(`SELECT * FROM ${t.pending} ORDER BY upload_id, meter, date`).all(),
      prepared: this.db.prepare(`SELECT * FROM ${t.prepared} ORDER BY upload_id`).all(),
      staged: this.db.prepare(`SELECT * FROM ${t.staged} ORDER BY upload_id, batch`).all(),
      applied: this.db.prepare(`SELECT * FROM ${t.applied} ORDER BY upload_id`).all(),
      invoices: this.db.prepare(`SELECT * FROM ${t.invoices} ORDER BY month, meter`).all(),
    };
  }
}

/** A meter-day's daily figures as bound parameters, in column order. */
function dailyValues(
  d: DailyUsageDoc,
): [string, string, number, number, number, number, number, number, number, string] {
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
  ];
}
