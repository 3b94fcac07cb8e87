import type { ClientSession, Collection } from 'mongodb';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { meterDayKey, type MeterDayKey, type MeterDayRow, type MeterDaySlots } from '../../domain/billing/meter-day';
import { seriesOf, seriesPrefix } from '../../domain/billing/series';
import { BILLING_PROJECTION } from '../../ports/projection-names';
import type {
  BillingAnswer,
  BillingProgram,
  BillingProjectionStore,
  BillingQueries,
  BillingRequest,
  DailyTotalsRow,
} from '../../ports/billing-read-model';
import type { ProjectorFence } from '../../ports/projection-state';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import { MongoCollectionSet, type Generation } from './collection-set';
import {
  APPLIED_UPLOADS,
  appliedPendingWrites,
  BILLED_IMPORT_ONLY,
  BILLING_COLLECTIONS,
  DAILY_FIELDS,
  dayTotalsWrites,
  DAILY_USAGE,
  INVOICES,
  invoiceWrites,
  keysFilter,
  meterDayOf,
  meterDayWrites,
  parseInvoiceId,
  PENDING_DAYS,
  pendingDayWrites,
  PREPARED_UPLOADS,
  prefixRange,
  priceDayWrites,
  PRICES,
  STAGED_BATCHES,
  stagedBatchWrite,
  WITHOUT_ID,
  type AppliedUploadDocument,
  type MeterDayDocument,
  type PendingDayDocument,
  type PreparedUploadDocument,
  type PriceDocument,
  type StagedBatchDocument,
} from './collections';
import type { MongoReadStore } from './mongo-database';

interface BillingCollections {
  prices: Collection<PriceDocument>;
  daily: Collection<MeterDayDocument>;
  staged: Collection<StagedBatchDocument>;
  pending: Collection<PendingDayDocument>;
  prepared: Collection<PreparedUploadDocument>;
  applied: Collection<AppliedUploadDocument>;
  invoices: Collection<InvoiceDoc>;
}

/**
 * Prices, billed meter-days, staged readings batches, applied uploads and invoices in MongoDB; `suffix` selects live or rebuild
 * collections. A billing program runs inside one session transaction (majority), with the checkpoint, so
 * readers see a batch whole or not at all.
 */
export class MongoBillingReadModel implements BillingProjectionStore, BillingQueries {
  private readonly collections: MongoCollectionSet;

  constructor(store: MongoReadStore, suffix = '', fence: ProjectorFence | null = null) {
    this.collections = new MongoCollectionSet(store, BILLING_PROJECTION, BILLING_COLLECTIONS, suffix, fence);
  }

  /** The collections of one generation: the live one for queries, resolved once per call. */
  private async all(generation?: Generation): Promise<BillingCollections> {
    const g = generation ?? (await this.collections.generation());
    return {
      prices: await g.collection<PriceDocument>(PRICES),
      daily: await g.collection<MeterDayDocument>(DAILY_USAGE),
      staged: await g.collection<StagedBatchDocument>(STAGED_BATCHES),
      pending: await g.collection<PendingDayDocument>(PENDING_DAYS),
      prepared: await g.collection<PreparedUploadDocument>(PREPARED_UPLOADS),
      applied: await g.collection<AppliedUploadDocument>(APPLIED_UPLOADS),
      invoices: await g.collection<InvoiceDoc>(INVOICES),
    };
  }

  getCheckpoint(): Promise<string | null> {
    return this.collections.checkpoints.get(this.collections.checkpointName);
  }

  async run(program: () => BillingProgram): Promise<void> {
    await this.collections.transaction(async (session, generation) => {
      const c = await this.all(generation);
      const steps = program();
      let step = steps.next();
      while (step.done !== true) step = steps.next(await this.answer(c, step.value, session));
    });
  }

