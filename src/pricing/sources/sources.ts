import { readFile } from 'node:fs/promises';
import { PriceFileReader } from '../../domain/billing/price-file';
import type { LocalDay } from '../../domain/billing/calendar';
import type { ZonedClock } from '../../domain/time/zoned-time';
import { parseEnergyCharts } from './energy-charts';
import { parseEntsoeDayAhead } from './entsoe';
import { getText, HttpStatusError, type RetryPolicy } from './http';
import type { PriceSeries } from './price-series';
import { PriceSourceError } from './price-series';

/** Where day-ahead prices come from. */
export interface PriceSource {
  readonly name: string;
  /** Prices of the intervals in [day.start, day.end), as published. */
  fetchDay(day: LocalDay): Promise<PriceSeries>;
}

const compactUtc = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 12);

/** ENTSO-E Transparency Platform, documentType A44, bidding zone as in and out domain. */
export class EntsoeSource implements PriceSource {
  readonly name = 'entsoe';

  constructor(private readonly options: { baseUrl: string; token: string | null; area: string; retry: RetryPolicy }) {}

  async fetchDay(day: LocalDay): Promise<PriceSeries> {
    if (this.options.token === null) {
      throw new PriceSourceError('entsoe', 'ENTSOE_TOKEN is not set: the Transparency Platform needs a security token');
    }
    const { baseUrl, token, area } = this.options;
    const url =
      `${baseUrl.replace(/\/$/, '')}/api?documentType=A44&in_Domain=${area}&out_Domain=${area}` +
      `&periodStart=${compactUtc(day.start)}&periodEnd=${compactUtc(day.end)}&securityToken=${encodeURIComponent(token)}`;
    const { status, body } = await getText(url, this.options.retry);
    // A refusal (400 with an acknowledgement, 401 page) is explained by the parser; anything else by the status.
    try {
      return parseEntsoeDayAhead(body);
    } catch (error) {
      if (status >= 400 && !(error instanceof PriceSourceError)) throw new HttpStatusError(status, body, url);
      throw error;
    }
  }
}

/** Energy-Charts `/price?bzn=...&start=...&end=...` (unix seconds). */
export class EnergyChartsSource implements PriceSource {
  readonly name = 'energy-charts';

  constructor(private readonly options: { baseUrl: string; area: string; retry: RetryPolicy }) {}

  async fetchDay(day: LocalDay): Promise<PriceSeries> {
    const url =
      `${this.options.baseUrl.replace(/\/$/, '')}/price?bzn=${encodeURIComponent(this.options.area)}` +
      `&start=${day.start / 1000}&end=${day.end / 1000 - 1}`;
    const { status, body } = await getText(url, this.options.retry);
    if (status >= 400) throw new PriceSourceError('energy-charts', `HTTP ${status}: ${body.slice(0, 200)}`);
    return parseEnergyCharts(body);
  }
}

/** A `timestamp,price_eur_mwh` CSV at a URL or a file path, for markets without an API and offline use. */
export class CsvSource implements PriceSource {
  readonly name = 'csv';

  constructor(private readonly options: { location: string; clock: ZonedClock; retry: RetryPolicy }) {}

  async fetchDay(day: LocalDay): Promise<PriceSeries> {
    const { location, clock, retry } = this.options;
    const text = /^https?:\/\//.test(location)
      ? (await getText(location, retry)).body
      : await readFile(location, 'utf8');
    const reader = new PriceFileReader(clock);
    text
      .split(/\r?\n/)
      .slice(1)
      .forEach((line, i) => {
        if (line.trim() !== '') reader.add(i + 2, line.split(','));
      });
    if (reader.errors.length > 0) {
      const first = reader.errors[0]!;
      throw new PriceSourceError('csv', `${location} line ${first.line}: ${first.message}`);
    }
    const days = reader.days(() => day).filter((d) => d.deliveryDate === day.date);
    const found = days[0];
    return {
      resolutionMinutes: found?.resolutionMinutes ?? 60,
      points: (found?.points ?? []).map((p) => ({ start: Date.parse(p.start), price: p.price })),
    };
  }
}
