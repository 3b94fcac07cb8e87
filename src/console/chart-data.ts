/**
 * Chart series shaped for uPlot: one x axis (seconds), y values with null where there is no data, so a
 * gap is drawn as a gap and never as zero.
 */

export interface DailyPoint {
  date: string;
  totalKwh: number;
  minKwh: number;
  maxKwh: number;
  complete: boolean;
}

export interface PricePointData {
  start: string;
  end: string;
  priceEurMwh: number;
}

/** Local dates from..to inclusive (YYYY-MM-DD), calendar arithmetic in UTC. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    dates.push(new Date(t).toISOString().slice(0, 10));
  }
  return dates;
}

/** Daily usage over every date of the range: total, min and max per day; missing days null. */
export function dailySeries(
  from: string,
  to: string,
  days: readonly DailyPoint[],
): { x: number[]; total: Array<number | null>; min: Array<number | null>; max: Array<number | null> } {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const dates = datesBetween(from, to);
  return {
    x: dates.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000),
    total: dates.map((d) => byDate.get(d)?.totalKwh ?? null),
    min: dates.map((d) => byDate.get(d)?.minKwh ?? null),
    max: dates.map((d) => byDate.get(d)?.maxKwh ?? null),
  };
}

/**
 * Prices as steps: one point at each interval's start, and a null after an interval whose end is not
 * the next one's start (a gap in the publication), so the line breaks there.
 */
export function priceSeries(points: readonly PricePointData[]): { x: number[]; price: Array<number | null> } {
  const x: number[] = [];
  const price: Array<number | null> = [];
  const sorted = [...points].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  sorted.forEach((point, i) => {
    x.push(Date.parse(point.start) / 1000);
    price.push(point.priceEurMwh);
    const next = sorted[i + 1];
    if (next === undefined || Date.parse(next.start) !== Date.parse(point.end)) {
      x.push(Date.parse(point.end) / 1000);
      price.push(next === undefined ? point.priceEurMwh : null);
    }
  });
  return { x, price };
}

/** How far an upload's validation is, 0..1, from the rows processed and the file's data lines; null when unknown. */
export function validationProgress(
  update: { processedRows: number; acceptedRows: number; rejectedRows: number },
  totalGuess: number | null,
): number | null {
  if (totalGuess === null || totalGuess <= 0) return null;
  return Math.min(1, update.processedRows / totalGuess);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDateOf(instantMs: number, timeZone: string): string {
  const parts = new Map(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date(instantMs))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.get('year')}-${parts.get('month')}-${parts.get('day')}`;
}
