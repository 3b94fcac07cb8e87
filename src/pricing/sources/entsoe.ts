import type { PriceSeries } from './price-series';
import { PriceSourceError } from './price-series';

// A Map: the resolution is the source's text, and `{}['constructor']` is not a number of minutes.
const RESOLUTIONS = new Map<string, number>([
  ['PT15M', 15],
  ['PT30M', 30],
  ['PT60M', 60],
]);

/*
 * Both read an answer of any size in linear time (built at run time, these escape the regexp lint): a tag's
 * attributes and text stop at the next `<`, so each character is read from one opening tag at most, and a
 * block is found with indexOf, stopping at the first opening that has no closing tag after it.
 */
const tag = (xml: string, name: string): string | null => {
  const escaped = name.replaceAll('.', '\\.');
  const match = new RegExp(`<${escaped}(?:\\s[^<>]*)?>([^<]*)</${escaped}>`).exec(xml);
  return match ? match[1]!.trim() : null;
};
function blocks(xml: string, name: string): string[] {
  const open = `<${name}>`;
  const close = `</${name}>`;
  const found: string[] = [];
  for (let from = xml.indexOf(open); from !== -1;) {
    const end = xml.indexOf(close, from + open.length);
    if (end === -1) break; // no later opening can close either
    found.push(xml.slice(from + open.length, end));
    from = xml.indexOf(open, end + close.length);
  }
  return found;
}

/** ENTSO-E times are UTC, written with or without seconds: 2023-08-06T22:00Z. */
function utc(text: string | null, what: string): number {
  const ms = text === null ? Number.NaN : Date.parse(text);
  if (Number.isNaN(ms)) throw new PriceSourceError('entsoe', `${what} '${String(text)}' is not a UTC time`);
  return ms;
}

/**
 * Reads an A44 Publication_MarketDocument: every TimeSeries and Period, positions at
 * start + (position - 1) x resolution, curve type A01 (every position) or A03 (a position whose price
 * repeats the previous one is left out: forward-fill up to the next point or the period end). An
 * Acknowledgement_MarketDocument or an "Unauthorized" page becomes an error that says why.
 */
export function parseEntsoeDayAhead(body: string): PriceSeries {
  if (/Unauthorized/i.test(body) && !body.includes('Publication_MarketDocument')) {
    throw new PriceSourceError(
      'entsoe',
      `the API refused the request: ${body
        .replace(/<[^<>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()} (check ENTSOE_TOKEN)`,
    );
  }
  if (body.includes('Acknowledgement_MarketDocument')) {
    const reason = blocks(body, 'Reason')[0] ?? '';
    throw new PriceSourceError(
      'entsoe',
      `no prices: reason ${tag(reason, 'code') ?? '?'} '${tag(reason, 'text') ?? 'unknown'}'`,
    );
  }
  if (!body.includes('Publication_MarketDocument')) {
    throw new PriceSourceError('entsoe', `the answer is not a Publication_MarketDocument: '${body.slice(0, 80)}'`);
  }
  const prices = new Map<number, number>();
  let resolutionMinutes: number | null = null;
  for (const series of blocks(body, 'TimeSeries')) {
    const currency = tag(series, 'currency_Unit.name');
    const unit = tag(series, 'price_Measure_Unit.name');
    if (currency !== 'EUR' || unit !== 'MWH') {
      throw new PriceSourceError('entsoe', `prices in ${String(currency)}/${String(unit)}, expected EUR/MWH`);
    }
    const curveType = tag(series, 'curveType') ?? 'A01';
    for (const period of blocks(series, 'Period')) {
      const interval = blocks(period, 'timeInterval')[0] ?? '';
      const start = utc(tag(interval, 'start'), 'period start');
      const end = utc(tag(interval, 'end'), 'period end');
      const resolutionText = tag(period, 'resolution') ?? '';
      const minutes = RESOLUTIONS.get(resolutionText);
      if (minutes === undefined)
        throw new PriceSourceError('entsoe', `resolution '${resolutionText}' is not supported`);
      if (resolutionMinutes !== null && resolutionMinutes !== minutes) {
        throw new PriceSourceError('entsoe', 'one answer mixes resolutions; ask for one delivery day at a time');
      }
      resolutionMinutes = minutes;
      const step = minutes * 60_000;
      const positions = new Map<number, number>();
      for (const point of blocks(period, 'Point')) {
        const position = Number(tag(point, 'position'));
        const price = Number(tag(point, 'price.amount'));
        if (!Number.isInteger(position) || position < 1 || !Number.isFinite(price)) {
          throw new PriceSourceError('entsoe', `a Point without a valid position and price.amount`);
        }
        positions.set(position, price);
      }
      const count = Math.round((end - start) / step);
      let last: number | undefined;
      for (let position = 1; position <= count; position++) {
        const value = positions.get(position) ?? (curveType === 'A03' ? last : undefined);
        last = value;
        const at = start + (position - 1) * step;
        if (value !== undefined && !prices.has(at)) prices.set(at, value);
      }
    }
  }
  if (resolutionMinutes === null) throw new PriceSourceError('entsoe', 'the document holds no TimeSeries');
  return {
    resolutionMinutes,
    points: [...prices].sort((a, b) => a[0] - b[0]).map(([start, price]) => ({ start, price })),
  };
}
