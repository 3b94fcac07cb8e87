/**
 * Half-hourly meters billed end to end: a month of 30-minute readings (inferred from their spacing) and a
 * meter that moves from 15- to 30-minute readings inside the month, under hourly prices. Every invoice
 * equals a reference computed by DuckDB from the same two files (each reading at the price of the hour
 * that contains it, exact decimals, rounded half away from zero to cents), and says which intervals it
 * was billed at.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { invoicesOfMonth } from '../support/billing-queries';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server';

const TZ = 'Europe/London';
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;
const UPLOAD = `mutation($file: Upload!) {
  uploadReadings(file: $file) { status acceptedRows rejectedRows position intervals { minutes how meters } }
}`;

interface Reference {
  meter: string;
  kwh: string;
  cost: string;
  readings: number;
}

/** Each meter's kWh and cost as DuckDB computes them from the readings and prices files. */
async function duckDbInvoices(readingsPath: string, pricesPath: string): Promise<Reference[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`
      WITH r AS (
        SELECT metering_point_id AS meter, epoch_ms(timestamp::TIMESTAMPTZ) AS t, kwh::DECIMAL(18, 6) AS kwh
        FROM read_csv('${readingsPath}', all_varchar = true)),
      p AS (
        SELECT epoch_ms(timestamp::TIMESTAMPTZ) AS t, price_eur_mwh::DECIMAL(18, 6) AS price
        FROM read_csv('${pricesPath}', all_varchar = true))
      SELECT meter, sum(kwh)::VARCHAR AS kwh, round(sum(kwh * price * 0.001), 2)::VARCHAR AS cost,
        count(*)::INTEGER AS readings
      FROM r JOIN p ON p.t = r.t - r.t % 3600000
      GROUP BY meter ORDER BY meter`);
    return reader.getRowObjectsJS() as unknown as Reference[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('half-hourly meters', () => {
  let t: TestServer;
  let dir: string;
  let position = '';
  let reference: Reference[] = [];
  const receipts: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    t = await startTestServer({ BILLING_TZ: TZ });
    dir = mkdtempSync(join(tmpdir(), 'half-hourly-'));
    const halfHourly = [
      ...generateReadings({ month: '2026-10', meters: 3, intervalMinutes: 30, timeZone: TZ, errorRate: 0, seed: 5 }),
    ];
    // MIX reads every 15 minutes until 10 October, then every 30 minutes: two files, one a period.
    const dayOf = (line: string) => Number(line.split(',')[1]!.slice(8, 10));
    const mix = (intervalMinutes: number) =>
      [
        ...generateReadings({
          month: '2026-10',
          meters: 1,
          intervalMinutes,
          timeZone: TZ,
          errorRate: 0,
          seed: 9,
          meterId: () => 'MIX',
        }),
      ].slice(1);
    const early = mix(15).filter((line) => dayOf(line) <= 10);
    const late = mix(30).filter((line) => dayOf(line) >= 11);
    const files = [halfHourly.join('\n'), [halfHourly[0], ...early].join('\n'), [halfHourly[0], ...late].join('\n')];
    for (const [i, text] of files.entries()) {
      const answer = await uploadFile(t.url, `${text}\n`, `part-${i}.csv`, { query: UPLOAD });
      receipts.push((answer.data as unknown as { uploadReadings: Record<string, unknown> }).uploadReadings);
    }
    const prices = [...generatePrices({ month: '2026-10', timeZone: TZ })].join('\n');
    const imported = await uploadFile(t.url, prices, 'prices.csv', { query: IMPORT_PRICES });
    position = (imported.data as unknown as { importPrices: { position: string } }).importPrices.position;

    const readingsPath = join(dir, 'readings.csv');
    const pricesPath = join(dir, 'prices.csv');
    writeFileSync(readingsPath, [halfHourly.join('\n'), ...early, ...late].join('\n'));
    writeFileSync(pricesPath, prices);
    reference = await duckDbInvoices(readingsPath, pricesPath);
  }, 60_000);

  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('infers the half-hourly interval of each meter from its readings', () => {
    expect(receipts[0]).toMatchObject({
      status: 'VALIDATED',
      rejectedRows: 0,
      intervals: [{ minutes: 30, how: 'INFERRED', meters: 3 }],
    });
    expect(receipts[1]).toMatchObject({ intervals: [{ minutes: 15, how: 'INFERRED', meters: 1 }] });
    expect(receipts[2]).toMatchObject({ intervals: [{ minutes: 30, how: 'INFERRED', meters: 1 }] });
  });

  it('bills every meter as DuckDB does from the same files, to the cent, each at its own intervals', async () => {
    const invoices = await invoicesOfMonth(t.url, '2026-10', { atLeast: position });
    expect(reference.map((r) => r.meter)).toEqual(['MIX', 'MP000001', 'MP000002', 'MP000003']);
    expect(invoices.map((invoice) => invoice.meter)).toEqual(reference.map((r) => r.meter));
    for (const [i, invoice] of invoices.entries()) {
      const expected = reference[i]!;
      const mixed = expected.meter === 'MIX';
      expect(invoice).toEqual({
        meter: expected.meter,
        totalKwh: Number(expected.kwh),
        energyCost: expected.cost,
        intervals: expected.readings,
        // October 2026 in London: 31 days, the 25th an hour longer (50 half-hours, 100 quarter-hours).
        expectedIntervals: mixed ? 10 * 96 + 21 * 48 + 2 : 31 * 48 + 2,
        unpricedIntervals: 0,
        intervalMinutes: mixed ? [15, 30] : [30],
        status: 'COMPLETE',
      });
    }
  });
});
