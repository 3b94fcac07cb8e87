import type { LocalDay } from '../../domain/billing/calendar';
import { daysOfMonth, expectedIntervals, localDay, monthOfDate } from '../../domain/billing/calendar';
import type { DailyUsageDoc, PriceInterval } from '../../domain/billing/daily-usage';
import type { DaySlots, MeterDayKey, MeterDayRow } from '../../domain/billing/meter-day';
import { slotPricesOf, totalsOf } from '../../domain/billing/meter-day';
import type { BillingRequest } from '../../ports/billing-read-model';
import { ask, type BillingRules } from './rules';

const DAY_MS = 86_400_000;

/** What one batch keeps while it runs: local days and their prices, and what it touched. */
export class BatchState {
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
    const { dayStart, intervalMinutes, values, present, marks, markNames } = slots;
    return {
      ...this.totals(key, slots),
      dayStart,
      intervalMinutes,
      values,
      present,
      ...(marks === undefined ? {} : { marks, markNames: markNames ?? [] }),
    };
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
