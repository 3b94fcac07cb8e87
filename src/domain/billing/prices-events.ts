/** Day-ahead market prices as published for one delivery day of one market (bidding zone). */
export interface PricePoint {
  /** Interval start, UTC ISO-8601. */
  start: string;
  /** EUR/MWh; may be negative. */
  price: number;
}

export interface MarketPricesPublished {
  type: 'MarketPricesPublished';
  data: {
    market: string;
    /** Local delivery day in the billing time zone, YYYY-MM-DD. */
    deliveryDate: string;
    resolutionMinutes: number;
    currency: 'EUR';
    unit: 'EUR/MWh';
    /** Every published interval of the day; an interval without a price is absent (a gap), never zero. */
    points: PricePoint[];
    /** Whether every interval of the delivery day has a price. */
    complete: boolean;
    source: string;
    publishedAt: string;
  };
}

export type PriceEvent = MarketPricesPublished;

export const PRICE_STREAM_PREFIX = 'prices-';
export const priceStreamName = (market: string, deliveryDate: string): string =>
  `${PRICE_STREAM_PREFIX}${market}-${deliveryDate}`;

/** Whether two publications of a day say the same thing (ignoring when and from where). */
export function samePrices(a: MarketPricesPublished['data'], b: MarketPricesPublished['data']): boolean {
  if (a.resolutionMinutes !== b.resolutionMinutes || a.points.length !== b.points.length) return false;
  return a.points.every((point, i) => point.start === b.points[i]?.start && point.price === b.points[i]?.price);
}
