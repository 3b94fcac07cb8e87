import { resolve } from 'node:path';
import { ZonedClock } from './domain/time/zoned-time';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  billingTimeZone: string;
  readingResolutionMinutes: number;
  maxKwhPerReading: number;
  maxUploadBytes: number;
  maxLineBytes: number;
  adminToken: string | null;
  viewerToken: string | null;
  /** Bidding zone whose day-ahead prices bill the readings (ENTSO-E EIC code). */
  priceArea: string;
  priceSource: 'entsoe' | 'energy-charts' | 'csv';
  /** Base URL of the price source (a file path or URL for csv). */
  priceSourceUrl: string;
  entsoeToken: string | null;
  priceScrape: boolean;
  priceScrapeCron: string;
  priceRecheckDays: number;
  priceFetchTimeoutMs: number;
  priceFetchAttempts: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const RESOLUTIONS = [1, 5, 10, 15, 30, 60];
const DEFAULT_SOURCE_URLS = {
  entsoe: 'https://web-api.tp.entsoe.eu',
  'energy-charts': 'https://api.energy-charts.info',
  csv: '',
} as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** Reads and checks every setting once; a bad value names the variable and what it accepts. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}='${raw}' must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const decimal = (name: string, fallback: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || !(value > 0)) {
      problems.push(`${name}='${raw}' must be a positive decimal number such as 250 or 12.5`);
      return fallback;
    }
    return value;
  };
  const optional = (name: string): string | null => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? null : value;
  };

  const port = integer('PORT', 4000, 0, 65535);
  const billingTimeZone = text('BILLING_TZ', 'Europe/Sofia');
  if (!ZonedClock.isValidTimeZone(billingTimeZone)) {
    problems.push(`BILLING_TZ='${billingTimeZone}' is not an IANA time zone such as Europe/Sofia or UTC`);
  }
  const readingResolutionMinutes = integer('READING_RESOLUTION_MINUTES', 15, 1, 60);
  if (!RESOLUTIONS.includes(readingResolutionMinutes)) {
    problems.push(`READING_RESOLUTION_MINUTES='${readingResolutionMinutes}' must be one of ${RESOLUTIONS.join(', ')}`);
  }
  const logLevel = text('LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL='${logLevel}' must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const config: Config = {
    port,
    host: text('HOST', '0.0.0.0'),
    dataDir: resolve(text('DATA_DIR', './data')),
    billingTimeZone,
    readingResolutionMinutes,
    maxKwhPerReading: decimal('MAX_KWH_PER_READING', 10_000),
    maxUploadBytes: integer('MAX_UPLOAD_BYTES', 512 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    maxLineBytes: integer('MAX_LINE_BYTES', 64 * 1024, 64, 16 * 1024 * 1024),
    adminToken: optional('ADMIN_TOKEN'),
    viewerToken: optional('VIEWER_TOKEN'),
    priceArea: text('PRICE_AREA', '10YCA-BULGARIA-R'),
    priceSource: 'entsoe',
    priceSourceUrl: '',
    entsoeToken: optional('ENTSOE_TOKEN'),
    priceScrape: true,
    priceScrapeCron: text('PRICE_SCRAPE_CRON', '30 14 * * *'),
    priceRecheckDays: integer('PRICE_RECHECK_DAYS', 2, 0, 31),
    priceFetchTimeoutMs: integer('PRICE_FETCH_TIMEOUT_MS', 20_000, 100, 600_000),
    priceFetchAttempts: integer('PRICE_FETCH_ATTEMPTS', 4, 1, 10),
    logLevel: logLevel as Config['logLevel'],
  };
  const source = text('PRICE_SOURCE', 'entsoe');
  if (source === 'entsoe' || source === 'energy-charts' || source === 'csv') config.priceSource = source;
  else problems.push(`PRICE_SOURCE='${source}' must be entsoe, energy-charts or csv`);
  config.priceSourceUrl = text('PRICE_SOURCE_URL', DEFAULT_SOURCE_URLS[config.priceSource]);
  if (config.priceSource === 'csv' && config.priceSourceUrl === '') {
    problems.push('PRICE_SOURCE=csv needs PRICE_SOURCE_URL: the URL or file path of a timestamp,price_eur_mwh CSV');
  }
  const scrape = text('PRICE_SCRAPE', 'on');
  if (scrape === 'on' || scrape === 'off') config.priceScrape = scrape === 'on';
  else problems.push(`PRICE_SCRAPE='${scrape}' must be on or off`);
  if (![5, 6].includes(config.priceScrapeCron.split(/\s+/).length)) {
    problems.push(
      `PRICE_SCRAPE_CRON='${config.priceScrapeCron}' must be a cron expression such as '30 14 * * *' (6 fields: with seconds)`,
    );
  }
  if (!/^[A-Za-z0-9-]{1,32}$/.test(config.priceArea)) {
    problems.push(`PRICE_AREA='${config.priceArea}' must be a bidding-zone code such as 10YCA-BULGARIA-R or DE-LU`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
