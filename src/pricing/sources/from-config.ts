import type { Config } from '../../config';
import type { ZonedClock } from '../../domain/time/zoned-time';
import { CsvSource, EnergyChartsSource, EntsoeSource, type PriceSource } from './sources';

/** The configured day-ahead price source. */
export function priceSourceFor(config: Config, clock: ZonedClock): PriceSource {
  const retry = { attempts: config.priceFetchAttempts, timeoutMs: config.priceFetchTimeoutMs, backoffMs: 1_000 };
  switch (config.priceSource) {
    case 'entsoe':
      return new EntsoeSource({
        baseUrl: config.priceSourceUrl,
        token: config.entsoeToken,
        area: config.priceArea,
        retry,
      });
    case 'energy-charts':
      return new EnergyChartsSource({ baseUrl: config.priceSourceUrl, area: config.priceArea, retry });
    case 'csv':
      return new CsvSource({ location: config.priceSourceUrl, clock, retry });
    default: {
      const unknown: never = config.priceSource;
      throw new Error(`unknown price source ${String(unknown)}`);
    }
  }
}
