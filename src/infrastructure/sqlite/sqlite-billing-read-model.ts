import type { Statement } from 'better-sqlite3';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import type { MeterDayRow, MeterDaySlots } from '../../domain/billing/meter-day';
import { seriesOf, seriesPrefix } from '../../domain/billing/series';
import type {
  BillingProgram,
  BillingProjectionStore,
  BillingQueries,
  DailyTotalsRow,
} from '../../ports/billing-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import type { ProjectorFence } from '../../ports/projection-state';
import { BILLING_PROJECTION } from '../../ports/projection-names';
import { prefixEnd, statement, type SqliteDatabase } from './database';
import { answerBillingRequest, priceRows } from './sqlite-billing-interpreter';
import {
  billingTableNames,
  createBillingTables,
  DAILY_FIELDS,
  INDEXES,
  slotsOf,
  TABLES,
  type BillingTableNames,
  type SlotColumns,
} from './sqlite-billing-schema';
import { TableSet } from './table-set';

/**
 * Prices, billed meter-days (daily figures with their exact cost in one table, readings as slots in
 * another, so re-pricing a day rewrites only the small rows), staged batches of uploads not yet
 * validated, and invoices, in SQLite; `suffix` selects live or rebuild tables. A billing program
 * runs synchronously inside one transaction, so a batch takes effect whole and queries on this
 * connection never see half of it.
 */
export class SqliteBillingReadModel implements BillingProjectionStore, BillingQueries {
  readonly tables: TableSet;
  readonly t: BillingTableNames;

  constructor(
    readonly db: SqliteDatabase,
    suffix = '',
    fence: ProjectorFence | null = null,
  ) {
    this.tables = new TableSet(db, BILLING_PROJECTION, TABLES, suffix, INDEXES, fence);
    this.t = billingTableNames(this.tables);
    this.createTables();
  }

  private createTables(): void {
    createBillingTables(this.db, this.tables, this.t);
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
      while (step.done !== true) step = steps.next(answerBillingRequest(this, step.value));
    });
  }

  private pricesSync(market: string, from: number, to: number): PriceInterval[] {
    return priceRows(this, market, from, to);
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

  seriesDays(prefix: string, fromDate: string, toDate: string): Promise<MeterDayRow[]> {
    const rows = this.sql(
      `SELECT d.*, s.interval_minutes, s.day_start, s.slots
       FROM (SELECT ${DAILY_FIELDS} FROM ${this.t.daily} WHERE meter >= ? AND meter < ? AND date >= ? AND date <= ?) d
       JOIN ${this.t.slots} s ON s.date = d.date AND s.meter = d.meter ORDER BY d.date, d.meter`,
    ).all(prefix, prefixEnd(prefix), fromDate, toDate) as Array<DailyUsageDoc & SlotColumns>;
    return Promise.resolve(
      rows.map((row) => {
        const { interval_minutes: _i, day_start: _d, slots: _s, ...daily } = row;
        return { ...daily, ...slotsOf(row) };
      }),
    );
  }

  seriesOfMeter(meter: string): Promise<Array<{ key: string; intervalMinutes: number[] }>> {
    const rows = this.sql(
      `SELECT meter, group_concat(DISTINCT interval_minutes) AS minutes FROM ${this.t.slots}
       WHERE meter = ? OR (meter >= ? AND meter < ?) GROUP BY meter ORDER BY meter`,
    ).all(meter, seriesPrefix(meter), prefixEnd(seriesPrefix(meter))) as Array<{ meter: string; minutes: string }>;
    return Promise.resolve(
      rows.map((row) => ({
        key: row.meter,
        intervalMinutes: row.minutes
          .split(',')
          .map(Number)
          .sort((a, b) => a - b),
      })),
    );
  }

  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return Promise.resolve(this.dailySync(meter, fromDate, toDate));
  }

  dailyUsagePage(
    range: { fromDate: string; toDate: string; meter: string | null },
    after: { meter: string; date: string } | null,
    limit: number,
  ): Promise<DailyUsageDoc[]> {
    const key = after ?? { meter: '', date: '' };
    // Billed import rows and the registers of the other kinds (an import register is in its meter's billed row).
    const series = `(instr(meter, '#') = 0 OR instr(meter, '#IMPORT#') = 0)`;
    const rows =
      range.meter === null
        ? this.sql(
            // `+date`: walked along the primary key from the cursor, a page reads on from where the last
            // stopped; by the date index each page sorted the whole range again (an export quadratic in it).
            `SELECT ${DAILY_FIELDS} FROM ${this.t.daily} WHERE (meter, date) > (?, ?) AND +date >= ? AND +date <= ?
               AND ${series}
             ORDER BY meter, date LIMIT ?`,
          ).all(key.meter, key.date, range.fromDate, range.toDate, limit)
        : this.sql(
            `SELECT ${DAILY_FIELDS} FROM ${this.t.daily}
             WHERE (meter = ? OR (meter >= ? AND meter < ?)) AND (meter, date) > (?, ?) AND date >= ? AND date <= ?
               AND ${series}
             ORDER BY meter, date LIMIT ?`,
          ).all(
            range.meter,
            seriesPrefix(range.meter),
            prefixEnd(seriesPrefix(range.meter)),
            key.meter,
            key.date,
            range.fromDate,
            range.toDate,
            limit,
          );
    return Promise.resolve(rows as DailyUsageDoc[]);
  }

  dailyTotals(date: string): Promise<DailyTotalsRow | null> {
    const row = this.sql(
      `SELECT count(*) AS meters, sum(total_kwh_micro) AS total FROM ${this.t.daily}
       WHERE date = ? AND intervals > 0 AND instr(meter, '#') = 0`,
    ).get(date) as { meters: number; total: number | null } | undefined;
    if (row === undefined || row.meters === 0) return Promise.resolve(null);
    return Promise.resolve({ date, meters: row.meters, totalKwhMicro: row.total ?? 0 });
  }

  /** Every meter with billed days of any series (an export-only meter too). */
  meters(): Promise<string[]> {
    const keys = (this.sql(`SELECT DISTINCT meter FROM ${this.t.daily}`).all() as Array<{ meter: string }>).map(
      (row) => row.meter,
    );
    return Promise.resolve([...new Set(keys.map((key) => seriesOf(key).meter))].sort());
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
