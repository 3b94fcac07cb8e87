import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';
import { dailyUsageOf, rejectedRowsOf } from '../support/usage-queries';

/* Channels in the table dialects: the base format's channel column, a mapped channel column, a WIDE sheet's one channel. */
const UPLOAD = `mutation($file: Upload!, $format: ReadingsFormatInput) {
  uploadReadings(file: $file, format: $format) {
    uploadId status acceptedRows rejectedRows skippedRows position message
    format { dialect channel }
    channels { channel kind unit meters readings }
  }
}`;

interface Receipt {
  uploadId: string;
  status: string;
  acceptedRows: number;
  rejectedRows: number;
  skippedRows: number;
  position: string;
  message: string | null;
  format: { dialect: string; channel: string };
  channels: Array<{ channel: string; kind: string; unit: string; meters: number; readings: number }>;
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: 'UTC' });
});
afterAll(async () => {
  await t.close();
});

async function upload(text: string, name: string, format?: Record<string, unknown>): Promise<Receipt> {
  const answer = (await uploadFile(t.url, text, name, {
    query: UPLOAD,
    variables: format === undefined ? {} : { format },
  })) as unknown as { data?: { uploadReadings: Receipt }; errors?: unknown[] };
  expect(answer.errors).toBeUndefined();
  return answer.data!.uploadReadings;
}

async function dayTotal(meter: string, date: string, position: string): Promise<number | null> {
  const [day] = await dailyUsageOf(t.url, { meter, from: date, to: date, position });
  return day?.totalKwh ?? null;
}

const rejectedReasons = (uploadId: string, position: string) => rejectedRowsOf(t.url, uploadId, position, 10);

