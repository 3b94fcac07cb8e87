/**
 * npm run bench [-- --meters 350 --month 2026-10 --sizes 1,4 --runs 3 --channels 1|2]
 *
 * For each size (a multiple of --meters), generates a month of 15-minute readings and the month's
 * hourly prices, starts the service as `npm start` does on a fresh data directory, uploads the readings
 * and then the prices over GraphQL multipart, and waits until the month's invoices are queryable at the
 * prices' log position. Reports upload time, time to invoices ready, rows/s, the server's peak RSS
 * (VmHWM), the longest the server's event loop was held meanwhile (from its /metrics), the store size,
 * a full replay of all projections, the median latency of `invoices(month)` and of one meter's
 * invoice, and the month's CSV and Parquet exports (time, size, the server's memory growth meanwhile). In the same run it times the DuckDB peer and, when pandas is installed,
 * the pandas peer on the same files (ours and the peers each the median of --runs), checks that every invoice equals DuckDB's to
 * the cent, and prints a table of ours beside DuckDB (and pandas). The whole results go to
 * bench/results/<date>-<size>x.json. The DuckDB peer is the project's own (`bench/peer-duckdb.mjs`, on the
 * dev dependency `@duckdb/node-api`); a pandas peer runs when `--peers DIR` holds a `peer-pandas.py` (same
 * arguments and output) and `python3 -c "import pandas"` works.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { emptyCounts, generatePrices, generateReadings } from '../src/tools/readings-generator';
import { currentRssMb, peakRssMb, query, startChildServer } from './lib/child-server';
import { compareInvoices, loadMonth, peerAnswer } from './lib/invoices';
import { writeLines } from './lib/write-lines';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const meters = Number(option('meters', '350'));
const month = option('month', '2026-10');
const sizes = option('sizes', '1,4').split(',').map(Number);
const runs = Number(option('runs', '3'));
const ownPeers = resolve(__dirname, '../bench');
const peers = resolve(option('peers', ownPeers));
const tz = 'Europe/Sofia';
/** `--channels 2`: every import row has an export row beside it (a `channel` column; twice the rows). */
const withExport = option('channels', '1') === '2';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const directoryBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) =>
      sum + (entry.isDirectory() ? directoryBytes(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );

/** Runs a peer `runs` times; its wall time (median) and its answer (CSV) of the last run. */
function timePeer(command: string, commandArgs: string[], env: Record<string, string>) {
  const seconds: number[] = [];
  let output = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    output = execFileSync(command, commandArgs, {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    seconds.push((performance.now() - started) / 1000);
  }
  return { seconds: median(seconds), runs: seconds.map((s) => Number(s.toFixed(2))), output };
}

/** `nodejs_eventloop_lag_max_seconds` from the server's /metrics (prom-client resets it at each scrape). */
async function eventLoopLagMaxSeconds(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => /^energy_billing_nodejs_eventloop_lag_max_seconds[ {]/.test(l));
  return line === undefined ? Number.NaN : Number(line.trim().split(/\s+/).pop());
}

/**
 * Downloads each export of the month whole, timing it and sampling the server's resident memory every
 * 10 ms meanwhile: `rssGrowthMb` is the most it rose above its level when the export began.
 */
async function timeExports(graphqlUrl: string, pid: number) {
  const base = graphqlUrl.replace(/\/graphql$/, '');
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const range = `from=${month}-01&to=${month}-${String(lastDay).padStart(2, '0')}`;
  const results: Record<string, { seconds: number; megabytes: number; rssGrowthMb: number }> = {};
  for (const path of [
    `daily-usage.csv?${range}`,
    `daily-usage.parquet?${range}`,
    `invoices.csv?month=${month}`,
    `invoices.parquet?month=${month}`,
  ]) {
    const startRss = currentRssMb(pid);
    let maxRss = startRss;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, currentRssMb(pid));
    }, 10);
    const started = performance.now();
    const response = await fetch(`${base}/exports/${path}`);
    if (response.status !== 200) throw new Error(`export ${path} answered ${response.status}`);
    let bytes = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    results[path.split('?')[0]!] = {
      seconds: Number(seconds.toFixed(3)),
      megabytes: Number((bytes / 1e6).toFixed(2)),
      rssGrowthMb: Math.round(Math.max(maxRss, currentRssMb(pid)) - startRss),
    };
  }
  return results;
}

