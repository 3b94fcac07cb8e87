import type { LocalDay } from '../../domain/billing/calendar';
import { daysOfMonth, expectedIntervals, localDay, monthOfDate } from '../../domain/billing/calendar';
import type { PriceInterval } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { computeInvoice } from '../../domain/billing/invoice';
import type { DaySlots, MeterDayKey, MeterDayRow, StagedDay } from '../../domain/billing/meter-day';
import { emptySlots, meterDayKey, overlay, putReading, totalsOf } from '../../domain/billing/meter-day';
import { toMicro } from '../../domain/billing/money';
import type { MarketPricesPublished } from '../../domain/billing/prices-events';
import type { FileValidated } from '../../domain/readings/events';
import { UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import { decodeReadingsBatch } from '../../domain/readings/readings-batch';
import type { ZonedClock } from '../../domain/time/zoned-time';
import type {
  BillingAnswers,
  BillingProgram,
  BillingProjectionStore,
  BillingRequest,
  PriceDay,
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

/** Staged and billed meter-days are read and written this many at a time. */
const PAGE = 1_000;
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

/** Asks the store one thing and gets its typed answer. */
function* ask<R extends BillingRequest>(request: R): Generator<BillingRequest, BillingAnswers[R['op']], unknown> {
  return (yield request) as BillingAnswers[R['op']];
}

/**
 * Daily usage, prices and invoices. An upload's readings are staged per meter-day as its events arrive
 * and take effect all at once when its `FileValidated` event does: each of its meter-days is overlaid on
 * the billed one (the later validated file wins every reading it holds), totalled and priced once. A
 * rejected, failed or interrupted upload's staged readings are dropped. A price day re-prices that day's
 * meter-days. The invoices of every (meter, month) touched are re-summed from their days. A batch is one
 * program run in one atomic commit with the checkpoint; a billed meter-day remembers the position of the
 * upload applied to it, so a redelivered `FileValidated` changes nothing.
 */
export class BillingProjection implements Projection {
  readonly name = BILLING_PROJECTION;

  constructor(
    private readonly store: BillingProjectionStore,
    private readonly rules: BillingRules,
    private readonly comparePositions: (a: string, b: string) => number,
  ) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.store.run(() => this.program(events));
  }

  *program(events: readonly RecordedEvent[]): BillingProgram {
    const batch = new BatchState(this.rules);
    for (const event of events) {
      if (event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) {
        const uploadId = event.streamName.slice(UPLOAD_STREAM_PREFIX.length);
        switch (event.type) {
          case 'ReadingsAccepted':
            yield* this.stage(uploadId, event.data, batch);
            break;
          case 'FileValidated':
            if ((event.data as FileValidated['data']).duplicateOf === null)
              yield* this.apply(uploadId, event.position, batch);
            break;
          case 'FileRejected':
          case 'UploadFailed':
          case 'UploadInterrupted':
            yield* ask({ op: 'dropStaged', uploadId });
            break;
          default:
            break;
        }
      } else if (event.type === 'MarketPricesPublished') {
        const day = priceDayOf(event as unknown as MarketPricesPublished);
        if (day.market !== this.rules.market) continue;
        yield* ask({ op: 'putPriceDay', day });
        batch.pricesChanged(day.deliveryDate);
      }
    }
    yield* this.reprice(batch);
    yield* this.invoices(batch);
    yield* ask({ op: 'checkpoint', position: events[events.length - 1]!.position });
  }

  /** Merges a readings event into the upload's staged meter-days. */
  private *stage(uploadId: string, data: unknown, batch: BatchState): BillingProgram {
    const readings = decodeReadingsBatch(data);
    const interval = this.rules.resolutionMinutes;
    const byMeter: Array<Map<number, StagedDay>> = readings.meters.map(() => new Map());
    for (let i = 0; i < readings.startMs.length; i++) {
      const meterIndex = readings.meter[i]!;
      const start = readings.startMs[i]!;
      const day = batch.dayAt(start);
      const days = byMeter[meterIndex]!;
      let staged = days.get(day.number);
      if (staged === undefined) {
        staged = {
          uploadId,
          meter: readings.meters[meterIndex]!,
          date: day.day.date,
          ...emptySlots(day.day, interval),
        };
        days.set(day.number, staged);
      }
      if (!putReading(staged, start, readings.kwhMicro[i]!)) {
        throw new Error(
          `upload ${uploadId}: reading of ${staged.meter} at ${new Date(start).toISOString()} is not on the ${interval}-minute grid`,
        );
      }
    }
    const days = byMeter.flatMap((m) => [...m.values()]);
    for (let from = 0; from < days.length; from += PAGE) {
      const page = days.slice(from, from + PAGE);
      const earlier = yield* ask({ op: 'stagedDays', uploadId, keys: page });
      const byKey = new Map(earlier.map((d) => [meterDayKey(d.meter, d.date), d]));
      const merged = page.map((d) => {
        const before = byKey.get(meterDayKey(d.meter, d.date));
        return before === undefined ? d : { ...d, ...overlay(before, d) };
      });
      yield* ask({ op: 'putStaged', days: merged });
    }
  }

  /** The upload's staged meter-days take effect: overlaid on the billed ones, totalled and priced. */
  private *apply(uploadId: string, position: string, batch: BatchState): BillingProgram {
    let after: MeterDayKey | null = null;
    for (;;) {
      const page: StagedDay[] = yield* ask({ op: 'stagedPage', uploadId, after, limit: PAGE });
      if (page.length === 0) break;
      const billed = yield* ask({ op: 'meterDays', keys: page });
      const byKey = new Map(billed.map((d) => [meterDayKey(d.meter, d.date), d]));
      const rows: MeterDayRow[] = [];
      for (const staged of page) {
        batch.touched(staged.meter, staged.date);
        const current = byKey.get(meterDayKey(staged.meter, staged.date)) ?? null;
        // Already applied (a redelivery): the row holds this upload and any validated after it.
        if (current?.appliedPosition != null && this.comparePositions(current.appliedPosition, position) >= 0) continue;
        const slots = overlay(current, staged);
        rows.push(yield* this.billed(staged, slots, position, batch));
      }
      yield* ask({ op: 'putMeterDays', days: rows });
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
    yield* ask({ op: 'dropStaged', uploadId });
  }

  /** Re-prices every billed meter-day of each date whose prices changed in this batch. */
  private *reprice(batch: BatchState): BillingProgram {
    for (const date of batch.repricedDates) {
      let afterMeter: string | null = null;
      for (;;) {
        const page: MeterDayRow[] = yield* ask({ op: 'meterDaysOfDate', date, afterMeter, limit: PAGE });
        const rows: MeterDayRow[] = [];
        for (const row of page) {
          batch.touched(row.meter, row.date);
          rows.push(yield* this.billed(row, row, row.appliedPosition, batch));
        }
        yield* ask({ op: 'putMeterDays', days: rows });
        if (page.length < PAGE) break;
        afterMeter = page[page.length - 1]!.meter;
      }
    }
  }

  private *billed(
    key: MeterDayKey,
    slots: DaySlots,
    appliedPosition: string | null,
    batch: BatchState,
  ): Generator<BillingRequest, MeterDayRow, unknown> {
    const day = batch.day(key.date);
    const prices = yield* batch.pricesOf(day, this.rules.market);
    const { dayStart, intervalMinutes, values, present } = slots;
    const totals = totalsOf(key, slots, prices, expectedIntervals(day, intervalMinutes));
    return { ...totals, dayStart, intervalMinutes, values, present, appliedPosition };
  }

  /** Re-sums the invoice of every (meter, month) a billed meter-day of this batch belongs to. */
  private *invoices(batch: BatchState): BillingProgram {
    let invoices: InvoiceDoc[] = [];
    for (const [month, meters] of batch.touchedMonths) {
      const expected = batch.expectedOfMonth(month);
      for (const meter of meters) {
        const days = yield* ask({ op: 'dailyOfMonth', meter, month });
        invoices.push(computeInvoice(meter, month, days, expected));
        if (invoices.length >= PAGE) {
          yield* ask({ op: 'putInvoices', invoices });
          invoices = [];
        }
      }
    }
    if (invoices.length > 0) yield* ask({ op: 'putInvoices', invoices });
  }
}

/** What one batch keeps while it runs: local days and their prices, and what it touched. */
class BatchState {
  readonly repricedDates = new Set<string>();
  readonly touchedMonths = new Map<string, Set<string>>();
  private readonly days = new Map<string, LocalDay>();
  private readonly daysByNumber = new Map<number, { number: number; day: LocalDay }>();
  private readonly prices = new Map<string, Map<number, PriceInterval>>();
  private readonly expectedByMonth = new Map<string, number>();
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

  *pricesOf(day: LocalDay, market: string): Generator<BillingRequest, Map<number, PriceInterval>, unknown> {
    let prices = this.prices.get(day.date);
    if (prices === undefined) {
      // Hourly intervals may start before local midnight in zones with half-hour offsets: look an hour back.
      const intervals = yield* ask({ op: 'prices', market, from: day.start - 3_600_000, to: day.end });
      prices = new Map(intervals.map((p) => [p.start, p]));
      this.prices.set(day.date, prices);
    }
    return prices;
  }

  pricesChanged(date: string): void {
    this.prices.delete(date);
    this.repricedDates.add(date);
  }

  touched(meter: string, date: string): void {
    const month = monthOfDate(date);
    let meters = this.touchedMonths.get(month);
    if (meters === undefined) {
      meters = new Set();
      this.touchedMonths.set(month, meters);
    }
    meters.add(meter);
  }

  expectedOfMonth(month: string): number {
    let expected = this.expectedByMonth.get(month);
    if (expected === undefined) {
      expected = daysOfMonth(this.rules.clock, month).reduce(
        (sum, day) => sum + expectedIntervals(day, this.rules.resolutionMinutes),
        0,
      );
      this.expectedByMonth.set(month, expected);
    }
    return expected;
  }
}
