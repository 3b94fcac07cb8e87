import type { LocalDay } from '../../domain/billing/calendar';
import { daysOfMonth, expectedIntervals, localDateOf, localDay, monthOfDate } from '../../domain/billing/calendar';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import { computeDailyUsage } from '../../domain/billing/daily-usage';
import type { InvoiceDoc } from '../../domain/billing/invoice';
import { computeInvoice } from '../../domain/billing/invoice';
import { toMicro } from '../../domain/billing/money';
import type { MarketPricesPublished } from '../../domain/billing/prices-events';
import type { ReadingsAccepted } from '../../domain/readings/events';
import type { ZonedClock } from '../../domain/time/zoned-time';
import type { BillingProjectionStore, PriceDay } from '../../ports/billing-read-model';
import type { RecordedEvent } from '../../ports/event-store';
import type { Projection } from '../projection';

export const BILLING_PROJECTION = 'billing';

export interface BillingRules {
  clock: ZonedClock;
  resolutionMinutes: number;
  /** The market whose prices bill the readings. */
  market: string;
}

/** The latest reading per (meter, start) in a batch of events: later events replace earlier ones. */
export function evolveReadings(
  current: Map<string, Map<number, number>>,
  event: ReadingsAccepted,
): Map<string, Map<number, number>> {
  for (const [meter, start, kwh] of event.data.readings) {
    let byStart = current.get(meter);
    if (byStart === undefined) {
      byStart = new Map();
      current.set(meter, byStart);
    }
    byStart.set(start, toMicro(kwh));
  }
  return current;
}

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

/**
 * Readings, prices, daily usage and invoices. Per batch: the new readings and price days are folded in,
 * every (meter, day) they touch is recomputed from the current readings and prices, and every
 * (meter, month) those days belong to is re-summed; all of it is committed with the checkpoint.
 * Recomputing from current state (never adding deltas) is what makes a redelivered batch harmless.
 */
export class BillingProjection implements Projection {
  readonly name = BILLING_PROJECTION;

  constructor(
    private readonly store: BillingProjectionStore,
    private readonly rules: BillingRules,
  ) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (last === undefined) return;
    const { clock, resolutionMinutes, market } = this.rules;

    const readings = new Map<string, Map<number, number>>();
    const priceDays = new Map<string, PriceDay>();
    for (const event of events) {
      if (event.type === 'ReadingsAccepted') evolveReadings(readings, event as unknown as ReadingsAccepted);
      else if (event.type === 'MarketPricesPublished') {
        const day = priceDayOf(event as unknown as MarketPricesPublished);
        if (day.market === market) priceDays.set(day.deliveryDate, day);
      }
    }
    if (readings.size === 0 && priceDays.size === 0) {
      await this.store.commit({ readings: [], priceDays: [], daily: [], invoices: [], checkpoint: last.position });
      return;
    }

    // Which (meter, day) rows change: those with new readings, and every meter on a day with new prices.
    const days = new Map<string, LocalDay>();
    const dayOf = (date: string): LocalDay => {
      let day = days.get(date);
      if (day === undefined) {
        day = localDay(clock, date);
        days.set(date, day);
      }
      return day;
    };
    const dirty = new Map<string, Set<string>>(); // date -> meters
    const mark = (date: string, meter: string): void => {
      let meters = dirty.get(date);
      if (meters === undefined) {
        meters = new Set();
        dirty.set(date, meters);
      }
      meters.add(meter);
    };
    for (const [meter, byStart] of readings) {
      let lastDate: LocalDay | null = null;
      for (const start of byStart.keys()) {
        if (lastDate === null || start < lastDate.start || start >= lastDate.end) {
          lastDate = dayOf(localDateOf(clock, start));
          mark(lastDate.date, meter);
        }
      }
    }
    for (const date of priceDays.keys()) {
      const day = dayOf(date);
      for (const meter of await this.store.metersWithReadings(day.start, day.end)) mark(date, meter);
    }

    const daily: DailyUsageDoc[] = [];
    for (const [date, meters] of dirty) {
      const day = dayOf(date);
      const prices = await this.pricesOfDay(day, priceDays.get(date));
      const expected = expectedIntervals(day, resolutionMinutes);
      for (const meter of meters) {
        const merged = new Map<number, number>();
        for (const r of await this.store.readingsOf(meter, day.start, day.end)) merged.set(r.start, r.kwhMicro);
        for (const [start, kwh] of readings.get(meter) ?? []) {
          if (start >= day.start && start < day.end) merged.set(start, kwh);
        }
        const starts = [...merged.keys()].sort((a, b) => a - b);
        daily.push(
          computeDailyUsage(
            { meter, day, starts, kwhMicro: starts.map((s) => merged.get(s)!) },
            prices,
            resolutionMinutes,
            expected,
          ),
        );
      }
    }

    const invoices = await this.invoicesFor(daily);
    await this.store.commit({
      readings: [...readings].flatMap(([meter, byStart]) =>
        [...byStart].map(([start, kwhMicro]) => ({ meter, start, kwhMicro })),
      ),
      priceDays: [...priceDays.values()],
      daily,
      invoices,
      checkpoint: last.position,
    });
  }

  /** Price intervals of a local day, with a publication of this batch taking the place of the stored one. */
  private async pricesOfDay(day: LocalDay, published: PriceDay | undefined): Promise<Map<number, PriceInterval>> {
    // Hourly intervals may start before local midnight in zones with half-hour offsets: look an hour back.
    const intervals = (await this.store.priceIntervals(this.rules.market, day.start - 3_600_000, day.end)).filter(
      (p) => published === undefined || p.start < day.start || p.start >= day.end,
    );
    return new Map([...intervals, ...(published?.intervals ?? [])].map((p) => [p.start, p]));
  }

  private async invoicesFor(daily: readonly DailyUsageDoc[]): Promise<InvoiceDoc[]> {
    const { clock, resolutionMinutes } = this.rules;
    const months = new Map<string, Map<string, DailyUsageDoc>>(); // "month meter" -> date -> doc
    for (const doc of daily) {
      const key = `${monthOfDate(doc.date)} ${doc.meter}`;
      let byDate = months.get(key);
      if (byDate === undefined) {
        byDate = new Map();
        months.set(key, byDate);
      }
      byDate.set(doc.date, doc);
    }
    const expectedByMonth = new Map<string, number>();
    const invoices: InvoiceDoc[] = [];
    for (const [key, changed] of months) {
      const [month, meter] = key.split(' ') as [string, string];
      let expected = expectedByMonth.get(month);
      if (expected === undefined) {
        expected = daysOfMonth(clock, month).reduce((sum, day) => sum + expectedIntervals(day, resolutionMinutes), 0);
        expectedByMonth.set(month, expected);
      }
      const all = new Map((await this.store.dailyOf(meter, `${month}-01`, `${month}-31`)).map((d) => [d.date, d]));
      for (const [date, doc] of changed) all.set(date, doc);
      invoices.push(computeInvoice(meter, month, [...all.values()], expected));
    }
    return invoices;
  }
}
