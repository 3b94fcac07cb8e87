import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import { SqliteUploadReadModel } from '../../src/infrastructure/sqlite/sqlite-upload-read-model';
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { referenceInvoices, referencePrices, referenceReadings } from '../support/reference-billing';
import type { TestServer } from '../support/test-server';
import { graphql, startTestServer, uploadFile } from '../support/test-server';

const MONTH = '2026-10'; // holds the 25-hour day 2026-10-25 in Europe/Sofia
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { days points unchangedDays position } }`;
const INVOICES = `query($month: String!, $after: String, $atLeast: String) {
  invoices(month: $month, first: 5, after: $after, atLeast: $atLeast) {
    totalCount edges { node { id meter month totalKwh energyCost intervals expectedIntervals unpricedIntervals status averagePricePerKwh } }
    pageInfo { hasNextPage endCursor } } }`;

interface InvoiceNode {
  id: string;
  meter: string;
  totalKwh: number;
  energyCost: string;
  intervals: number;
  expectedIntervals: number;
  unpricedIntervals: number;
  status: string;
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function allInvoices(month: string, atLeast: string): Promise<Map<string, InvoiceNode>> {
  const found = new Map<string, InvoiceNode>();
  let after: string | null = null;
  for (;;) {
    const page: { data?: any; errors?: unknown } = await graphql(t.url, INVOICES, { month, after, atLeast });
    expect(page.errors).toBeUndefined();
    for (const edge of page.data.invoices.edges) found.set(edge.node.meter, edge.node);
    if (!page.data.invoices.pageInfo.hasNextPage) return found;
    after = page.data.invoices.pageInfo.endCursor;
  }
}

function dumps() {
  const db = openSqliteDatabase(join(t.config.dataDir, 'read-models.sqlite'));
  try {
    return { billing: new SqliteBillingReadModel(db).dump(), uploads: new SqliteUploadReadModel(db).dump() };
  } finally {
    db.close();
  }
}

describe('monthly invoices against an independent reference', () => {
  const readingsCsv = [...generateReadings({ month: MONTH, meters: 7, errorRate: 0.002, seed: 21 })].join('\n');
  // A price gap: three hours of 2026-10-10 are not published.
  const gap = new Set(['2026-10-10T10:00:00+03:00', '2026-10-10T11:00:00+03:00', '2026-10-10T12:00:00+03:00']);
  const pricesCsv = [...generatePrices({ month: MONTH })].filter((line) => !gap.has(line.split(',')[0]!)).join('\n');
  let position = '';

  it('bills every meter to the cent, with the DST day and the price gap', async () => {
    const upload = await uploadFile(t.url, readingsCsv, 'october.csv');
    expect(upload.data?.uploadReadings.status).toBe('VALIDATED');
    const prices = await uploadFile(t.url, pricesCsv, 'prices.csv', { query: IMPORT_PRICES });
    expect(prices.errors).toBeUndefined();
    expect((prices.data as any).importPrices).toMatchObject({ days: 31, points: 745 - 3, unchangedDays: 0 });
    position = (prices.data as any).importPrices.position;

    const expected = referenceInvoices(
      referenceReadings(readingsCsv),
      referencePrices(pricesCsv),
      MONTH,
      'Europe/Sofia',
    );
    const invoices = await allInvoices(MONTH, position);
    expect([...invoices.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [meter, reference] of expected) {
      const invoice = invoices.get(meter)!;
      expect(invoice.energyCost).toBe(reference.energyCost);
      expect(Math.abs(invoice.totalKwh - Number(reference.totalKwhMicro) / 1e6)).toBeLessThan(1e-6);
      expect(invoice.intervals).toBe(reference.intervals);
      expect(invoice.unpricedIntervals).toBe(reference.unpricedIntervals);
      expect(invoice.unpricedIntervals).toBeGreaterThan(0); // the gap: 3 hours x 4 quarter hours, less rows rejected there
      expect(invoice.expectedIntervals).toBe(31 * 96 + 4);
      expect(invoice.status).toBe(
        invoice.intervals < invoice.expectedIntervals ? 'MISSING_READINGS' : 'MISSING_PRICES',
      );
    }

    const dst = await graphql(
      t.url,
      `
        {
          dailyUsage(meter: "MP000001", from: "2026-10-25", to: "2026-10-26") {
            date
            intervals
            expectedIntervals
          }
        }
      `,
    );
    expect(dst.data?.dailyUsage.map((d: any) => d.expectedIntervals)).toEqual([100, 96]);
    const totals = await graphql(
      t.url,
      `
        {
          dailyTotals(date: "2026-10-02") {
            meters
            totalKwh
            averageKwhPerMeter
          }
        }
      `,
    );
    expect(totals.data?.dailyTotals.meters).toBe(7);
    expect(await graphql(t.url, '{ meters }')).toMatchObject({
      data: { meters: expect.arrayContaining(['MP000001', 'MP000007']) },
    });
  });

  it('appends nothing when the same prices are imported again', async () => {
    const again = await uploadFile(t.url, pricesCsv, 'prices.csv', { query: IMPORT_PRICES });
    expect((again.data as any).importPrices).toMatchObject({ days: 0, points: 0, unchangedDays: 31 });
  });

  it('fills the gap when the missing hours are published, without a replay', async () => {
    const full = [...generatePrices({ month: MONTH })].join('\n');
    const response = await uploadFile(t.url, full, 'prices-full.csv', { query: IMPORT_PRICES });
    expect((response.data as any).importPrices).toMatchObject({ days: 1, points: 24 });
    position = (response.data as any).importPrices.position;
    const expected = referenceInvoices(referenceReadings(readingsCsv), referencePrices(full), MONTH, 'Europe/Sofia');
    const invoices = await allInvoices(MONTH, position);
    for (const [meter, reference] of expected) {
      expect(invoices.get(meter)).toMatchObject({ energyCost: reference.energyCost, unpricedIntervals: 0 });
    }
    const prices = await graphql(
      t.url,
      `
        {
          prices(from: "2026-10-10", to: "2026-10-10") {
            start
            priceEurMwh
          }
        }
      `,
    );
    expect(prices.data?.prices).toHaveLength(24);
  });

  it('applies a corrected reading by exactly the difference', async () => {
    const dayQuery = `query($p: String) { dailyUsage(meter: "MP000003", from: "2026-10-05", to: "2026-10-05", atLeast: $p) { totalKwh intervals } }`;
    const before = await graphql(t.url, dayQuery, { p: position });
    const invoiceBefore = (await allInvoices(MONTH, position)).get('MP000003')!;
    const original = readingsCsv.split('\n').find((l) => l.startsWith('MP000003,2026-10-05T14:00:00'))!;
    const [meter, timestamp, kwh] = original.split(',') as [string, string, string];
    const corrected = (Number(kwh) + 1.5).toFixed(4);
    const correction = `metering_point_id,timestamp,kwh\n${meter},${timestamp},${corrected}\n`;
    const receipt = await uploadFile(t.url, correction, 'correction.csv');
    expect(receipt.data?.uploadReadings.acceptedRows).toBe(1);

    const after = await graphql(t.url, dayQuery, { p: receipt.data!.uploadReadings.position });
    expect(after.data?.dailyUsage[0].intervals).toBe(before.data?.dailyUsage[0].intervals);
    expect(after.data?.dailyUsage[0].totalKwh - before.data?.dailyUsage[0].totalKwh).toBeCloseTo(1.5, 9);

    const invoiceAfter = (await allInvoices(MONTH, receipt.data!.uploadReadings.position)).get('MP000003')!;
    expect(invoiceAfter.totalKwh - invoiceBefore.totalKwh).toBeCloseTo(1.5, 9);
    expect(invoiceAfter.intervals).toBe(invoiceBefore.intervals);
    const merged = referenceReadings(readingsCsv);
    merged.set(`${meter}|${Date.parse(timestamp)}`, BigInt(Math.round(Number(corrected) * 1e6)));
    const prices = referencePrices([...generatePrices({ month: MONTH })].join('\n'));
    expect(invoiceAfter.energyCost).toBe(
      referenceInvoices(merged, prices, MONTH, 'Europe/Sofia').get('MP000003')!.energyCost,
    );
  });

  it('rebuilds every read model from zero to the same content', async () => {
    const before = dumps();
    const report = await graphql(t.url, 'mutation { replayProjections { projections events millis } }');
    expect(report.errors).toBeUndefined();
    expect(report.data?.replayProjections.projections).toEqual(['upload-status', 'billing', 'accounts']);
    expect(report.data?.replayProjections.events).toBeGreaterThan(0);
    expect(dumps()).toEqual(before);
    // and the service still answers from the swapped-in tables
    expect((await allInvoices(MONTH, position)).size).toBe(7);
  });

  it('refuses a bad price file whole, naming the lines', async () => {
    const bad =
      'timestamp,price_eur_mwh\n2026-11-01T00:00:00+02:00,12.5\n2026-11-01T01:00:00+02:00,abc\nnot-a-time,1\n';
    const response = await uploadFile(t.url, bad, 'bad.csv', { query: IMPORT_PRICES });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('line 3');
    expect(response.errors?.[0]?.message).toContain('line 4');
    const nothing = await graphql(
      t.url,
      `
        {
          prices(from: "2026-11-01", to: "2026-11-01") {
            start
          }
        }
      `,
    );
    expect(nothing.data?.prices).toEqual([]);
  });

  it('answers bad arguments with BAD_USER_INPUT', async () => {
    for (const query of [
      '{ invoices(month: "2026-13") { totalCount } }',
      '{ dailyUsage(meter: "MP1", from: "2026-10-05", to: "2026-10-01") { date } }',
      '{ dailyTotals(date: "yesterday") { date } }',
      '{ invoices(month: "2026-10", atLeast: "not-a-position") { totalCount } }',
      'mutation { replayProjections(names: ["nope"]) { events } }',
    ]) {
      const response = await graphql(t.url, query);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
