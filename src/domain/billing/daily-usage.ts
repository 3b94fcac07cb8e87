/** A price interval as the billing rules use it: [start, end) in epoch ms, price in micro-EUR/MWh. */
export interface PriceInterval {
  start: number;
  end: number;
  priceMicro: number;
}

export interface DailyUsageDoc {
  meter: string;
  date: string;
  totalKwhMicro: number;
  minKwhMicro: number;
  maxKwhMicro: number;
  intervals: number;
  expectedIntervals: number;
  pricedIntervals: number;
  pricedKwhMicro: number;
  /** Exact energy cost of the priced intervals, femto-euros, as a decimal string (BigInt). */
  costFemto: string;
  /** The day's readings by quality mark (`encodeMarkCounts`: `A=40;E=8`); '' when none has one. */
  qualityMarks: string;
}

/**
 * Finds the price of a reading interval [start, start + duration): the price interval that contains it,
 * or, when shorter price intervals cover it completely (15-minute prices, hourly readings), their
 * time-weighted mean rounded to a micro-euro. Null when any part of it is unpriced.
 */
export function priceFor(prices: ReadonlyMap<number, PriceInterval>, start: number, durationMs: number): number | null {
  const hourStart = start - (((start % 3_600_000) + 3_600_000) % 3_600_000);
  const own = prices.get(start);
  if (own !== undefined && own.end >= start + durationMs) return own.priceMicro;
  const hour = prices.get(hourStart);
  if (hour !== undefined && hour.end >= start + durationMs) return hour.priceMicro;
  let covered = 0;
  let weighted = 0;
  for (let t = start; t < start + durationMs;) {
    const piece = prices.get(t);
    if (piece === undefined || piece.end <= t) return null;
    const until = Math.min(piece.end, start + durationMs);
    weighted += piece.priceMicro * (until - t);
    covered += until - t;
    t = until;
  }
  return covered === durationMs ? Math.round(weighted / durationMs) : null;
}
