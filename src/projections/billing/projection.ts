import type { LocalDay } from '../../domain/billing/calendar';
import { daysOfMonth, expectedIntervals, localDay, monthOfDate } from '../../domain/billing/calendar';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import { computeInvoice } from '../../domain/billing/invoice';
import type { DaySlots, MeterDayKey, MeterDayRow, MeterDaySlots } from '../../domain/billing/meter-day';
import { emptySlots, meterDayKey, overlay, putReading, slotPricesOf, totalsOf } from '../../domain/billing/meter-day';
import { toMicro } from '../../domain/billing/money';
import type { MarketPricesPublished } from '../../domain/billing/prices-events';
import type { FileValidated } from '../../domain/readings/events';
import { meterIntervalOf, UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import {
  decodeReadingsBatch,
  encodeReadingsBatch,
  isReadingsBatchBytes,
  readingsHeaderOf,
} from '../../domain/readings/readings-batch';
import type { ZonedClock } from '../../domain/time/zoned-time';
import type {
  BillingAnswers,
  BillingProgram,
  BillingProjectionStore,
  BillingRequest,
  PriceDay,
  StagedBatch,
} from '../../ports/billing-read-model';
import type { RecordedEvent } from '../../ports/event-store';
import type { Projection } from '../projection';

export const BILLING_PROJECTION = 'billing';

export interface BillingRules {
  clock: ZonedClock;
  resolutionMinutes: number;
  /** The market whose prices bill the readings. */
  market: string;
}

/** Billed meter-days are read and written this many at a time. */
const PAGE = 1_000;
/** Invoices are re-summed for this many meters at a time (a month of daily rows each). */
const INVOICE_PAGE = 200;

export interface BillingLimits {
  /** Staged batches read at a time (50,000 readings, about 500 KB, each). */
  batchesPerRead: number;
  /** An upload's meter-days gathered in memory before they are overlaid on the billed ones (about 1 KB each). */
  daysInMemory: number;
}

export const DEFAULT_BILLING_LIMITS: BillingLimits = { batchesPerRead: 4, daysInMemory: 8_192 };
const DAY_MS = 86_400_000;

/** Price intervals of a publication, in the form the billing rules use. */
export function priceDayOf(event: MarketPricesPublished): PriceDay {
  const durationMs = event.data.resolutionMinutes * 60_000;
  return {
    market: event.data.market,
    deliveryDate: event.data.deliveryDate,
    intervals: event.data.points.map((p) => {
      const start = Date.parse(p.start);
      return { start, end: start + durationMs, priceMicro: toMicro(p.price) };
    }),
  };
}

/** Lets the event loop run what waits (requests, timers) between two commits of an embedded store. */
const breather = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The upload a `FileValidated` makes take effect (not a duplicate's), or null for any other event. */
function takesEffect(event: RecordedEvent): { uploadId: string; validated: FileValidated['data'] } | null {
  if (event.type !== 'FileValidated' || !event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) return null;
  const validated = event.data as FileValidated['data'];
  if (validated.duplicateOf !== null) return null;
  return { uploadId: event.streamName.slice(UPLOAD_STREAM_PREFIX.length), validated };
}

/** A meter's interval in an upload. */
type IntervalOf = (meter: string) => number;

/** Asks the store one thing and gets its typed answer. */
function* ask<R extends BillingRequest>(request: R): Generator<BillingRequest, BillingAnswers[R['op']], unknown> {
  return (yield request) as BillingAnswers[R['op']];
}

/** An upload's readings of one meter-day, gathered while its upload takes effect. */
interface UploadDay extends MeterDayKey, DaySlots {}

/**
 * Daily usage, prices and invoices. A readings event's batch is staged as it is (its binary payload)
 * until its upload's `FileValidated`; then the upload's readings take effect all at once: gathered per
 * meter-day, each overlaid on the billed day (the later validated file wins every reading it holds),
 * totalled and priced once. A rejected, failed or interrupted upload's staged batches are dropped. A
 * price day re-prices that day's meter-days. The invoices of every (meter, month) touched are re-summed
 * from their days. A batch is one program run in one atomic commit with the checkpoint; an applied
 * upload is recorded in the same commit, so a redelivered `FileValidated` changes nothing.
 */
export class BillingProjection implements Projection {
  readonly name = BILLING_PROJECTION;

  constructor(
    private readonly store: BillingProjectionStore,
    private readonly rules: BillingRules,
    private readonly limits: BillingLimits = DEFAULT_BILLING_LIMITS,
  ) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  /**
   * Handles a batch in order. An upload's readings are prepared ahead, as they come: after each commit
   * that staged some of its batches, they are gathered per meter-day, overlaid on the billed days and
   * priced, into pending rows readers do not see, a few staged batches per commit, while the file is
   * still being validated. Its `FileValidated` then prepares what is left and one commit applies every
   * pending day (inside the store, no day through JavaScript), so readers see the upload whole or not
   * at all. A preparation made over billed days or prices that changed since (another upload applied, a
   * price day) is stale and is done again from the staged batches at the `FileValidated`; so is one
   * made ahead at the server's resolution when validation found other intervals. The event loop is free
   * between commits. The events before a `FileValidated` commit first, so its preparation sees what
   * they did.
   */
  async handle(events: readonly RecordedEvent[]): Promise<void> {
    let from = 0;
    for (let i = 0; i < events.length; i++) {
      const effect = takesEffect(events[i]!);
      if (effect === null) continue;
      if (i > from) await this.commit(events.slice(from, i));
      await this.prepare(effect.uploadId, effect.validated);
      await this.store.run(() => this.program(events.slice(i, i + 1)));
      await breather();
      from = i + 1;
    }
    if (from < events.length) await this.commit(events.slice(from));
  }

  /** Commits events (no upload takes effect among them), then prepares ahead the uploads they staged readings of. */
  private async commit(events: readonly RecordedEvent[]): Promise<void> {
    await this.store.run(() => this.program(events));
    const staging = new Set<string>();
    for (const event of events) {
      if (event.type === 'ReadingsAccepted' && event.streamName.startsWith(UPLOAD_STREAM_PREFIX))
        staging.add(event.streamName.slice(UPLOAD_STREAM_PREFIX.length));
    }
    for (const uploadId of staging) {
      await breather();
      await this.prepare(uploadId, null);
    }
  }

  /** Each meter's interval in an upload, as its validation found it (the server's resolution for older events). */
  private intervalsOf(validated: FileValidated['data']): IntervalOf {
    return (meter) => meterIntervalOf(validated, meter, this.rules.resolutionMinutes);
  }

  /** Whether validation found every meter of the upload at the server's resolution (what ahead assumes). */
  private atResolution(validated: FileValidated['data']): boolean {
    const resolution = this.rules.resolutionMinutes;
    return (
      (validated.intervalMinutes ?? resolution) === resolution &&
      Object.values(validated.otherIntervals ?? {}).every((minutes) => minutes === resolution)
    );
  }

  /**
   * Overlays the upload's staged batches not yet in its pending days, a page of them per commit. Ahead
   * (`validated` null: more batches may come) at the server's resolution; at its `FileValidated`, every
   * batch at the intervals validation found, the preparation then complete.
   */
  private async prepare(uploadId: string, validated: FileValidated['data'] | null): Promise<void> {
    const intervalOf: IntervalOf =
      validated === null ? () => this.rules.resolutionMinutes : this.intervalsOf(validated);
    let afterBatch: number | null = null; // null: not started
    for (;;) {
      let next: { afterBatch: number; done: boolean } = { afterBatch: -1, done: true };
      const from = afterBatch;
      // A store may run a program again (a retried transaction): each run starts from `from`.
      await this.store.run(() => {
        next = { afterBatch: from ?? -1, done: false };
        return this.prepareStep(uploadId, validated, intervalOf, from, next);
      });
      if (next.done) return;
      afterBatch = next.afterBatch;
      await breather();
    }
  }

  private *prepareStep(
    uploadId: string,
    validated: FileValidated['data'] | null,
    intervalOf: IntervalOf,
    afterBatch: number | null,
    next: { afterBatch: number; done: boolean },
  ): BillingProgram {
    if (afterBatch === null) {
      if (yield* ask({ op: 'uploadApplied', uploadId })) {
        next.done = true;
        return;
      }
      const preparation = yield* ask({ op: 'preparation', uploadId });
      const usable = preparation !== null && !preparation.stale && (validated === null || this.atResolution(validated));
      if (usable) {
        next.afterBatch = preparation.throughBatch;
      } else if (validated === null && preparation !== null) {
        // Stale: redone from the start once the file is validated, not batch by batch meanwhile.
        next.done = true;
        return;
      } else {
        // Leftovers of a stale preparation, or of one cut short, are prepared again from the start.
        yield* ask({ op: 'dropPending', uploadId });
      }
    }
    const limit = this.limits.batchesPerRead;
    const staged = yield* ask({ op: 'stagedBatches', uploadId, afterBatch: next.afterBatch, limit });
    const offGrid = yield* this.overlayStaged(uploadId, staged, new BatchState(this.rules), uploadId, intervalOf);
    if (offGrid !== null) {
      if (validated !== null) throw new Error(offGrid);
      // A reading off the resolution's grid: this upload is prepared once it is validated, at its intervals.
      yield* ask({ op: 'putPreparation', uploadId, preparation: { throughBatch: -1, complete: false, stale: true } });
      next.done = true;
      return;
    }
    if (staged.length > 0) next.afterBatch = staged[staged.length - 1]!.batch;
    next.done = staged.length < limit;
    yield* ask({
      op: 'putPreparation',
      uploadId,
      preparation: { throughBatch: next.afterBatch, complete: validated !== null && next.done, stale: false },
    });
  }

  /**
   * Gathers a page of staged batches per meter-day and overlays them (`overlayDays`), at most
   * `daysInMemory` meter-days at a time; a day met again after a flush is overlaid again, which gives
   * the same result since a file holds each reading once. Answers null, or why a reading does not fit
   * its meter's interval (the page is then left half done: the caller discards it).
   */
  private *overlayStaged(
    uploadId: string,
    staged: readonly StagedBatch[],
    batch: BatchState,
    pendingOf: string | null,
    intervalOf: IntervalOf,
  ): Generator<BillingRequest, string | null, unknown> {
    let days = new Map<string, UploadDay>();
    for (const { bytes } of staged) {
      const offGrid = this.gather(uploadId, bytes, days, batch, intervalOf);
      if (offGrid !== null) return offGrid;
      if (days.size >= this.limits.daysInMemory) {
        yield* this.overlayDays([...days.values()], batch, pendingOf);
        days = new Map();
      }
    }
    yield* this.overlayDays([...days.values()], batch, pendingOf);
    return null;
  }

  /** Adds a staged batch's readings to the gathered meter-days; answers why a reading does not fit, or null. */
  private gather(
    uploadId: string,
    bytes: Uint8Array,
    days: Map<string, UploadDay>,
    batch: BatchState,
    intervalOf: IntervalOf,
  ): string | null {
    const readings = decodeReadingsBatch(bytes);
    const intervals = readings.meters.map(intervalOf);
    const perMeter: Array<Map<number, UploadDay>> = readings.meters.map(() => new Map());
    for (let i = 0; i < readings.startMs.length; i++) {
      const meterIndex = readings.meter[i]!;
      const start = readings.startMs[i]!;
      const day = batch.dayAt(start);
      const ofMeter = perMeter[meterIndex]!;
      let gathered = ofMeter.get(day.number);
      if (gathered === undefined) {
        const meter = readings.meters[meterIndex]!;
        const key = meterDayKey(meter, day.day.date);
        gathered = days.get(key);
        if (gathered === undefined) {
          gathered = { meter, date: day.day.date, ...emptySlots(day.day, intervals[meterIndex]!) };
          days.set(key, gathered);
        }
        ofMeter.set(day.number, gathered);
      }
      if (!putReading(gathered, start, readings.kwhMicro[i]!)) {
        return `upload ${uploadId}: reading of ${gathered.meter} at ${new Date(start).toISOString()} is not on the ${gathered.intervalMinutes}-minute grid`;
      }
    }
    return null;
  }

  *program(events: readonly RecordedEvent[]): BillingProgram {
    const batch = new BatchState(this.rules);
    // Prices first. A meter-day's totals depend only on its readings and on the prices once the batch is
    // done, so pricing with the batch's final prices gives what following the events one by one would,
    // and an upload whose prices come in the same batch is priced once, not twice.
    for (const event of events) {
      if (event.type !== 'MarketPricesPublished' || event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) continue;
      const day = priceDayOf(event as unknown as MarketPricesPublished);
      if (day.market !== this.rules.market) continue;
      yield* ask({ op: 'putPriceDay', day });
      batch.pricesChanged(day.deliveryDate);
    }
    // Uploads prepared under the old prices are prepared again before they take effect.
    if (batch.repricedDates.size > 0) yield* ask({ op: 'stalePreparations', except: null });
    yield* this.reprice(batch);
    for (const event of events) {
      if (!event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) continue;
      const uploadId = event.streamName.slice(UPLOAD_STREAM_PREFIX.length);
      switch (event.type) {
        case 'ReadingsAccepted': {
          // Binary (v2) payloads are staged as they are; a v1 JSON payload is staged in the v2 form.
          // A batch redelivered after its upload took effect is not staged again.
          if (yield* ask({ op: 'uploadApplied', uploadId })) break;
          const bytes = isReadingsBatchBytes(event.data)
            ? event.data
            : encodeReadingsBatch(decodeReadingsBatch(event.data));
          yield* ask({ op: 'stageBatch', uploadId, batch: readingsHeaderOf(bytes).batch, bytes });
          break;
        }
        case 'FileValidated':
          if ((event.data as FileValidated['data']).duplicateOf === null)
            yield* this.applyPrepared(
              uploadId,
              event.position,
              batch,
              this.intervalsOf(event.data as FileValidated['data']),
            );
          break;
        case 'FileRejected':
        case 'UploadFailed':
        case 'UploadInterrupted':
          yield* ask({ op: 'dropStaged', uploadId });
          yield* ask({ op: 'dropPending', uploadId });
          break;
        default:
          break;
      }
    }
    yield* this.invoices(batch);
    yield* ask({ op: 'checkpoint', position: events[events.length - 1]!.position });
  }

  /**
   * The upload's prepared meter-days take effect in this commit. One that was not prepared (a program
   * run by itself) is applied here from its staged batches instead.
   */
  private *applyPrepared(
    uploadId: string,
    position: string,
    batch: BatchState,
    intervalOf: IntervalOf,
  ): BillingProgram {
    if (yield* ask({ op: 'uploadApplied', uploadId })) {
      yield* ask({ op: 'dropStaged', uploadId });
      yield* ask({ op: 'dropPending', uploadId });
      return;
    }
    const applied = yield* ask({ op: 'applyPending', uploadId });
    if (applied.prepared) {
      for (const { meter, month } of applied.touched) batch.touchedMonth(meter, month);
      yield* ask({ op: 'markApplied', uploadId, position });
      yield* ask({ op: 'dropStaged', uploadId });
    } else {
      yield* this.apply(uploadId, position, batch, intervalOf);
    }
    yield* ask({ op: 'dropPending', uploadId });
    // Other uploads were prepared over the billed days this one just changed.
    yield* ask({ op: 'stalePreparations', except: uploadId });
  }

  /**
   * The upload's staged readings take effect in this commit, a page of staged batches at a time:
   * gathered per meter-day, overlaid on the billed days, totalled and priced.
   */
  private *apply(uploadId: string, position: string, batch: BatchState, intervalOf: IntervalOf): BillingProgram {
    let afterBatch = -1;
    for (;;) {
      const staged = yield* ask({ op: 'stagedBatches', uploadId, afterBatch, limit: this.limits.batchesPerRead });
      const offGrid = yield* this.overlayStaged(uploadId, staged, batch, null, intervalOf);
      if (offGrid !== null) throw new Error(offGrid);
      if (staged.length < this.limits.batchesPerRead) break;
      afterBatch = staged[staged.length - 1]!.batch;
    }
    yield* ask({ op: 'markApplied', uploadId, position });
    yield* ask({ op: 'dropStaged', uploadId });
  }

  /**
   * Overlays an upload's gathered meter-days, in pages, on the days they replace and prices them. With
   * `pendingOf`, into that upload's pending rows (each on its pending day when met before, else on the
   * billed one); without, straight into the billed days of this commit.
   */
  private *overlayDays(days: UploadDay[], batch: BatchState, pendingOf: string | null): BillingProgram {
    for (let from = 0; from < days.length; from += PAGE) {
      const page = days.slice(from, from + PAGE);
      const pending = pendingOf === null ? [] : yield* ask({ op: 'pendingDays', uploadId: pendingOf, keys: page });
      const pendingByKey = new Map(pending.map((d) => [meterDayKey(d.meter, d.date), d]));
      const missing = page.filter((d) => !pendingByKey.has(meterDayKey(d.meter, d.date)));
      const billed = missing.length === 0 ? [] : yield* ask({ op: 'meterDays', keys: missing });
      const billedByKey = new Map(billed.map((d) => [meterDayKey(d.meter, d.date), d]));
      yield* batch.loadPrices(page);
      const rows: MeterDayRow[] = [];
      for (const day of page) {
        const key = meterDayKey(day.meter, day.date);
        if (pendingOf === null) batch.touched(day.meter, day.date);
        rows.push(batch.billed(day, overlay(pendingByKey.get(key) ?? billedByKey.get(key) ?? null, day)));
      }
      yield* ask(
        pendingOf === null
          ? { op: 'putMeterDays', days: rows }
          : { op: 'putPendingDays', uploadId: pendingOf, days: rows },
      );
    }
  }

  /** Re-prices every billed meter-day of each date whose prices changed in this batch. */
  private *reprice(batch: BatchState): BillingProgram {
    for (const date of batch.repricedDates) {
      let afterMeter: string | null = null;
      for (;;) {
        const page: MeterDaySlots[] = yield* ask({ op: 'meterDaysOfDate', date, afterMeter, limit: PAGE });
        yield* batch.loadPrices(page);
        const totals: DailyUsageDoc[] = [];
        for (const day of page) {
          batch.touched(day.meter, day.date);
          totals.push(batch.totals(day, day));
        }
        // The slots stay as they are: only the figures change.
        yield* ask({ op: 'putDayTotals', days: totals });
        if (page.length < PAGE) break;
        afterMeter = page[page.length - 1]!.meter;
      }
    }
  }

  /** Re-sums the invoice of every (meter, month) a billed meter-day of this batch belongs to. */
  private *invoices(batch: BatchState): BillingProgram {
    for (const [month, touched] of batch.touchedMonths) {
      const meters = [...touched].sort();
      for (let from = 0; from < meters.length; from += INVOICE_PAGE) {
        const page = meters.slice(from, from + INVOICE_PAGE);
        const rows = yield* ask({ op: 'dailyOfMonth', meters: page, month });
        const byMeter = new Map<string, DailyUsageDoc[]>(page.map((meter) => [meter, []]));
        for (const row of rows) byMeter.get(row.meter)?.push(row);
        const invoices = page.map((meter) => {
          const days = byMeter.get(meter)!;
          const grid = batch.gridOfMonth(month, days);
          return computeInvoice(meter, month, days, grid.expectedIntervals, grid.intervalMinutes);
        });
        yield* ask({ op: 'putInvoices', invoices });
      }
    }
  }
}

/** What one batch keeps while it runs: local days and their prices, and what it touched. */
class BatchState {
  readonly repricedDates = new Set<string>();
  readonly touchedMonths = new Map<string, Set<string>>();
  private readonly days = new Map<string, LocalDay>();
  private readonly daysByNumber = new Map<number, { number: number; day: LocalDay }>();
  private readonly prices = new Map<string, Map<number, PriceInterval>>();
  private readonly slotPrices = new Map<string, { grid: string; table: Float64Array }>();
  private readonly monthDays = new Map<string, LocalDay[]>();
  private lastDay: { number: number; day: LocalDay } | null = null;

  constructor(private readonly rules: BillingRules) {}

  day(date: string): LocalDay {
    let day = this.days.get(date);
    if (day === undefined) {
      day = localDay(this.rules.clock, date);
      this.days.set(date, day);
    }
    return day;
  }

  /** The local day an instant falls on (readings of a day mostly come together: the last one is kept at hand). */
  dayAt(instant: number): { number: number; day: LocalDay } {
    const last = this.lastDay;
    if (last !== null && instant >= last.day.start && instant < last.day.end) return last;
    const number = Math.floor((instant + this.rules.clock.offsetMinutesAt(instant) * 60_000) / DAY_MS);
    let found = this.daysByNumber.get(number);
    if (found === undefined) {
      found = { number, day: this.day(new Date(number * DAY_MS).toISOString().slice(0, 10)) };
      this.daysByNumber.set(number, found);
    }
    this.lastDay = found;
    return found;
  }

  /** Makes sure the prices of these meter-days' dates are at hand for `billed`. */
  *loadPrices(keys: readonly MeterDayKey[]): Generator<BillingRequest, void, unknown> {
    for (const { date } of keys) {
      if (this.prices.has(date)) continue;
      const day = this.day(date);
      // Hourly intervals may start before local midnight in zones with half-hour offsets: look an hour back.
      const intervals = yield* ask({
        op: 'prices',
        market: this.rules.market,
        from: day.start - 3_600_000,
        to: day.end,
      });
      this.prices.set(date, new Map(intervals.map((p) => [p.start, p])));
      this.slotPrices.delete(date);
    }
  }

  /** A meter-day's totals and cost under its date's prices (`loadPrices` first). */
  totals(key: MeterDayKey, slots: DaySlots): DailyUsageDoc {
    const day = this.day(key.date);
    return totalsOf(key, slots, this.slotPricesOf(day, slots), expectedIntervals(day, slots.intervalMinutes));
  }

  /** A meter-day billed: its slots with their totals and cost under its date's prices (`loadPrices` first). */
  billed(key: MeterDayKey, slots: DaySlots): MeterDayRow {
    const { dayStart, intervalMinutes, values, present } = slots;
    return { ...this.totals(key, slots), dayStart, intervalMinutes, values, present };
  }

  /** The price of each slot of the day's grid, computed once per date and grid. */
  private slotPricesOf(day: LocalDay, slots: DaySlots): Float64Array {
    const grid = `${slots.dayStart}/${slots.intervalMinutes}/${slots.values.length}`;
    const cached = this.slotPrices.get(day.date);
    if (cached !== undefined && cached.grid === grid) return cached.table;
    const prices = this.prices.get(day.date);
    if (prices === undefined) throw new Error(`prices of ${day.date} were not loaded`);
    const table = slotPricesOf(prices, slots.dayStart, slots.intervalMinutes, slots.values.length);
    this.slotPrices.set(day.date, { grid, table });
    return table;
  }

  pricesChanged(date: string): void {
    this.prices.delete(date);
    this.slotPrices.delete(date);
    this.repricedDates.add(date);
  }

  touched(meter: string, date: string): void {
    this.touchedMonth(meter, monthOfDate(date));
  }

  touchedMonth(meter: string, month: string): void {
    let meters = this.touchedMonths.get(month);
    if (meters === undefined) {
      meters = new Set();
      this.touchedMonths.set(month, meters);
    }
    meters.add(meter);
  }

  /**
   * Intervals a meter's month should have: each billed day's own count (its interval), and for a day
   * without readings the count at the interval of the meter's latest billed day of the month; and the
   * intervals its days with readings were billed at.
   */
  gridOfMonth(month: string, rows: readonly DailyUsageDoc[]): { expectedIntervals: number; intervalMinutes: number[] } {
    const days = this.daysOfMonth(month);
    const intervalOf = (row: DailyUsageDoc): number => {
      const day = this.day(row.date);
      return Math.round((day.end - day.start) / 60_000 / row.expectedIntervals);
    };
    const latest = rows[rows.length - 1];
    const interval =
      latest !== undefined && latest.expectedIntervals > 0 ? intervalOf(latest) : this.rules.resolutionMinutes;
    const byDate = new Map(rows.map((row) => [row.date, row.expectedIntervals]));
    return {
      expectedIntervals: days.reduce((sum, day) => sum + (byDate.get(day.date) ?? expectedIntervals(day, interval)), 0),
      intervalMinutes: rows.filter((row) => row.intervals > 0 && row.expectedIntervals > 0).map(intervalOf),
    };
  }

  private daysOfMonth(month: string): LocalDay[] {
    let days = this.monthDays.get(month);
    if (days === undefined) {
      days = daysOfMonth(this.rules.clock, month);
      this.monthDays.set(month, days);
    }
    return days;
  }
}