describe('channels', () => {
  it("takes the base format's channel column: export rows for the same intervals leave the import unchanged", async () => {
    const rows = ['metering_point_id,timestamp,kwh,channel'];
    let imported = 0;
    for (let i = 0; i < 96; i++) {
      const at = new Date(Date.parse('2026-10-01T00:00:00Z') + i * 900_000).toISOString();
      rows.push(`CH-1,${at},${(i % 7) + 1}.25,import`);
      rows.push(`CH-1,${at},0.5,EXPORT`);
      imported += (i % 7) + 1.25;
    }
    rows.push('CH-1,2026-10-01T00:00:00Z,1,solar');
    const receipt = await upload(`${rows.join('\n')}\n`, 'with-channel.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 192, rejectedRows: 1 });
    expect(receipt.format.channel).toBe('column:channel');
    expect(receipt.channels).toEqual([
      { channel: 'IMPORT', kind: 'IMPORT', unit: 'kWh', meters: 1, readings: 96 },
      { channel: 'EXPORT', kind: 'EXPORT', unit: 'kWh', meters: 1, readings: 96 },
    ]);
    expect(await dayTotal('CH-1', '2026-10-01', receipt.position)).toBeCloseTo(imported, 9);
    const [bad] = await rejectedReasons(receipt.uploadId, receipt.position);
    expect(bad).toMatchObject({ line: 194, reasons: [{ code: 'CHANNEL_INVALID', field: 'channel' }] });
    // The daily export has a row per kind: the billed import, and the export channel's.
    const csv = await (
      await fetch(`${t.url.replace(/\/graphql$/, '')}/exports/daily-usage.csv?from=2026-10-01&to=2026-10-01&meter=CH-1`)
    ).text();
    expect(
      csv
        .trimEnd()
        .split('\r\n')
        .map((line) => line.split(',').slice(0, 5).join(',')),
    ).toEqual([
      'meter,kind,channel,date,totalKwh',
      `CH-1,IMPORT,,2026-10-01,${imported}`,
      'CH-1,EXPORT,EXPORT,2026-10-01,48',
    ]);
    expect(bad!.reasons[0]!.message).toContain("channel 'solar' is not a kind: IMPORT, EXPORT");
  });

  it('maps a channel column of its own values to kinds (channelKinds), each value a channel', async () => {
    const text = [
      'meter;time;energy;register',
      'CH-2;2026-10-02T00:00:00Z;1,5;E1',
      'CH-2;2026-10-02T00:00:00Z;2,5;E2',
      'CH-2;2026-10-02T00:00:00Z;9;B1',
      'CH-2;2026-10-02T00:15:00Z;1;X9',
    ].join('\n');
    const receipt = await upload(text, 'registers.csv', {
      meterColumn: 'meter',
      timestampColumn: 'time',
      valueColumn: 'energy',
      delimiter: ';',
      decimalComma: true,
      channelColumn: 'register',
      channelKinds: [
        { value: 'E1', kind: 'IMPORT' },
        { value: 'E2', kind: 'IMPORT' },
        { value: 'B1', kind: 'EXPORT' },
      ],
    });
    expect(receipt).toMatchObject({ acceptedRows: 3, rejectedRows: 1 });
    expect(receipt.channels.map((c) => [c.channel, c.kind])).toEqual([
      ['E1', 'IMPORT'],
      ['E2', 'IMPORT'],
      ['B1', 'EXPORT'],
    ]);
    // The import registers are billed as their sum.
    expect(await dayTotal('CH-2', '2026-10-02', receipt.position)).toBe(4);
    const [bad] = await rejectedReasons(receipt.uploadId, receipt.position);
    expect(bad!.reasons[0]!.message).toContain('one of E1, E2, B1 (format channelKinds)');
  });

  it("reads a WIDE sheet of one channel named by the format, and bills none of an export's energy", async () => {
    const cells = Array.from({ length: 48 }, () => '0.5').join(',');
    const times = Array.from({ length: 48 }, (_, i) => `${Math.floor(i / 2)}:${i % 2 === 0 ? '00' : '30'}`).join(',');
    const receipt = await upload(`Meter,Date,${times}\nCH-3,2026-10-03,${cells}\n`, 'wide-export.csv', {
      channel: 'EXPORT',
    });
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 48 });
    expect(receipt.format).toEqual({ dialect: 'WIDE', channel: 'EXPORT' });
    expect(receipt.channels).toEqual([{ channel: 'EXPORT', kind: 'EXPORT', unit: 'kWh', meters: 1, readings: 48 }]);
    expect(await dayTotal('CH-3', '2026-10-03', receipt.position)).toBeNull();
  });

  it('refuses a channel that is not a kind, and channelKinds without a channel column, naming the field', async () => {
    for (const [format, named] of [
      [{ channel: 'SOLAR' }, 'SOLAR'],
      [{ channelKinds: [{ value: 'E1', kind: 'IMPORT' }] }, 'channelKinds'],
    ] as const) {
      const answer = (await uploadFile(t.url, 'metering_point_id,timestamp,kwh\n', 'x.csv', {
        query: UPLOAD,
        variables: { format },
      })) as unknown as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
      expect(answer.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
      expect(answer.errors?.[0]?.message).toContain(named);
    }
  });

  it("values a base file's export on the meter's invoice as DuckDB does, to the cent, the import unchanged", async () => {
    const rows = ['metering_point_id,timestamp,kwh,channel'];
    for (let i = 0; i < 96; i++) {
      const at = new Date(Date.parse('2026-10-05T00:00:00Z') + i * 900_000).toISOString();
      rows.push(`CH-9,${at},${((i * 37) % 90) / 100 + 0.015},IMPORT`);
      if (i >= 36 && i < 68) rows.push(`CH-9,${at},${((i * 53) % 130) / 100 + 0.007},EXPORT`);
    }
    const prices = ['timestamp,price_eur_mwh'];
    for (let h = 0; h < 24; h++)
      prices.push(`2026-10-05T${String(h).padStart(2, '0')}:00:00Z,${(h * 13.37 - 40).toFixed(2)}`);
    const priced = (await uploadFile(t.url, `${prices.join('\n')}\n`, 'prices.csv', {
      query: 'mutation($file: Upload!) { importPrices(file: $file) { position } }',
    })) as unknown as { data: { importPrices: { position: string } } };
    expect(priced.data.importPrices.position).toBeDefined();
    const receipt = await upload(`${rows.join('\n')}\n`, 'export.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 128 });
    const answer = await graphql(
      t.url,
      `
        query ($p: String) {
          invoice: invoices(month: "2026-10", meter: "CH-9", atLeast: $p) {
            edges {
              node {
                totalKwh
                energyCost
                exportKwh
                exportValue
              }
            }
          }
        }
      `,
      { p: receipt.position },
    );
    expect(answer.errors).toBeUndefined();
    const invoice = (answer.data as { invoice: { edges: Array<{ node: Record<string, unknown> }> } }).invoice.edges[0]!
      .node;

    // The reference: the same two files in DuckDB, each kind valued at the price of the hour it starts in.
    const dir = mkdtempSync(join(tmpdir(), 'export-reference-'));
    try {
      writeFileSync(join(dir, 'readings.csv'), `${rows.join('\n')}\n`);
      writeFileSync(join(dir, 'prices.csv'), `${prices.join('\n')}\n`);
      const instance = await DuckDBInstance.create(':memory:');
      const db = await instance.connect();
      const result = await db.runAndReadAll(`
        WITH r AS (SELECT metering_point_id AS meter, epoch_ms(timestamp::TIMESTAMPTZ) AS start_ms,
                          kwh::DECIMAL(18, 6) AS kwh, upper(channel) AS kind
                   FROM read_csv('${join(dir, 'readings.csv')}', header = true, all_varchar = true)),
             p AS (SELECT epoch_ms(timestamp::TIMESTAMPTZ) AS hour_ms, price_eur_mwh::DECIMAL(18, 6) AS eur_mwh
                   FROM read_csv('${join(dir, 'prices.csv')}', header = true, all_varchar = true))
        SELECT kind, sum(kwh)::VARCHAR AS kwh, round(sum(kwh * eur_mwh * 0.001), 2)::VARCHAR AS value
        FROM r JOIN p ON p.hour_ms = r.start_ms - r.start_ms % 3600000 GROUP BY kind ORDER BY kind`);
      const byKind = Object.fromEntries(
        result.getRowObjectsJS().map((row) => [row.kind as string, { kwh: Number(row.kwh), value: String(row.value) }]),
      );
      db.closeSync();
      instance.closeSync();
      expect(invoice.energyCost).toBe(byKind.IMPORT!.value);
      expect(invoice.totalKwh).toBeCloseTo(byKind.IMPORT!.kwh, 9);
      expect(invoice.exportValue).toBe(byKind.EXPORT!.value);
      expect(invoice.exportKwh).toBeCloseTo(byKind.EXPORT!.kwh, 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists a meter's channels, and gives each kind's and each register's days", async () => {
    const text = [
      'meter,time,energy,register',
      ...[0, 1, 2, 3].flatMap((q) => {
        const at = new Date(Date.parse('2026-10-07T00:00:00Z') + q * 900_000).toISOString();
        return [`CH-7,${at},1,E1`, `CH-7,${at},2,E2`, `CH-7,${at},0.5,B1`, `CH-7,${at},0.25,B2`, `CH-7,${at},3,Q1`];
      }),
    ].join('\n');
    const receipt = await upload(text, 'five-registers.csv', {
      meterColumn: 'meter',
      timestampColumn: 'time',
      valueColumn: 'energy',
      channelColumn: 'register',
      channelKinds: [
        { value: 'E1', kind: 'IMPORT' },
        { value: 'E2', kind: 'IMPORT' },
        { value: 'B1', kind: 'EXPORT' },
        { value: 'B2', kind: 'EXPORT' },
        { value: 'Q1', kind: 'REACTIVE_IMPORT' },
      ],
    });
    expect(receipt).toMatchObject({ acceptedRows: 20, rejectedRows: 0 });
    // Sibling fields resolve together: wait for the upload's position first, so none reads before it.
    await t.server.services!.consistency.waitForPosition(receipt.position, 30_000);
    const answer = await graphql(
      t.url,
      `
        query ($p: String) {
          channels(meter: "CH-7", atLeast: $p) {
            channel
            kind
            unit
            intervalMinutes
          }
          import: dailyUsage(meter: "CH-7", from: "2026-10-07", to: "2026-10-07") {
            totalKwh
            intervals
            kind
            unit
          }
          e2: dailyUsage(meter: "CH-7", from: "2026-10-07", to: "2026-10-07", kind: IMPORT, channel: "E2") {
            totalKwh
          }
          export: dailyUsage(meter: "CH-7", from: "2026-10-07", to: "2026-10-07", kind: EXPORT) {
            meter
            totalKwh
            maxKwh
            intervals
            kind
            unit
          }
          reactive: dailyUsage(meter: "CH-7", from: "2026-10-07", to: "2026-10-07", kind: REACTIVE_IMPORT) {
            totalKwh
            unit
          }
        }
      `,
      { p: receipt.position },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({
      channels: [
        { channel: 'B1', kind: 'EXPORT', unit: 'kWh', intervalMinutes: [15] },
        { channel: 'B2', kind: 'EXPORT', unit: 'kWh', intervalMinutes: [15] },
        { channel: 'E1', kind: 'IMPORT', unit: 'kWh', intervalMinutes: [15] },
        { channel: 'E2', kind: 'IMPORT', unit: 'kWh', intervalMinutes: [15] },
        { channel: 'Q1', kind: 'REACTIVE_IMPORT', unit: 'kvarh', intervalMinutes: [15] },
      ],
      import: [{ totalKwh: 12, intervals: 4, kind: 'IMPORT', unit: 'kWh' }],
      e2: [{ totalKwh: 8 }],
      export: [{ meter: 'CH-7', totalKwh: 3, maxKwh: 0.75, intervals: 4, kind: 'EXPORT', unit: 'kWh' }],
      reactive: [{ totalKwh: 12, unit: 'kvarh' }],
    });
  });

  it('credits a FIXED export tariff on the account invoice: EXPORT lines of -round(kWh x price / 1000)', async () => {
    const rows = ['metering_point_id,timestamp,kwh,channel'];
    let importMicro = 0;
    let exportMicro = 0;
    for (let i = 0; i < 96; i++) {
      const at = new Date(Date.parse('2026-11-02T00:00:00Z') + i * 900_000).toISOString();
      const imported = 250_000 + ((i * 7_919) % 500_000);
      const exported = i >= 40 && i < 64 ? 333_333 + i * 1_111 : 0;
      rows.push(`CH-A,${at},${imported / 1e6},IMPORT`);
      importMicro += imported;
      if (exported > 0) {
        rows.push(`CH-A,${at},${exported / 1e6},EXPORT`);
        exportMicro += exported;
      }
    }
    const receipt = await upload(`${rows.join('\n')}\n`, 'solar-site.csv');
    expect(receipt.status).toBe('VALIDATED');
    const setup = await graphql(
      t.url,
      `
        mutation {
          createAccount(
            input: {
              id: "ACC-SOLAR"
              name: "Solar site"
              vatRate: "0.20"
              tariff: {
                kind: FIXED
                unitPriceEurMwh: "250"
                standingChargePerDay: "0"
                export: { kind: FIXED, unitPriceEurMwh: "82.5" }
              }
            }
          ) {
            id
            tariffs {
              tariff {
                export {
                  kind
                  unitPriceEurMwh
                }
              }
            }
          }
          assignMeter(account: "ACC-SOLAR", meter: "CH-A", from: "2026-11-01") {
            id
          }
        }
      `,
    );
    expect(setup.errors).toBeUndefined();
    const answer = await graphql(
      t.url,
      `
        query ($p: String) {
          draftInvoices(month: "2026-11", accounts: ["ACC-SOLAR"], atLeast: $p) {
            subtotal
            lines {
              kind
              quantity
              unitPrice
              amount
            }
          }
        }
      `,
      { p: receipt.position },
    );
    expect(answer.errors).toBeUndefined();
    const [draft] = (
      answer.data as { draftInvoices: Array<{ subtotal: string; lines: Array<Record<string, string>> }> }
    ).draftInvoices;
    // Cents, rounded half away from zero once per line: kWh x EUR/MWh / 1000 = micro-kWh x EUR/MWh / 1e7 cents.
    const cents = (micro: number, eurMwh: number) => Math.round((micro * eurMwh) / 1e7);
    const money = (c: number) =>
      `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;
    expect(draft!.lines).toEqual([
      {
        kind: 'ENERGY',
        quantity: String(importMicro / 1e6),
        unitPrice: '0.250000',
        amount: money(cents(importMicro, 250)),
      },
      {
        kind: 'EXPORT',
        quantity: String(exportMicro / 1e6),
        unitPrice: '-0.082500',
        amount: money(-cents(exportMicro, 82.5)),
      },
    ]);
    expect(draft!.subtotal).toBe(money(cents(importMicro, 250) - cents(exportMicro, 82.5)));
  });

  it('says which series a file of only non-energy series held, never "no data rows"', async () => {
    const text = [
      'MeterPoint Code,Serial Number,Plant Code,Date/Time,Data Type,Data Value,Units,Status',
      'CH-V,1,P1,01/10/2026 00:00:00,Voltage Phase A,231.5,V,',
      'CH-V,1,P1,01/10/2026 00:15:00,Voltage Phase A,230.9,V,',
      'CH-V,1,P1,01/10/2026 00:00:00,Current Total,4.2,A,',
    ].join('\n');
    const receipt = await upload(text, 'volts.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 0, skippedRows: 3 });
    expect(receipt.message).toBe(
      'all 3 rows were left out: their series (Current Total, Voltage Phase A) are not energy; the service keeps the Import and Export Wh and varh series',
    );
  });
});
