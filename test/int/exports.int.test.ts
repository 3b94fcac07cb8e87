/**
 * CSV exports of daily usage and invoices: the same figures as GraphQL, row for row, sorted by meter then
 * date, streamed in pages, behind the same keys, with formula-safe text cells.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { csvCell } from '../../src/common/csv';
import { generatePrices, generateReadings } from '../../src/tools/readings-generator';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

const ADMIN = { authorization: 'Bearer admin-token-for-exports' };
const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;

/** Rows of a CSV answer as objects by the header's names (no quoted cells in these exports' data). */
function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i]!, cell])));
}

/** The rows of a Parquet answer as DuckDB reads them back, in file order. */
async function readParquetWithDuckDb(bytes: Buffer): Promise<Array<Record<string, unknown>>> {
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  try {
    const path = join(dir, 'export.parquet');
    writeFileSync(path, bytes);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
      return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DAILY_FIELDS = `meter kind channel date totalKwh minKwh maxKwh avgKwh intervals expectedIntervals complete energyCost unpricedIntervals`;
const INVOICE_FIELDS = `meter month totalKwh energyCost currency averagePricePerKwh averageDailyKwh intervals expectedIntervals
  unpricedIntervals status`;

/** A GraphQL value as the CSV writes it. */
const asCell = (value: unknown): string => (value === null ? '' : String(value));

describe('CSV and Parquet exports', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ADMIN_TOKEN: ADMIN.authorization.slice(7) });
    // 60 meters x 31 days = 1,860 daily rows: more than one of the export's pages of 1,000.
    const readings = [...generateReadings({ month: '2026-10', meters: 60, errorRate: 0, seed: 11 })].join('\n');
    const uploaded = await uploadFile(t.url, readings, 'r.csv', { headers: ADMIN });
    expect(uploaded.data?.uploadReadings.status).toBe('VALIDATED');
    const prices = [...generatePrices({ month: '2026-10' })].join('\n');
    const imported = await uploadFile(t.url, prices, 'p.csv', { headers: ADMIN, query: IMPORT_PRICES });
    await t.server.services!.consistency.waitForPosition((imported.data as any).importPrices.position, 30_000);
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('exports every daily row, sorted by meter then date, equal to dailyUsage', async () => {
    const response = await fetch(
      `${t.url.replace(/\/graphql$/, '')}/exports/daily-usage.csv?from=2026-10-01&to=2026-10-31`,
      {
        headers: ADMIN,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(await response.text());
    expect(rows).toHaveLength(60 * 31);
    const keys = rows.map((r) => `${r.meter} ${r.date}`);
    expect(keys).toEqual([...keys].sort());
    const meters = [...new Set(rows.map((r) => r.meter))];
    expect(meters).toHaveLength(60);
    for (const meter of meters) {
      const answer = await graphql(
        t.url,
        `
          query ($m: ID!) {
            dailyUsage(meter: $m, from: "2026-10-01", to: "2026-10-31") {
              meter
              kind
              channel
              date
              totalKwh
              minKwh
              maxKwh
              avgKwh
              intervals
              expectedIntervals
              complete
              energyCost
              unpricedIntervals
            }
          }
        `,
        { m: meter },
        ADMIN,
      );
      const expected = (answer.data as { dailyUsage: Array<Record<string, unknown>> }).dailyUsage.map((day) =>
        Object.fromEntries(Object.entries(day).map(([k, v]) => [k, asCell(v)])),
      );
      expect(rows.filter((r) => r.meter === meter)).toEqual(expected);
    }
    const one = await fetch(
      `${t.url.replace(/\/graphql$/, '')}/exports/daily-usage.csv?from=2026-10-25&to=2026-10-26&meter=${meters[3]}`,
      { headers: ADMIN },
    );
    const oneRows = parseCsv(await one.text());
    expect(oneRows.map((r) => [r.meter, r.date, r.expectedIntervals])).toEqual([
      [meters[3], '2026-10-25', '100'],
      [meters[3], '2026-10-26', '96'],
    ]);
  });

  it('exports every invoice of the month, sorted by meter, equal to invoices', async () => {
    const response = await fetch(`${t.url.replace(/\/graphql$/, '')}/exports/invoices.csv?month=2026-10`, {
      headers: ADMIN,
    });
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="invoices-2026-10.csv"');
    const rows = parseCsv(await response.text());
    const answer = await graphql(
      t.url,
      `
        {
          invoices(month: "2026-10", first: 500) {
            edges {
              node {
                meter
                month
                totalKwh
                energyCost
                currency
                averagePricePerKwh
                averageDailyKwh
                intervals
                expectedIntervals
                unpricedIntervals
                status
              }
            }
          }
        }
      `,
      {},
      ADMIN,
    );
    const expected = (answer.data as any).invoices.edges.map((e: { node: Record<string, unknown> }) =>
      Object.fromEntries(Object.entries(e.node).map(([k, v]) => [k, asCell(v)])),
    );
    expect(rows).toHaveLength(60);
    expect(rows).toEqual(expected);
  });

  it('exports daily usage as Parquet that DuckDB reads back to the same values as dailyUsage', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const response = await fetch(`${base}/exports/daily-usage.parquet?from=2026-10-01&to=2026-10-31`, {
      headers: ADMIN,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="daily-usage-2026-10-01-2026-10-31.parquet"',
    );
    const rows = await readParquetWithDuckDb(Buffer.from(await response.arrayBuffer()));
    expect(rows).toHaveLength(60 * 31);
    const meters = [...new Set(rows.map((r) => r.meter as string))];
    expect(meters).toEqual([...meters].sort());
    for (const meter of [meters[0]!, meters[17]!, meters[59]!]) {
      const answer = await graphql(
        t.url,
        `query ($m: ID!) { dailyUsage(meter: $m, from: "2026-10-01", to: "2026-10-31") { ${DAILY_FIELDS} } }`,
        { m: meter },
        ADMIN,
      );
      // A billed import row's channel is empty in the export, null in GraphQL.
      const expected = (answer.data as { dailyUsage: Array<Record<string, unknown>> }).dailyUsage.map((d) => ({
        ...d,
        channel: d.channel ?? '',
      }));
      expect(rows.filter((r) => r.meter === meter)).toEqual(expected);
    }
  });

  it('exports invoices as Parquet that DuckDB reads back to the same values as invoices', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const response = await fetch(`${base}/exports/invoices.parquet?month=2026-10`, { headers: ADMIN });
    const rows = await readParquetWithDuckDb(Buffer.from(await response.arrayBuffer()));
    const answer = await graphql(
      t.url,
      `{ invoices(month: "2026-10", first: 500) { edges { node { ${INVOICE_FIELDS} } } } }`,
      {},
      ADMIN,
    );
    const expected = (answer.data as { invoices: { edges: Array<{ node: unknown }> } }).invoices.edges.map(
      (e) => e.node,
    );
    expect(rows).toHaveLength(60);
    expect(rows).toEqual(expected);
    // A month without invoices is a valid file with no rows.
    const empty = await fetch(`${base}/exports/invoices.parquet?month=2019-01`, { headers: ADMIN });
    expect(await readParquetWithDuckDb(Buffer.from(await empty.arrayBuffer()))).toEqual([]);
  });

  it('keeps a null as a null in Parquet (a month without prices has no average price)', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const uploaded = await uploadFile(
      t.url,
      'metering_point_id,timestamp,kwh\nUNPRICED,2026-11-02T00:00:00Z,1.5\n',
      'u.csv',
      {
        headers: ADMIN,
      },
    );
    await t.server.services!.consistency.waitForPosition(uploaded.data!.uploadReadings.position, 30_000);
    const response = await fetch(`${base}/exports/invoices.parquet?month=2026-11`, { headers: ADMIN });
    const rows = await readParquetWithDuckDb(Buffer.from(await response.arrayBuffer()));
    expect(rows).toEqual([
      expect.objectContaining({ meter: 'UNPRICED', totalKwh: 1.5, averagePricePerKwh: null, energyCost: '0.00' }),
    ]);
  });

  it('asks for a key, and names a bad parameter', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const anonymous = await fetch(`${base}/exports/invoices.csv?month=2026-10`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const bad = await fetch(`${base}/exports/daily-usage.csv?from=2026-10-01&to=tomorrow`, { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      errors: [{ message: 'to must be a date YYYY-MM-DD', extensions: { code: 'BAD_USER_INPUT' } }],
    });
    const month = await fetch(`${base}/exports/invoices.csv?month=2026-13`, { headers: ADMIN });
    expect(month.status).toBe(400);
  });

  it('writes text a spreadsheet would run as a formula as plain text, numbers as numbers', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-MP1')).toBe("'-MP1");
    expect(csvCell('@SUM')).toBe("'@SUM");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('MP-1')).toBe('MP-1');
    // A cell holding either locale's delimiter is quoted, so `;` cannot start a formula cell in a de/fr sheet.
    expect(csvCell('B1;=HYPERLINK("x")')).toBe(`"B1;=HYPERLINK(""x"")"`);
    expect(csvCell('Export Wh, Total')).toBe('"Export Wh, Total"');
    expect(csvCell(-0.25)).toBe('-0.25');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
  });
});
