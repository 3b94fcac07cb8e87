/**
 * npm run compare:peer -- READINGS.csv PRICES.csv YYYY-MM [PEER_INVOICES.csv]
 *
 * Uploads the readings and imports the prices into a fresh server, waits until the invoices reflect
 * both, and compares every invoice with the peer's answer: cost equal to the cent, kWh within 1e-6,
 * intervals and unpriced intervals equal. The peer's CSV comes from the DuckDB peer
 * (peer-duckdb.mjs, output columns metering_point_id,month,total_kwh,energy_cost_eur,intervals,
 * unpriced_intervals); without one, the in-repo reference implementation is used.
 * Prints the service's time for the whole path (upload, import, invoices ready). Exits 1 on a mismatch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceInvoices, referencePrices, referenceReadings } from '../test/support/reference-billing';
import { peakRssMb, postFile, query, startChildServer } from './lib/child-server';

interface Expected {
  totalKwh: number;
  energyCost: string;
  intervals: number;
  unpricedIntervals: number;
}

function peerAnswer(file: string): Map<string, Expected> {
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return new Map(
    rows.map((row) => {
      const [meter, , kwh, cost, intervals, unpriced] = row.split(',') as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return [
        meter,
        {
          totalKwh: Number(kwh),
          energyCost: Number(cost).toFixed(2),
          intervals: Number(intervals),
          unpricedIntervals: Number(unpriced),
        },
      ];
    }),
  );
}

function referenceAnswer(readings: string, prices: string, month: string, tz: string): Map<string, Expected> {
  const invoices = referenceInvoices(
    referenceReadings(readFileSync(readings, 'utf8')),
    referencePrices(readFileSync(prices, 'utf8')),
    month,
    tz,
  );
  return new Map(
    [...invoices].map(([meter, i]) => [
      meter,
      {
        totalKwh: Number(i.totalKwhMicro) / 1e6,
        energyCost: i.energyCost,
        intervals: i.intervals,
        unpricedIntervals: i.unpricedIntervals,
      },
    ]),
  );
}

async function main(): Promise<void> {
  const [readings, prices, month, peerFile] = process.argv.slice(2);
  if (!readings || !prices || !month) {
    process.stderr.write('usage: npm run compare:peer -- READINGS.csv PRICES.csv YYYY-MM [PEER_INVOICES.csv]\n');
    process.exit(2);
  }
  const tz = process.env.BILLING_TZ ?? 'Europe/Sofia';
  const expected = peerFile ? peerAnswer(peerFile) : referenceAnswer(readings, prices, month, tz);
  const work = mkdtempSync(join(tmpdir(), 'billing-compare-'));
  const server = await startChildServer({ DATA_DIR: join(work, 'data'), BILLING_TZ: tz });
  try {
    const started = performance.now();
    const upload = await postFile(
      server.url,
      'mutation($f: Upload!) { uploadReadings(file: $f) { acceptedRows rejectedRows position } }',
      readings,
      'readings.csv',
    );
    const uploaded = performance.now();
    const imported = await postFile(
      server.url,
      'mutation($f: Upload!) { importPrices(file: $f) { days points position } }',
      prices,
      'prices.csv',
    );
    const invoices = new Map<string, any>();
    let after: string | null = null;
    for (;;) {
      const page: any = await query(
        server.url,
        `query($m: String!, $a: String, $p: String) { invoices(month: $m, first: 500, after: $a, atLeast: $p) {
          edges { node { meter totalKwh energyCost intervals unpricedIntervals status } } pageInfo { hasNextPage endCursor } } }`,
        { m: month, a: after, p: imported.importPrices.position },
      );
      for (const edge of page.invoices.edges) invoices.set(edge.node.meter, edge.node);
      if (!page.invoices.pageInfo.hasNextPage) break;
      after = page.invoices.pageInfo.endCursor;
    }
    const finished = performance.now();

    const mismatches: string[] = [];
    for (const [meter, want] of expected) {
      const got = invoices.get(meter);
      if (got === undefined) mismatches.push(`${meter}: no invoice`);
      else if (
        got.energyCost !== want.energyCost ||
        Math.abs(got.totalKwh - want.totalKwh) > 1e-6 ||
        got.intervals !== want.intervals ||
        got.unpricedIntervals !== want.unpricedIntervals
      ) {
        mismatches.push(`${meter}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
    }
    for (const meter of invoices.keys())
      if (!expected.has(meter)) mismatches.push(`${meter}: not in the peer's answer`);
    process.stdout.write(
      `${JSON.stringify(
        {
          against: peerFile ? `peer ${peerFile}` : 'in-repo reference',
          invoices: invoices.size,
          mismatches: mismatches.length,
          acceptedRows: upload.uploadReadings.acceptedRows,
          rejectedRows: upload.uploadReadings.rejectedRows,
          uploadSeconds: Number(((uploaded - started) / 1000).toFixed(2)),
          wholePathSeconds: Number(((finished - started) / 1000).toFixed(2)),
          serverPeakRssMb: Math.round(peakRssMb(server.pid)),
        },
        null,
        2,
      )}\n`,
    );
    for (const line of mismatches.slice(0, 20)) process.stderr.write(`${line}\n`);
    if (mismatches.length > 0) process.exitCode = 1;
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`compare failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
