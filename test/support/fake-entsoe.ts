import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const fixture = (path: string) => readFileSync(join(__dirname, '..', 'fixtures', 'prices', path), 'utf8');
const real = fixture('entsoe/day-ahead-prices-resp.xml');
// The real document's header, with our period in place of its TimeSeries.
const header = real.slice(0, real.indexOf('<TimeSeries>'));

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

/** An A44 answer in the real document's form, for [start, end) at a resolution, from a price function. */
export function a44(start: number, end: number, minutes: number, price: (at: number) => number | null): string {
  const step = minutes * 60_000;
  const points: string[] = [];
  for (let at = start, position = 1; at < end; at += step, position++) {
    const value = price(at);
    if (value !== null)
      points.push(`<Point><position>${position}</position><price.amount>${value.toFixed(2)}</price.amount></Point>`);
  }
  return `${header}<TimeSeries><mRID>1</mRID><businessType>A62</businessType>
<currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name><curveType>A01</curveType>
<Period><timeInterval><start>${stamp(start)}</start><end>${stamp(end)}</end></timeInterval><resolution>PT${minutes}M</resolution>
${points.join('\n')}</Period></TimeSeries></Publication_MarketDocument>`;
}

const parseCompact = (text: string) =>
  Date.UTC(+text.slice(0, 4), +text.slice(4, 6) - 1, +text.slice(6, 8), +text.slice(8, 10), +text.slice(10, 12));

export interface FakeEntsoe {
  url: string;
  requests: number;
  /** Answers the next n requests with 503. */
  failNext(n: number): void;
  /** Answers the next request after `ms`. */
  delayNext(ms: number): void;
  /** Answers every request after `ms` from now on (0: at once). */
  delayEach(ms: number): void;
  close(): Promise<void>;
}

/** A local stand-in for the Transparency Platform API that answers in its real document formats. */
export async function startFakeEntsoe(price: (at: number) => number | null, token = 'test-token'): Promise<FakeEntsoe> {
  let failures = 0;
  let delay = 0;
  let everyDelay = 0;
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(503).end('busy');
        return;
      }
      if (url.searchParams.get('securityToken') !== token) {
        res.writeHead(401, { 'content-type': 'text/html' }).end(fixture('entsoe/unauth-resp.xml'));
        return;
      }
      const start = url.searchParams.get('periodStart');
      const end = url.searchParams.get('periodEnd');
      if (url.searchParams.get('documentType') !== 'A44' || start === null || end === null) {
        res.writeHead(400, { 'content-type': 'application/xml' }).end(fixture('entsoe/bad-request-resp.xml'));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(a44(parseCompact(start), parseCompact(end), 60, price));
    };
    if (delay > 0 || everyDelay > 0) {
      const ms = delay > 0 ? delay : everyDelay;
      delay = 0;
      setTimeout(answer, ms);
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    failNext: (n) => {
      failures = n;
    },
    delayNext: (ms) => {
      delay = ms;
    },
    delayEach: (ms) => {
      everyDelay = ms;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `npm run prices:backfill` as a user runs it, in its own process: node's arguments up to the
 * subcommand's options, and the environment that points it at a server's data directory and this source.
 */
export function pricesBackfillCli(dataDir: string, source: Pick<FakeEntsoe, 'url'>, token = 'test-token') {
  return {
    args: ['--require', 'tsx/cjs', join(__dirname, '..', '..', 'scripts', 'prices.ts'), 'backfill'],
    env: { ...process.env, DATA_DIR: dataDir, PRICE_SOURCE_URL: source.url, ENTSOE_TOKEN: token, LOG_LEVEL: 'silent' },
  };
}
