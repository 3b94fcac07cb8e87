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
  /** An upload whose file sends no byte for this long is dropped, freeing its slot (UPLOAD_IDLE_TIMEOUT_MS). */
  uploadIdleTimeoutMs: number;
  /** `off`: no authentication, every caller is an admin (local development only). */
  auth: 'on' | 'off';
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
  /** Whether webhooks may target loopback and private-network addresses (tests, an internal receiver). */
  webhookAllowPrivate: boolean;
  /** The server key webhook signing secrets are derived from (WEBHOOK_SECRET_KEY), or null: the key file. */
  webhookSecretKey: string | null;
  /** Where the key lives when WEBHOOK_SECRET_KEY is not set (made at the first start). */
  webhookSecretKeyFile: string;
  /** Items (list entries, days) one caller's queries may ask for a second on average, and at once. */
  queryCostPerSecond: number;
  queryCostBurst: number;
  /** Proxies in front whose X-Forwarded-For is believed (0: the peer's own address is the client's). */
  trustProxyHops: number;
  /** Whether the schema can be introspected and Apollo's sandbox page is served (development). */
  graphqlIntrospection: boolean;
  /** How long one webhook delivery may take before it counts as failed (and is retried). */
  webhookTimeoutMs: number;
  /** Delivery attempts in flight per webhook: a receiver that hangs holds only its own. */
  webhookConcurrency: number;
  /** Log events read per page for a webhook's deliveries; each holds at most two pages in memory. */
  webhookPageSize: number;
  priceRecheckDays: number;
  priceFetchTimeoutMs: number;
  priceFetchAttempts: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Which parts this process runs: the API, the projector (projections and the price schedule), or both. */
  role: 'all' | 'api' | 'projector';
  eventStore: { kind: 'sqlite' } | { kind: 'eventstoredb'; url: string };
  readStore: { kind: 'sqlite' } | { kind: 'mongodb'; url: string; database: string };
  /** How long a projector's lease lasts without renewal before another projector may take over. */
  projectorLeaseMs: number;
  /** How long a start waits for an external backend before failing. */
  backendConnectTimeoutMs: number;
  /** Worker threads kept started to parse and validate uploaded files (0: on the main thread); more start while files wait. */
  validationWorkers: number;
  /** Whether the projections run in their own worker thread (with their own connections) or on the main thread. */
  projectorThread: boolean;
  /** Uploads processed at once; more are refused with TOO_MANY_REQUESTS. */
  maxConcurrentUploads: number;
  /** Rejected rows of one file kept with their reasons; the rest are counted only. */
  maxListedRejectedRows: number;
  /** Open GraphQL WebSocket connections; more are refused at the handshake (HTTP 503). */
  webSocketMaxConnections: number;
  /** Subscriptions running at once on one WebSocket connection. */
  webSocketMaxSubscriptions: number;
  /** How long a `fileValidation` subscription waits for an upload that has not started. */
  uploadWatchStartMs: number;
  /** A projection further behind the log than this makes its projector unready. */
  readyMaxLagSeconds: number;
  /** Mutations one caller (API key) may send a minute, on average; bursts up to the same number. */
  mutationsPerMinute: number;
  /** Bytes of one GraphQL document (comments included), refused before it is parsed. */
  graphqlMaxDocumentBytes: number;
  /** Bytes of one string argument or string in variables. */
  graphqlMaxStringBytes: number;
  /** Entries of one list argument (inline or in variables); each entry also costs one item of the query budget. */
  graphqlMaxListLength: number;
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
    // eslint-disable-next-line local/no-plain-dictionary -- name is one of this file's own setting names
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
    // eslint-disable-next-line local/no-plain-dictionary -- name is one of this file's own setting names
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
    uploadIdleTimeoutMs: integer('UPLOAD_IDLE_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    auth: 'on',
    adminToken: optional('ADMIN_TOKEN'),
    viewerToken: optional('VIEWER_TOKEN'),
    priceArea: text('PRICE_AREA', '10YCA-BULGARIA-R'),
    priceSource: 'entsoe',
    priceSourceUrl: '',
    entsoeToken: optional('ENTSOE_TOKEN'),
    priceScrape: true,
    webhookAllowPrivate: false,
    trustProxyHops: integer('TRUST_PROXY_HOPS', 0, 0, 10),
    queryCostPerSecond: integer('QUERY_COST_PER_SECOND', 10_000, 1, 10_000_000),
    queryCostBurst: integer('QUERY_COST_BURST', 30_000, 1, 100_000_000),
    webhookSecretKey: optional('WEBHOOK_SECRET_KEY'),
    webhookSecretKeyFile: resolve(text('WEBHOOK_SECRET_KEY_FILE', `${text('DATA_DIR', './data')}/webhook-secret.key`)),
    graphqlIntrospection: false,
    webhookTimeoutMs: integer('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookConcurrency: integer('WEBHOOK_CONCURRENCY', 4, 1, 32),
    webhookPageSize: integer('WEBHOOK_PAGE_SIZE', 100, 10, 1_000),
    priceScrapeCron: text('PRICE_SCRAPE_CRON', '30 14 * * *'),
    priceRecheckDays: integer('PRICE_RECHECK_DAYS', 2, 0, 31),
    priceFetchTimeoutMs: integer('PRICE_FETCH_TIMEOUT_MS', 20_000, 100, 600_000),
    priceFetchAttempts: integer('PRICE_FETCH_ATTEMPTS', 4, 1, 10),
    logLevel: logLevel as Config['logLevel'],
    role: 'all',
    eventStore: { kind: 'sqlite' },
    readStore: { kind: 'sqlite' },
    projectorLeaseMs: integer('PROJECTOR_LEASE_MS', 15_000, 1_000, 600_000),
    backendConnectTimeoutMs: integer('BACKEND_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    validationWorkers: integer('VALIDATION_WORKERS', 2, 0, 16),
    projectorThread: true,
    maxConcurrentUploads: integer('MAX_CONCURRENT_UPLOADS', 4, 1, 64),
    maxListedRejectedRows: integer('MAX_LISTED_REJECTED_ROWS', 100_000, 100, 100_000_000),
    webSocketMaxConnections: integer('WS_MAX_CONNECTIONS', 200, 1, 100_000),
    webSocketMaxSubscriptions: integer('WS_MAX_SUBSCRIPTIONS', 10, 1, 1_000),
    uploadWatchStartMs: integer('UPLOAD_WATCH_START_MS', 600_000, 100, 86_400_000),
    readyMaxLagSeconds: integer('READY_MAX_LAG_SECONDS', 300, 1, 86_400),
    mutationsPerMinute: integer('MUTATIONS_PER_MINUTE', 60, 1, 100_000),
    graphqlMaxDocumentBytes: integer('GRAPHQL_MAX_DOCUMENT_BYTES', 64 * 1024, 1024, 512 * 1024),
    graphqlMaxStringBytes: integer('GRAPHQL_MAX_STRING_BYTES', 4096, 64, 256 * 1024),
    graphqlMaxListLength: integer('GRAPHQL_MAX_LIST_LENGTH', 1000, 1, 10_000),
  };
  const source = text('PRICE_SOURCE', 'entsoe');
  if (source === 'entsoe' || source === 'energy-charts' || source === 'csv') config.priceSource = source;
  else problems.push(`PRICE_SOURCE='${source}' must be entsoe, energy-charts or csv`);
  config.priceSourceUrl = text('PRICE_SOURCE_URL', DEFAULT_SOURCE_URLS[config.priceSource]);
  if (config.priceSource === 'csv' && config.priceSourceUrl === '') {
    problems.push('PRICE_SOURCE=csv needs PRICE_SOURCE_URL: the URL or file path of a timestamp,price_eur_mwh CSV');
  }
  const auth = text('AUTH', 'on');
  if (auth === 'on' || auth === 'off') config.auth = auth;
  else problems.push(`AUTH='${auth}' must be on or off`);
  const allowPrivate = text('WEBHOOK_ALLOW_PRIVATE', 'false');
  if (allowPrivate === 'true' || allowPrivate === 'false') config.webhookAllowPrivate = allowPrivate === 'true';
  else problems.push(`WEBHOOK_ALLOW_PRIVATE='${allowPrivate}' must be true or false`);
  if (config.webhookSecretKey !== null && config.webhookSecretKey.length < 32)
    problems.push('WEBHOOK_SECRET_KEY must be at least 32 characters (for example: openssl rand -base64 32)');
  const introspection = text('GRAPHQL_INTROSPECTION', 'off');
  if (introspection === 'on' || introspection === 'off') config.graphqlIntrospection = introspection === 'on';
  else problems.push(`GRAPHQL_INTROSPECTION='${introspection}' must be on or off`);
  const projectorThread = text('PROJECTOR_THREAD', 'on');
  if (projectorThread === 'on' || projectorThread === 'off') config.projectorThread = projectorThread === 'on';
  else problems.push(`PROJECTOR_THREAD='${projectorThread}' must be on or off`);
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
  const role = text('ROLE', 'all');
  if (role === 'all' || role === 'api' || role === 'projector') config.role = role;
  else problems.push(`ROLE='${role}' must be all, api or projector`);
  config.eventStore = eventStoreConfig(text('EVENT_STORE', 'sqlite'), optional('EVENTSTORE_URL'), problems);
  config.readStore = readStoreConfig(text('READ_STORE', 'sqlite'), optional('MONGODB_URL'), problems);
  if (config.role !== 'all' && (config.eventStore.kind === 'sqlite' || config.readStore.kind === 'sqlite')) {
    problems.push(
      `ROLE='${config.role}' splits the service over processes, which needs the shared backends: EVENT_STORE=eventstoredb and READ_STORE=mongodb`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function eventStoreConfig(kind: string, url: string | null, problems: string[]): Config['eventStore'] {
  if (kind === 'sqlite') return { kind };
  if (kind !== 'eventstoredb') {
    problems.push(`EVENT_STORE='${kind}' must be sqlite or eventstoredb`);
    return { kind: 'sqlite' };
  }
  if (url === null || !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover):\/\//.test(url)) {
    problems.push(
      `EVENT_STORE=eventstoredb needs EVENTSTORE_URL, a connection string such as esdb://localhost:2113?tls=false (got '${url ?? ''}')`,
    );
    return { kind: 'sqlite' };
  }
  return { kind, url };
}

function readStoreConfig(kind: string, url: string | null, problems: string[]): Config['readStore'] {
  if (kind === 'sqlite') return { kind };
  if (kind !== 'mongodb') {
    problems.push(`READ_STORE='${kind}' must be sqlite or mongodb`);
    return { kind: 'sqlite' };
  }
  if (url === null || !/^mongodb(\+srv)?:\/\//.test(url)) {
    problems.push(
      `READ_STORE=mongodb needs MONGODB_URL, a connection string such as mongodb://localhost:27017/energy_billing?replicaSet=rs0 (got '${url ?? ''}')`,
    );
    return { kind: 'sqlite' };
  }
  return { kind, url, database: databaseNameOf(url) };
}

/** The database named in the connection string's path, or the service's default. */
export function databaseNameOf(mongoUrl: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(mongoUrl)?.[1] ?? '';
  return path === '' ? 'energy_billing' : decodeURIComponent(path);
}
