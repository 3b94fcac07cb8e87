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
import { peakRssMb, startChildServer } from './lib/child-server';
import { compareInvoices, loadMonth, peerAnswer, type ExpectedInvoice } from './lib/invoices';

function referenceAnswer(readings: string, prices: string, month: string, tz: string): Map<string, ExpectedInvoice> {
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
  const expected = peerFile ? peerAnswer(readFileSync(peerFile, 'utf8')) : referenceAnswer(readings, prices, month, tz);
  const work = mkdtempSync(join(tmpdir(), 'billing-compare-'));
  const server = await startChildServer({ DATA_DIR: join(work, 'data'), BILLING_TZ: tz });
  try {
    const loaded = await loadMonth(server.url, readings, prices, month);
    const mismatches = compareInvoices(expected, loaded.invoices);
    process.stdout.write(
      `${JSON.stringify(
        {
          against: peerFile ? `peer ${peerFile}` : 'in-repo reference',
          invoices: loaded.invoices.size,
          mismatches: mismatches.length,
          acceptedRows: loaded.receipt.acceptedRows,
          rejectedRows: loaded.receipt.rejectedRows,
          uploadSeconds: Number(loaded.uploadSeconds.toFixed(2)),
          wholePathSeconds: Number(loaded.readySeconds.toFixed(2)),
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
