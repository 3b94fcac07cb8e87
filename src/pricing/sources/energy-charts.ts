import type { PriceSeries } from './price-series';
import { PriceSourceError } from './price-series';

/** Reads an Energy-Charts `/price` answer: `unix_seconds[]`, `price[]` (null for gaps), unit EUR/MWh. */
export function parseEnergyCharts(body: string): PriceSeries {
  let json: { unix_seconds?: unknown; price?: unknown; unit?: unknown };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    throw new PriceSourceError('energy-charts', `the answer is not JSON: '${body.slice(0, 80)}'`);
  }
  // `null`, a number or a list is JSON too, but not an answer (reading its fields threw a TypeError).
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new PriceSourceError('energy-charts', `the answer is not a JSON object: '${body.slice(0, 80)}'`);
  const unit = typeof json.unit === 'string' ? json.unit.replace(/\s+/g, '') : '';
  if (unit !== 'EUR/MWh')
    throw new PriceSourceError('energy-charts', `prices in '${String(json.unit)}', expected EUR/MWh`);
  if (
    !Array.isArray(json.unix_seconds) ||
    !Array.isArray(json.price) ||
    json.unix_seconds.length !== json.price.length
  ) {
    throw new PriceSourceError('energy-charts', 'unix_seconds and price must be arrays of the same length');
  }
  const seconds = json.unix_seconds as unknown[];
  const prices = json.price as unknown[];
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < seconds.length; i++) gap = Math.min(gap, Number(seconds[i]) - Number(seconds[i - 1]));
  const resolutionMinutes = gap === 900 ? 15 : 60;
  const points: PriceSeries['points'] = [];
  seconds.forEach((s, i) => {
    const price = prices[i];
    if (typeof s !== 'number' || !Number.isInteger(s))
      throw new PriceSourceError('energy-charts', `bad time '${String(s)}'`);
    if (price === null) return; // a gap stays a gap
    if (typeof price !== 'number' || !Number.isFinite(price)) {
      throw new PriceSourceError(
        'energy-charts',
        `bad price '${String(price)}' at ${new Date(s * 1000).toISOString()}`,
      );
    }
    points.push({ start: s * 1000, price });
  });
  return { resolutionMinutes, points };
}
