import { parseTimestamp } from '../readings/timestamp';
import type { ZonedClock } from '../time/zoned-time';
import type { LocalDay } from './calendar';
import { expectedIntervals, localDateOf } from './calendar';
import type { PricePoint } from './prices-events';

export interface PriceRowError {
  line: number;
  message: string;
}

export interface PricedDay {
  deliveryDate: string;
  resolutionMinutes: number;
  points: PricePoint[];
  complete: boolean;
}

const PRICE = /^-?\d+(?:\.\d{1,6})?$/;

/** Collects the rows of a `timestamp,price_eur_mwh` file, refusing any row that is not exactly right. */
export class PriceFileReader {
  private readonly points = new Map<number, number>();
  readonly errors: PriceRowError[] = [];

  constructor(private readonly clock: ZonedClock) {}

  add(line: number, fields: readonly string[]): void {
    if (fields.length !== 2) {
      this.errors.push({ line, message: `expected 2 fields (timestamp,price_eur_mwh), found ${fields.length}` });
      return;
    }
    const [timestampText, priceText] = fields.map((f) => f.trim()) as [string, string];
    const parsed = parseTimestamp(timestampText, this.clock);
    if (!parsed.ok) {
      this.errors.push({ line, message: parsed.reason.message });
      return;
    }
    if (parsed.instant % (15 * 60_000) !== 0) {
      this.errors.push({ line, message: `'${timestampText}' is not the start of a 15-minute or hourly interval` });
      return;
    }
    if (!PRICE.test(priceText)) {
      this.errors.push({
        line,
        message: `price '${priceText}' is not a decimal number of EUR/MWh with at most 6 decimals`,
      });
      return;
    }
    if (this.points.has(parsed.instant)) {
      this.errors.push({ line, message: `a second price for ${new Date(parsed.instant).toISOString()}` });
      return;
    }
    this.points.set(parsed.instant, Number(priceText));
  }

  /**
   * Groups the points by local delivery day. A day's resolution is the smallest gap between its points
   * (15 or 60 minutes); a day is complete when it has every interval (23, 24 or 25 hours).
   */
  days(dayOf: (date: string) => LocalDay): PricedDay[] {
    const byDate = new Map<string, number[]>();
    for (const instant of [...this.points.keys()].sort((a, b) => a - b)) {
      const date = localDateOf(this.clock, instant);
      const list = byDate.get(date) ?? [];
      list.push(instant);
      byDate.set(date, list);
    }
    return [...byDate].map(([deliveryDate, instants]) => {
      let gap = 60;
      for (let i = 1; i < instants.length; i++) gap = Math.min(gap, (instants[i]! - instants[i - 1]!) / 60_000);
      const resolutionMinutes = gap < 60 ? 15 : 60;
      const day = dayOf(deliveryDate);
      return {
        deliveryDate,
        resolutionMinutes,
        points: instants.map((instant) => ({
          start: new Date(instant).toISOString(),
          price: this.points.get(instant)!,
        })),
        complete: instants.length === expectedIntervals(day, resolutionMinutes),
      };
    });
  }
}