async function ours(readings: string, prices: string, work: string, run: number) {
  const dataDir = join(work, `data-${run}`);
  const server = await startChildServer({ DATA_DIR: dataDir, BILLING_TZ: tz });
  try {
    const idleRss = peakRssMb(server.pid);
    await eventLoopLagMaxSeconds(server.url); // a scrape resets the server's event-loop delay histogram
    const loaded = await loadMonth(server.url, readings, prices, month);
    const peak = peakRssMb(server.pid);
    // The longest the server's event loop was held while the month went from upload to invoices.
    const eventLoopMaxMs = Math.round((await eventLoopLagMaxSeconds(server.url)) * 1000);

    const latency = async (text: string, variables: Record<string, unknown>): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 21; i++) {
        const t = performance.now();
        await query(server.url, text, variables);
        times.push(performance.now() - t);
      }
      return Number(median(times.slice(1)).toFixed(2)); // the first warms up
    };
    const monthLatencyMs = await latency(
      'query($m: String!) { invoices(month: $m, first: 500) { totalCount edges { node { meter energyCost totalKwh status } } } }',
      { m: month },
    );
    const meterLatencyMs = await latency(
      'query($m: String!) { invoices(month: $m, meter: "MP000001") { edges { node { meter energyCost totalKwh status } } } }',
      { m: month },
    );
    const exportTimes = await timeExports(server.url, server.pid);
    const replay = await query(server.url, 'mutation { replayProjections { projections events millis } }');
    return {
      exports: exportTimes,
      receipt: loaded.receipt,
      uploadSeconds: loaded.uploadSeconds,
      invoicesReadySeconds: loaded.readySeconds,
      invoices: loaded.invoices,
      serverIdleRssMb: Math.round(idleRss),
      serverPeakRssMb: Math.round(peak),
      replaySeconds: replay.replayProjections.millis / 1000,
      replayEvents: replay.replayProjections.events,
      monthLatencyMs,
      meterLatencyMs,
      eventLoopMaxMs,
      storeMegabytes: Number((directoryBytes(dataDir) / 1e6).toFixed(1)),
    };
  } finally {
    await server.stop();
  }
}

