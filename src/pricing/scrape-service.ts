import { expectedIntervals, localDay, parseLocalDate } from '../domain/billing/calendar';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { Config } from '../config';
import type { EventStore } from '../ports/event-store';
import { PricePublisher } from './price-publisher';
import { priceSourceFor } from './sources/from-config';
import type { PriceSource } from './sources/sources';

export interface ScrapeResult {
  date: string;
  source: string;
  points: number;
  complete: boolean;
  appended: boolean;
  position: string | null;
}

/**
 * Fetches one delivery day from the configured source and publishes it. Gaps stay gaps: an incomplete
 * day is published with the intervals it has, never with zeros, and shows as unpriced in invoices.
 */
export class PriceScrapeService {
  constructor(
    private readonly deps: { source: PriceSource; publisher: PricePublisher; clock: ZonedClock; market: string },
  ) {}

  async scrapeDay(date: string): Promise<ScrapeResult> {
    if (parseLocalDate(date) === null) throw new Error(`'${date}' is not a date YYYY-MM-DD`);
    const { source, publisher, clock, market } = this.deps;
    const day = localDay(clock, date);
    const series = await source.fetchDay(day);
    const points = series.points
      .filter((p) => p.start >= day.start && p.start < day.end)
      .map((p) => ({ start: new Date(p.start).toISOString(), price: p.price }));
    const complete = points.length === expectedIntervals(day, series.resolutionMinutes);
    if (points.length === 0) {
      return { date, source: source.name, points: 0, complete: false, appended: false, position: null };
    }
    const published = await publisher.publish({
      market,
      deliveryDate: date,
      resolutionMinutes: series.resolutionMinutes,
      points,
      complete,
      source: source.name,
    });
    return { date, source: source.name, points: points.length, complete, ...published };
  }
}

/** The scrape service as the configuration asks for it: the server, the scheduled job and the CLI share it. */
export function scrapeServiceFor(
  config: Config,
  clock: ZonedClock,
  eventStore: EventStore,
  publisher: PricePublisher = new PricePublisher(eventStore, () => new Date()),
): PriceScrapeService {
  return new PriceScrapeService({ source: priceSourceFor(config, clock), publisher, clock, market: config.priceArea });
}
