import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { BILLING_PROJECTION } from '../../projections/billing/projection';
import type {
  BillingChanges,
  BillingProjectionStore,
  BillingQueries,
  DailyTotalsRow,
  StoredReading,
} from '../../ports/billing-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import { MongoCollectionSet } from './collection-set';
import {
  BILLING_COLLECTIONS,
  DAILY_USAGE,
  dailyWrites,
  INVOICES,
  invoiceWrites,
  parseInvoiceId,
  priceDayWrites,
  PRICES,
  READINGS,
  readingWrites,
  WITHOUT_ID,
  type PriceDocument,
  type ReadingDocument,
} from './collections';
import type { MongoReadStore } from './mongo-database';

/** Readings, prices, daily usage and invoices in MongoDB; `suffix` selects live or rebuild collections. */
export class MongoBillingReadModel implements BillingProjectionStore, BillingQueries {
  private readonly collections: MongoCollectionSet;

  constructor(store: MongoReadStore, suffix = '') {
    this.collections = new MongoCollectionSet(store, BILLING_PROJECTION, BILLING_COLLECTIONS, suffix);
  }

  private readings() {
    return this.collections.collection<ReadingDocument>(READINGS);
  }

  private pricesCollection() {
    return this.collections.collection<PriceDocument>(PRICES);
  }

  private daily() {
    return this.collections.collection<DailyUsageDoc>(DAILY_USAGE);
  }

  private invoicesCollection() {
    return this.collections.collection<InvoiceDoc>(INVOICES);
  }

  getCheckpoint(): Promise<string | null> {
    return this.collections.checkpoints.get(this.collections.checkpointName);
  }

  async readingsOf(meter: string, from: number, to: number): Promise<StoredReading[]> {
    const rows = await (
      await this.readings()
    )
      .find({ meter, start: { $gte: from, $lt: to } }, { projection: { _id: 0, start: 1, kwhMicro: 1 } })
      .sort({ start: 1 })
      .toArray();
    return rows.map((r) => ({ start: r.start, kwhMicro: r.kwhMicro }));
  }

  async metersWithReadings(from: number, to: number): Promise<string[]> {
    const meters = await (await this.readings()).distinct('meter', { start: { $gte: from, $lt: to } });
    return meters.sort();
  }

  async priceIntervals(market: string, from: number, to: number): Promise<PriceInterval[]> {
    const rows = await (
      await this.pricesCollection()
    )
      .find(
        { market, end: { $gt: from }, start: { $lt: to } },
        { projection: { _id: 0, start: 1, end: 1, priceMicro: 1 } },
      )
      .sort({ start: 1 })
      .toArray();
    return rows.map((p) => ({ start: p.start, end: p.end, priceMicro: p.priceMicro }));
  }

  async dailyOf(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return (await this.daily())
      .find({ meter, date: { $gte: fromDate, $lte: toDate } }, WITHOUT_ID)
      .sort({ date: 1 })
      .toArray();
  }

  /**
   * Readings and prices first, then the days and invoices computed from them, then the checkpoint. Every
   * write is an upsert on a natural key (or a whole-day replace), so a redelivered batch rewrites the same
   * values; the checkpoint comes last, so a crash in between only causes such a redelivery.
   */
  async commit(changes: BillingChanges): Promise<void> {
    if (changes.readings.length > 0) {
      await (await this.readings()).bulkWrite(readingWrites(changes.readings), { ordered: false });
    }
    if (changes.priceDays.length > 0) {
      await (await this.pricesCollection()).bulkWrite(priceDayWrites(changes.priceDays), { ordered: true });
    }
    if (changes.daily.length > 0) {
      await (await this.daily()).bulkWrite(dailyWrites(changes.daily), { ordered: false });
    }
    if (changes.invoices.length > 0) {
      await (await this.invoicesCollection()).bulkWrite(invoiceWrites(changes.invoices), { ordered: false });
    }
    await this.collections.checkpoints.set(this.collections.checkpointName, changes.checkpoint);
  }

  reset(): Promise<void> {
    return this.collections.reset();
  }

  promote(): Promise<void> {
    return this.collections.promote();
  }

  // ---- queries ----

  dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return this.dailyOf(meter, fromDate, toDate);
  }

  async dailyTotals(date: string): Promise<DailyTotalsRow | null> {
    const [row] = await (
      await this.daily()
    )
      .aggregate<{ meters: number; total: number }>([
        { $match: { date, intervals: { $gt: 0 } } },
        { $group: { _id: null, meters: { $sum: 1 }, total: { $sum: '$totalKwhMicro' } } },
      ])
      .toArray();
    return row === undefined || row.meters === 0 ? null : { date, meters: row.meters, totalKwhMicro: row.total };
  }

  async meters(): Promise<string[]> {
    return (await (await this.daily()).distinct('meter')).sort();
  }

  prices(market: string, from: number, to: number): Promise<PriceInterval[]> {
    return this.priceIntervals(market, from, to);
  }

  async invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>> {
    const invoices = await this.invoicesCollection();
    if (meter !== null) {
      const found = await invoices.findOne({ month, meter }, WITHOUT_ID);
      const items = found === null ? [] : [{ cursor: encodeCursor(0), node: found }];
      return { totalCount: items.length, hasNextPage: false, items };
    }
    const offset = after === null ? 0 : decodeCursor(after) + 1;
    const [rows, total] = await Promise.all([
      invoices
        .find({ month }, WITHOUT_ID)
        .sort({ meter: 1 })
        .skip(offset)
        .limit(first + 1)
        .toArray(),
      invoices.countDocuments({ month }),
    ]);
    return {
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((node, i) => ({ cursor: encodeCursor(offset + i), node })),
    };
  }

  async invoice(id: string): Promise<InvoiceDoc | null> {
    const key = parseInvoiceId(id);
    if (key === null) return null;
    return (await this.invoicesCollection()).findOne(key, WITHOUT_ID);
  }

  async latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]> {
    return (await this.invoicesCollection()).find({ meter }, WITHOUT_ID).sort({ month: -1 }).limit(count).toArray();
  }
}