  private async answer(c: BillingCollections, request: BillingRequest, session: ClientSession): Promise<BillingAnswer> {
    switch (request.op) {
      case 'stageBatch':
        await c.staged.bulkWrite([stagedBatchWrite(request.uploadId, request.batch, request.bytes)], { session });
        return undefined;
      case 'stagedBatches': {
        const docs = await c.staged
          .find({ uploadId: request.uploadId, batch: { $gt: request.afterBatch } }, { ...WITHOUT_ID, session })
          .sort({ batch: 1 })
          .limit(request.limit)
          .toArray();
        return docs.map((doc) => ({ batch: doc.batch, bytes: doc.data.value() }));
      }
      case 'dropStaged':
        await c.staged.deleteMany({ uploadId: request.uploadId }, { session });
        return undefined;
      case 'uploadApplied':
        return (await c.applied.findOne({ uploadId: request.uploadId }, { ...WITHOUT_ID, session })) !== null;
      case 'markApplied':
        await c.applied.replaceOne(
          { uploadId: request.uploadId },
          { uploadId: request.uploadId, position: request.position },
          { upsert: true, session },
        );
        return undefined;
      case 'meterDays': {
        const docs = await c.daily.find(keysFilter(request.keys), { ...WITHOUT_ID, session }).toArray();
        return onlyKeys(docs, request.keys).map(meterDayOf);
      }
      case 'meterDaysOfDate': {
        const docs = await c.daily
          .find({ date: request.date, meter: { $gt: request.afterMeter ?? '' } }, { ...WITHOUT_ID, session })
          .sort({ meter: 1 })
          .limit(request.limit)
          .toArray();
        return docs.map(meterDayOf);
      }
      case 'putMeterDays':
        if (request.days.length > 0) await c.daily.bulkWrite(meterDayWrites(request.days), { ordered: false, session });
        return undefined;
      case 'putDayTotals':
        if (request.days.length > 0)
          await c.daily.bulkWrite(dayTotalsWrites(request.days), { ordered: false, session });
        return undefined;
      case 'pendingDays': {
        const docs = await c.pending
          .find({ uploadId: request.uploadId, ...keysFilter(request.keys) }, { ...WITHOUT_ID, session })
          .toArray();
        return onlyKeys(docs, request.keys).map(meterDayOf);
      }
      case 'putPendingDays':
        if (request.days.length > 0)
          await c.pending.bulkWrite(pendingDayWrites(request.uploadId, request.days), { ordered: false, session });
        return undefined;
      case 'preparation': {
        const doc = await c.prepared.findOne({ uploadId: request.uploadId }, { ...WITHOUT_ID, session });
        return doc === null ? null : { throughBatch: doc.throughBatch, complete: doc.complete, stale: doc.stale };
      }
      case 'putPreparation':
        await c.prepared.replaceOne(
          { uploadId: request.uploadId },
          { uploadId: request.uploadId, ...request.preparation },
          { upsert: true, session },
        );
        return undefined;
      case 'stalePreparations':
        await c.prepared.updateMany(
          request.except === null ? { stale: false } : { stale: false, uploadId: { $ne: request.except } },
          { $set: { stale: true } },
          { session },
        );
        return undefined;
      case 'applyPending': {
        const ready = { uploadId: request.uploadId, complete: true, stale: false };
        if ((await c.prepared.findOne(ready, { session })) === null) {
          return { prepared: false, touched: [] };
        }
        const touched = new Map<string, { meter: string; month: string }>();
        let page: PendingDayDocument[] = [];
        const flush = async (): Promise<void> => {
          if (page.length > 0) await c.daily.bulkWrite(appliedPendingWrites(page), { ordered: false, session });
          page = [];
        };
        for await (const doc of c.pending.find({ uploadId: request.uploadId }, { ...WITHOUT_ID, session })) {
          page.push(doc);
          const month = doc.date.slice(0, 7);
          touched.set(`${doc.meter}\u0000${month}`, { meter: doc.meter, month });
          if (page.length >= 1_000) await flush();
        }
        await flush();
        return { prepared: true, touched: [...touched.values()] };
      }
      case 'dropPending':
        await c.pending.deleteMany({ uploadId: request.uploadId }, { session });
        await c.prepared.deleteMany({ uploadId: request.uploadId }, { session });
        return undefined;
      case 'prices':
        return this.priceIntervals(c.prices, request.market, request.from, request.to, session);
      case 'putPriceDay':
        await c.prices.bulkWrite(priceDayWrites([request.day]), { ordered: true, session });
        return undefined;
      case 'dailyOfMonth':
        return (await c.daily
          .find(
            { meter: { $in: [...request.meters] }, date: { $gte: `${request.month}-01`, $lte: `${request.month}-31` } },
            { ...DAILY_FIELDS, session },
          )
          .sort({ meter: 1, date: 1 })
          .toArray()) as unknown as DailyUsageDoc[];
      // One query for all the prefixes asked (an empty $or is refused: nothing asked, nothing read).
      case 'registerDays': {
        if (request.prefixes.length === 0) return [];
        const filter = { $or: request.prefixes.map(({ prefix, date }) => ({ date, meter: prefixRange(prefix) })) };
        return (
          await c.daily
            .find(filter, { ...WITHOUT_ID, session })
            .sort({ meter: 1 })
            .toArray()
        ).map(meterDayOf);
      }
      case 'pendingRegisterDays': {
        if (request.prefixes.length === 0) return [];
        const filter = {
          uploadId: request.uploadId,
          $or: request.prefixes.map(({ prefix, date }) => ({ date, meter: prefixRange(prefix) })),
        };
        return (
          await c.pending
            .find(filter, { ...WITHOUT_ID, session })
            .sort({ meter: 1 })
            .toArray()
        ).map(meterDayOf);
      }
      case 'registersOfMonth': {
        if (request.prefixes.length === 0) return [];
        const filter = {
          $or: request.prefixes.map((prefix) => ({ meter: prefixRange(prefix) })),
          date: { $gte: `${request.month}-01`, $lte: `${request.month}-31` },
        };
        return (await c.daily
          .find(filter, { ...DAILY_FIELDS, session })
          .sort({ meter: 1, date: 1 })
          .toArray()) as unknown as DailyUsageDoc[];
      }
      case 'putInvoices':
        if (request.invoices.length > 0)
          await c.invoices.bulkWrite(invoiceWrites(request.invoices), { ordered: false, session });
        return undefined;
      case 'checkpoint':
        await this.collections.checkpoints.set(this.collections.checkpointName, request.position, session);
        return undefined;
      default: {
        const unhandled: never = request;
        throw new Error(`unknown billing request ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private async priceIntervals(
    prices: Collection<PriceDocument>,
    market: string,
    from: number,
    to: number,
    session?: ClientSession,
  ): Promise<PriceInterval[]> {
    const rows = await prices
      .find(
        { market, end: { $gt: from }, start: { $lt: to } },
        { projection: { _id: 0, start: 1, end: 1, priceMicro: 1 }, ...(session === undefined ? {} : { session }) },
      )
      .sort({ start: 1 })
      .toArray();
    return rows.map((p) => ({ start: p.start, end: p.end, priceMicro: p.priceMicro }));
  }

  private async dailyOf(
    daily: Collection<MeterDayDocument>,
    meter: string,
    fromDate: string,
    toDate: string,
    session?: ClientSession,
  ): Promise<DailyUsageDoc[]> {
    return (await daily
      .find(
        { meter, date: { $gte: fromDate, $lte: toDate } },
        { ...DAILY_FIELDS, ...(session === undefined ? {} : { session }) },
      )
      .sort({ date: 1 })
      .toArray()) as unknown as DailyUsageDoc[];
  }

  reset(): Promise<void> {
    return this.collections.reset();
  }

  promote(): Promise<void> {
    return this.collections.promote();
  }

  // ---- queries ----

  async dailyUsagePage(
    range: { fromDate: string; toDate: string; meter: string | null },
    after: { meter: string; date: string } | null,
    limit: number,
  ): Promise<DailyUsageDoc[]> {
    const dates = { $gte: range.fromDate, $lte: range.toDate };
    // Billed import rows and the registers of the other kinds (an import register is in its meter's billed row).
    const series = { meter: { $not: /#IMPORT#/ } };
    const ofMeter =
      range.meter === null
        ? []
        : [{ $or: [{ meter: range.meter }, { meter: prefixRange(seriesPrefix(range.meter)) }] }];
    const afterKey =
      after === null
        ? []
        : [{ $or: [{ meter: { $gt: after.meter } }, { meter: after.meter, date: { $gt: after.date } }] }];
    const filter = { date: dates, $and: [series, ...ofMeter, ...afterKey] };
    return (await (
      await this.all()
    ).daily
      .find(filter, DAILY_FIELDS)
      .sort({ meter: 1, date: 1 })
      .limit(limit)
      .toArray()) as unknown as DailyUsageDoc[];
  }

  async dailyUsage(meter: string, fromDate: string, toDate: string): Promise<DailyUsageDoc[]> {
    return this.dailyOf((await this.all()).daily, meter, fromDate, toDate);
  }

  async seriesDays(prefix: string, fromDate: string, toDate: string): Promise<MeterDayRow[]> {
    const docs = await (
      await this.all()
    ).daily
      .find({ meter: prefixRange(prefix), date: { $gte: fromDate, $lte: toDate } }, WITHOUT_ID)
      .sort({ date: 1, meter: 1 })
      .toArray();
    return docs.map(meterDayOf);
  }

  async seriesOfMeter(meter: string): Promise<Array<{ key: string; intervalMinutes: number[] }>> {
    const rows = await (
      await this.all()
    ).daily
      .aggregate<{ _id: string; minutes: number[] }>([
        { $match: { $or: [{ meter }, { meter: prefixRange(seriesPrefix(meter)) }] } },
        { $group: { _id: '$meter', minutes: { $addToSet: '$intervalMinutes' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((row) => ({ key: row._id, intervalMinutes: [...row.minutes].sort((a, b) => a - b) }));
  }

  async dailyTotals(date: string): Promise<DailyTotalsRow | null> {
    const [row] = await (
      await this.all()
    ).daily
      .aggregate<{ meters: number; total: number }>([
        { $match: { date, intervals: { $gt: 0 }, meter: BILLED_IMPORT_ONLY } },
        { $group: { _id: null, meters: { $sum: 1 }, total: { $sum: '$totalKwhMicro' } } },
      ])
      .toArray();
    return row === undefined || row.meters === 0 ? null : { date, meters: row.meters, totalKwhMicro: row.total };
  }

  /** Every meter with billed days of any series (an export-only meter too). */
  async meters(): Promise<string[]> {
    const keys: string[] = await (await this.all()).daily.distinct('meter');
    return [...new Set(keys.map((key) => seriesOf(key).meter))].sort();
  }

  async prices(market: string, from: number, to: number): Promise<PriceInterval[]> {
    return this.priceIntervals((await this.all()).prices, market, from, to);
  }

  async invoices(month: string, meter: string | null, first: number, after: string | null): Promise<Page<InvoiceDoc>> {
    const { invoices } = await this.all();
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
    return (await this.all()).invoices.findOne(key, WITHOUT_ID);
  }

  async daySlots(meter: string, fromDate: string, toDate: string): Promise<MeterDaySlots[]> {
    const docs = await (
      await this.all()
    ).daily
      .find({ meter, date: { $gte: fromDate, $lte: toDate } }, WITHOUT_ID)
      .sort({ date: 1 })
      .toArray();
    return docs.map(meterDayOf);
  }

  async latestInvoices(meter: string, count: number): Promise<InvoiceDoc[]> {
    return (await this.all()).invoices.find({ meter }, WITHOUT_ID).sort({ month: -1 }).limit(count).toArray();
  }
}

/** The documents whose (meter, date) is one of the keys (the query matched their meters and dates apart). */
function onlyKeys<T extends MeterDayKey>(docs: T[], keys: readonly MeterDayKey[]): T[] {
  const wanted = new Set(keys.map((k) => meterDayKey(k.meter, k.date)));
  return docs.filter((doc) => wanted.has(meterDayKey(doc.meter, doc.date)));
}