async function benchSize(size: number) {
  const work = mkdtempSync(join(tmpdir(), 'billing-bench-'));
  try {
    const readings = join(work, 'readings.csv');
    const prices = join(work, 'prices.csv');
    const counts = emptyCounts();
    await writeLines(
      readings,
      generateReadings({ month, meters: meters * size, errorRate: 0.001, seed: 7, withExport }, counts),
    );
    await writeLines(prices, generatePrices({ month }));
    const bytes = statSync(readings).size;
    process.stdout.write(`${size}x: ${counts.rows} rows (${(bytes / 1e6).toFixed(1)} MB), ${meters * size} meters\n`);

    // Each run on a fresh server and data directory; the run with the median time to invoices is reported.
    const serviceRuns = [];
    for (let run = 0; run < runs; run++) serviceRuns.push(await ours(readings, prices, work, run));
    const sorted = [...serviceRuns].sort((a, b) => a.invoicesReadySeconds - b.invoicesReadySeconds);
    const service = sorted[Math.floor((sorted.length - 1) / 2)]!;
    if (service.receipt.acceptedRows !== counts.valid) {
      throw new Error(`accepted ${service.receipt.acceptedRows} rows, the generator made ${counts.valid} valid ones`);
    }
    const result: Record<string, unknown> = {
      size,
      meters: meters * size,
      rows: counts.rows,
      megabytes: Number((bytes / 1e6).toFixed(1)),
      uploadSeconds: Number(service.uploadSeconds.toFixed(2)),
      invoicesReadySeconds: Number(service.invoicesReadySeconds.toFixed(2)),
      invoicesReadyRuns: serviceRuns.map((r) => Number(r.invoicesReadySeconds.toFixed(2))),
      rowsPerSecond: Math.round(counts.rows / service.invoicesReadySeconds),
      serverIdleRssMb: service.serverIdleRssMb,
      serverPeakRssMb: Math.max(...serviceRuns.map((r) => r.serverPeakRssMb)),
      storeMegabytes: service.storeMegabytes,
      replaySeconds: Number(service.replaySeconds.toFixed(2)),
      replayEvents: service.replayEvents,
      invoicesMonthMedianMs: service.monthLatencyMs,
      invoiceOneMeterMedianMs: service.meterLatencyMs,
      eventLoopMaxMs: Math.max(...serviceRuns.map((r) => r.eventLoopMaxMs)),
      exports: service.exports,
    };

    {
      const duck = timePeer(process.execPath, [join(ownPeers, 'peer-duckdb.mjs'), readings, prices, month, tz], {});
      const mismatches = compareInvoices(peerAnswer(duck.output), service.invoices);
      Object.assign(result, {
        duckdbSeconds: Number(duck.seconds.toFixed(2)),
        duckdbRuns: duck.runs,
        oursOverDuckdb: Number((service.invoicesReadySeconds / duck.seconds).toFixed(2)),
        replayOverDuckdb: Number((service.replaySeconds / duck.seconds).toFixed(2)),
        invoicesEqualDuckdb: mismatches.length === 0,
      });
      for (const line of mismatches.slice(0, 10)) process.stderr.write(`${line}\n`);
    }

    const pandasScript = join(peers, 'peer-pandas.py');
    let pandas = false;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import pandas'], { stdio: 'ignore' });
      pandas = existsSync(pandasScript);
    } catch {
      pandas = false;
    }
    if (pandas) {
      const peer = timePeer('/usr/bin/python3', [pandasScript, readings, prices, month, tz], {});
      Object.assign(result, {
        pandasSeconds: Number(peer.seconds.toFixed(2)),
        pandasRuns: peer.runs,
        pandasOverOurs: Number((peer.seconds / service.invoicesReadySeconds).toFixed(2)),
      });
    } else {
      process.stdout.write(
        `  pandas peer skipped: it needs ${join(peers, 'peer-pandas.py')} (--peers DIR) and python3 with pandas\n`,
      );
    }
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const machine = { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const date = new Date().toISOString().slice(0, 10);
  const results: Array<Record<string, unknown>> = [];
  for (const size of sizes) {
    const result = { date, machine, ...(await benchSize(size)) };
    results.push(result);
    mkdirSync('bench/results', { recursive: true });
    const file = join('bench/results', `${date}-${size}x${withExport ? '-2ch' : ''}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`  all figures: ${file}\n`);
  }
  process.stdout.write(`\n${resultsTable(results)}\n`);
  const base = results.find((r) => r.size === 1);
  const big = results.find((r) => r.size === 4);
  if (base !== undefined && big !== undefined) {
    process.stdout.write(
      `4x/1x: time ${((big.invoicesReadySeconds as number) / (base.invoicesReadySeconds as number)).toFixed(2)}, ` +
        `peak RSS ${((big.serverPeakRssMb as number) / (base.serverPeakRssMb as number)).toFixed(2)}\n`,
    );
  }
  if (results.some((r) => r.invoicesEqualDuckdb === false)) {
    process.stderr.write('invoices differ from DuckDB\n');
    process.exitCode = 1;
  }
}

/** The figures a reader compares, one column a size: ours, the peers and their ratios. */
function resultsTable(results: Array<Record<string, unknown>>): string {
  const cell = (value: unknown, unit = ''): string =>
    value === undefined ? 'n/a' : typeof value === 'number' ? `${value.toLocaleString('en-US')}${unit}` : String(value);
  const rows: Array<[string, (r: Record<string, any>) => string]> = [
    ['rows', (r) => cell(r.rows)],
    ['invoices ready (ours)', (r) => cell(r.invoicesReadySeconds, ' s')],
    ['DuckDB, same files', (r) => cell(r.duckdbSeconds, ' s')],
    ['ours / DuckDB', (r) => cell(r.oursOverDuckdb)],
    ['pandas, same files', (r) => cell(r.pandasSeconds, ' s')],
    ['pandas / ours', (r) => cell(r.pandasOverOurs)],
    ['rows/s (ours)', (r) => cell(r.rowsPerSecond)],
    ['server peak RSS', (r) => cell(r.serverPeakRssMb, ' MB')],
    ['full replay', (r) => cell(r.replaySeconds, ' s')],
    ['invoices(month) median', (r) => cell(r.invoicesMonthMedianMs, ' ms')],
    ['one meter invoice median', (r) => cell(r.invoiceOneMeterMedianMs, ' ms')],
    ['invoices equal DuckDB', (r) => cell(r.invoicesEqualDuckdb === true ? 'all' : 'NO')],
  ];
  const header = ['figure', ...results.map((r) => `${r.size as number}x (${r.meters as number} meters)`)];
  const body = rows.map(([name, value]) => [name, ...results.map(value)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((text, i) => text.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
