/**
 * Real meter exports (test/fixtures/readings, see PROVENANCE.md) uploaded as they are, without a format:
 * the dialect is found from the header, and each meter-day's total equals a computation made here from
 * the file's text, independently of the service. Plus the `format` argument: mapped variants of one
 * generated file give the same invoices as the base file, half-hourly meters count 48 (46/50) intervals
 * a day, and a bad format is refused before anything is written.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrices } from '../../src/tools/readings-generator';
import { invoicesOfMonth } from '../support/billing-queries';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

const FIXTURES = join(__dirname, '../fixtures/readings');
const UPLOAD_WITH_FORMAT = `mutation($file: Upload!, $uploadId: ID, $format: ReadingsFormatInput) {
  uploadReadings(file: $file, uploadId: $uploadId, format: $format) {
    uploadId status totalRows acceptedRows rejectedRows skippedRows position message
    format { dialect detected meterColumn timestampColumn valueColumn unit intervalMinutes timestampFormat timeZone filter { column value } qualityColumn }
    intervals { minutes how meters }
    qualityMarks { mark readings }
    channels { channel kind unit meters readings }
  }
}`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: 'Europe/London' });
});
afterAll(async () => {
  await t.close();
});

interface Receipt {
  uploadId: string;
  status: string;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  skippedRows: number;
  position: string;
  message: string | null;
  format: { dialect: string; detected: boolean; unit: string; intervalMinutes: number | null } | null;
  intervals: Array<{ minutes: number; how: string; meters: number }>;
  qualityMarks: Array<{ mark: string; readings: number }>;
  channels: Array<{ channel: string; kind: string; unit: string; meters: number; readings: number }>;
}

async function upload(content: string | Buffer, fileName: string, format?: Record<string, unknown>, uploadId?: string) {
  const response = await uploadFile(t.url, content, fileName, {
    query: UPLOAD_WITH_FORMAT,
    variables: { ...(format === undefined ? {} : { format }), ...(uploadId === undefined ? {} : { uploadId }) },
  });
  return response as unknown as {
    data?: { uploadReadings: Receipt };
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

const IMPORT_PRICES = `mutation($file: Upload!) { importPrices(file: $file) { position } }`;

async function invoiceOf(meter: string, position: string) {
  const [invoice] = await invoicesOfMonth(t.url, '2026-10', { meter, atLeast: position });
  return invoice!;
}

async function daily(meter: string, from: string, to: string, position: string) {
  const answer = await graphql(
    t.url,
    `
      query ($m: ID!, $f: String!, $t: String!, $p: String) {
        dailyUsage(meter: $m, from: $f, to: $t, atLeast: $p) {
          date
          totalKwh
          intervals
          expectedIntervals
          complete
        }
      }
    `,
    { m: meter, f: from, t: to, p: position },
  );
  expect(answer.errors).toBeUndefined();
  return (
    answer.data as {
      dailyUsage: Array<{
        date: string;
        totalKwh: number;
        intervals: number;
        expectedIntervals: number;
        complete: boolean;
      }>;
    }
  ).dailyUsage;
}

/** The first rejected rows of an upload, with their reasons. */
/** The upload's rejected rows once the read models reached `position` (projections run in their own thread). */
async function rejectedRowsOf(uploadId: string, position: string) {
  const answer = await graphql(
    t.url,
    `
      query ($u: ID!, $p: String) {
        rejectedRows(uploadId: $u, first: 5, atLeast: $p) {
          edges {
            node {
              line
              reasons {
                code
                field
                message
              }
            }
          }
        }
      }
    `,
    { u: uploadId, p: position },
  );
  expect(answer.errors).toBeUndefined();
  const connection = (
    answer.data as {
      rejectedRows: {
        edges: Array<{
          node: { line: number; reasons: Array<{ code: string; field: string | null; message: string }> };
        }>;
      };
    }
  ).rejectedRows;
  return connection.edges.map((edge) => edge.node);
}

/** `d/m/yyyy ...` as yyyy-mm-dd. */
const isoDate = (text: string): string => {
  const [d, m, y] = text.split(' ')[0]!.split('/');
  return `${y}-${m!.padStart(2, '0')}-${d!.padStart(2, '0')}`;
};
const unitFactor = (unit: string): number =>
  ({ kwh: 1, wh: 0.001, mwh: 1000, kvarh: 1, varh: 0.001, mvarh: 1000 })[unit.toLowerCase()]!;

/** One day's total of a kind (all its channels) for a meter, as `dailyUsage(kind)` gives it. */
async function kindTotal(meter: string, date: string, kind: string, position: string): Promise<number | null> {
  const answer = await graphql(
    t.url,
    `
      query ($m: ID!, $d: String!, $k: ChannelKind!, $p: String) {
        dailyUsage(meter: $m, from: $d, to: $d, kind: $k, atLeast: $p) {
          totalKwh
        }
      }
    `,
    { m: meter, d: date, k: kind, p: position },
  );
  expect(answer.errors).toBeUndefined();
  return (answer.data as { dailyUsage: Array<{ totalKwh: number }> }).dailyUsage[0]?.totalKwh ?? null;
}

const ENERGY_SERIES: Record<string, { kind: string; unit: string }> = {
  'import wh total': { kind: 'IMPORT', unit: 'kWh' },
  'export wh total': { kind: 'EXPORT', unit: 'kWh' },
  'import varh total': { kind: 'REACTIVE_IMPORT', unit: 'kvarh' },
  'export varh total': { kind: 'REACTIVE_EXPORT', unit: 'kvarh' },
};

/** An export's series as the service should read it: its kind by the series' last words, or null. */
const seriesKind = (series: string) => ENERGY_SERIES[series.toLowerCase().split(' ').slice(-3).join(' ')] ?? null;

/**
 * Each energy series of an export, straight from the text: its rows, the rows whose date goes back
 * before the series' latest (the export's year jump: the service rejects them), its quality marks,
 * and the Import Wh Total per meter-day.
 */
function expectedExport(
  text: string,
  columns: { meter: number; time: number; type: number; value: number; unit: number; quality: number },
) {
  const importTotals = new Map<string, number>();
  const marks = new Map<string, number>();
  const series = new Map<string, { kind: string; unit: string; rows: number; jumped: number; latest: string }>();
  /** Each kind's total per meter-day (`meter|date|kind`). */
  const kindTotals = new Map<string, number>();
  let otherRows = 0;
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const name = cells[columns.type]!;
    const kind = seriesKind(name);
    if (kind === null) {
      otherRows += 1;
      continue;
    }
    const of = series.get(name) ?? { ...kind, rows: 0, jumped: 0, latest: '' };
    series.set(name, of);
    of.rows += 1;
    const date = isoDate(cells[columns.time]!);
    if (date < of.latest) {
      of.jumped += 1;
      continue;
    }
    of.latest = date;
    const mark = (cells[columns.quality] ?? '').trim();
    if (mark !== '') marks.set(mark, (marks.get(mark) ?? 0) + 1);
    const kindKey = `${cells[columns.meter]}|${date}|${kind.kind}`;
    kindTotals.set(
      kindKey,
      (kindTotals.get(kindKey) ?? 0) + Number(cells[columns.value]) * unitFactor(cells[columns.unit]!),
    );
    if (name === 'Import Wh Total') {
      const key = `${cells[columns.meter]}|${date}`;
      importTotals.set(
        key,
        (importTotals.get(key) ?? 0) + Number(cells[columns.value]) * unitFactor(cells[columns.unit]!),
      );
    }
  }
  return { importTotals, kindTotals, marks, series, otherRows };
}

describe('meter exports uploaded as they are', () => {
  const exports = readdirSync(join(FIXTURES, 'lp-tou')).sort();

  it.each(exports)(
    '%s: detected, every energy series a channel, the days of each kind as computed from the file',
    async (name) => {
      const text = readFileSync(join(FIXTURES, 'lp-tou', name), 'utf8');
      const lp = name.startsWith('LP');
      const receipt = (await upload(text, name)).data!.uploadReadings;
      expect(receipt.status).toBe('VALIDATED');
      expect(receipt.format).toMatchObject({ dialect: lp ? 'LP' : 'TOU', detected: true, unit: 'column:Units' });
      const columns = lp
        ? { meter: 0, time: 3, type: 4, value: 5, unit: 6, quality: 7 }
        : { meter: 0, time: 3, type: 6, value: 7, unit: 8, quality: 4 };
      const { importTotals, kindTotals, marks, series, otherRows } = expectedExport(text, columns);
      // The export's Status (LP) or Quality (TOU) marks are kept with each accepted reading, and counted.
      expect((receipt.format as { qualityColumn?: string }).qualityColumn).toBe(lp ? 'Status' : 'Quality');
      expect(receipt.qualityMarks).toEqual(
        [...marks].sort(([a], [b]) => (a < b ? -1 : 1)).map(([mark, readings]) => ({ mark, readings })),
      );
      const all = [...series.values()];
      expect(receipt.skippedRows).toBe(otherRows);
      expect(receipt.acceptedRows).toBe(all.reduce((sum, s) => sum + s.rows - s.jumped, 0));
      expect(receipt.rejectedRows).toBe(all.reduce((sum, s) => sum + s.jumped, 0));
      // Every energy series is a channel of its kind, with each of its rows a reading.
      expect([...receipt.channels].sort((a, b) => (a.kind < b.kind ? -1 : 1))).toEqual(
        [...series]
          .map(([channel, s]) => ({ channel, kind: s.kind, unit: s.unit, meters: 1, readings: s.rows - s.jumped }))
          .sort((a, b) => (a.kind < b.kind ? -1 : 1)),
      );
      for (const [key, kwh] of importTotals) {
        const [meter, date] = key.split('|') as [string, string];
        const [day] = await daily(meter, date, date, receipt.position);
        expect(day?.totalKwh).toBeCloseTo(kwh, 6);
      }
      // Every kind of every meter-day sums to the file's own sum of that series.
      for (const [key, total] of kindTotals) {
        const [meter, date, kind] = key.split('|') as [string, string, string];
        expect(await kindTotal(meter, date, kind, receipt.position)).toBeCloseTo(total, 6);
      }
      if (all.some((s) => s.jumped > 0)) {
        const rejected = await rejectedRowsOf(receipt.uploadId, receipt.position);
        const reason = rejected[0]!.reasons[0]!;
        expect(reason).toMatchObject({ code: 'TIMESTAMP_OUT_OF_SEQUENCE', field: lp ? 'Date/Time' : 'DateTime' });
        expect(reason.message).toContain('year jump');
      }
    },
  );

  it("infers each TOU meter's interval from its timestamps: 30 minutes where the export is half-hourly", async () => {
    const text = readFileSync(join(FIXTURES, 'lp-tou', 'TOU_212621147_20180915T01200916.csv'), 'utf8');
    const receipt = (await upload(`${text}\n`, 'tou-again.csv')).data!.uploadReadings;
    // Same readings as before (a duplicate by content would say so); the interval is reported.
    expect(receipt.intervals.length).toBeGreaterThan(0);
    const first = text.split(/\r?\n/)[1]!.split(',');
    const second = text.split(/\r?\n/)[2]!.split(',');
    const gap =
      (Date.parse(`2000-01-01T${second[3]!.split(' ')[1]!.padStart(5, '0')}:00Z`) -
        Date.parse(`2000-01-01T${first[3]!.split(' ')[1]!.padStart(5, '0')}:00Z`)) /
      60_000;
    expect(receipt.intervals).toEqual([{ minutes: gap, how: 'INFERRED', meters: 1 }]);
  });

  it('a WIDE half-hourly sheet: each cell a reading, the days of small-consumption.csv sum to 24 and 47', async () => {
    const text = readFileSync(join(FIXTURES, 'wide-half-hourly', 'small-consumption.csv'), 'utf8');
    const receipt = (await upload(text, 'small-consumption.csv')).data!.uploadReadings;
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 96, rejectedRows: 0 });
    expect(receipt.format).toMatchObject({ dialect: 'WIDE', intervalMinutes: 30 });
    const days = await daily('EE00011', '2019-01-01', '2019-01-02', receipt.position);
    expect(days.map((d) => [d.date, d.totalKwh, d.intervals, d.expectedIntervals, d.complete])).toEqual([
      ['2019-01-01', 24, 48, 48, true],
      ['2019-01-02', 47, 48, 48, true],
    ]);
  });

  it("a WIDE sheet's every meter-day equals the sum of its row", async () => {
    const text = readFileSync(join(FIXTURES, 'wide-half-hourly', 'consumption.csv'), 'utf8');
    const receipt = (await upload(text, 'consumption.csv')).data!.uploadReadings;
    expect(receipt.status).toBe('VALIDATED');
    for (const line of text.split(/\r?\n/).slice(1)) {
      if (line.trim() === '') continue;
      const [meter, date, ...cells] = line.split(',');
      const [day] = await daily(meter!, date!, date!, receipt.position);
      expect(day?.totalKwh).toBe(cells.reduce((sum, cell) => sum + Number(cell), 0));
    }
  });

  it('rejects a bad WIDE cell alone, naming its column', async () => {
    const header = readFileSync(join(FIXTURES, 'wide-half-hourly', 'small-consumption.csv'), 'utf8').split(/\r?\n/)[0]!;
    const cells = Array.from({ length: 48 }, () => '1');
    cells[3] = '';
    cells[10] = 'x';
    const receipt = (await upload(`${header}\nWIDE01,2019-02-01,${cells.join(',')}\n`, 'bad-cells.csv')).data!
      .uploadReadings;
    expect(receipt).toMatchObject({ acceptedRows: 46, rejectedRows: 2 });
    const rejected = await rejectedRowsOf(receipt.uploadId, receipt.position);
    const withoutMessages = rejected.map((row) => ({
      line: row.line,
      reasons: row.reasons.map(({ code, field }) => ({ code, field })),
    }));
    expect(withoutMessages).toEqual([
      {
        line: 2,
        reasons: [
          { code: 'KWH_MISSING', field: '1:30' },
          { code: 'KWH_INVALID', field: '5:00' },
        ],
      },
    ]);
  });

  it("reads a WIDE sheet's dates by the format's pattern", async () => {
    const header = readFileSync(join(FIXTURES, 'wide-half-hourly', 'small-consumption.csv'), 'utf8').split(/\r?\n/)[0]!;
    const cells = Array.from({ length: 48 }, (_, i) => (i % 2 === 0 ? '0.5' : '0.25'));
    const text = `${header}\nWIDE02,01/02/2019,${cells.join(',')}\nWIDE02,2019-02-02,${cells.join(',')}\n`;
    const receipt = (await upload(text, 'wide-dates.csv', { timestampFormat: 'dd/MM/yyyy' })).data!.uploadReadings;
    expect(receipt).toMatchObject({ acceptedRows: 48, rejectedRows: 1 }); // a row without its date is one rejection
    expect(receipt.format).toMatchObject({ dialect: 'WIDE', timestampFormat: 'dd/MM/yyyy' });
    const [day] = await daily('WIDE02', '2019-02-01', '2019-02-01', receipt.position);
    expect(day).toMatchObject({ totalKwh: 18, intervals: 48 });
    const [bad] = await rejectedRowsOf(receipt.uploadId, receipt.position);
    expect(bad?.reasons[0]).toMatchObject({ code: 'TIMESTAMP_INVALID', field: 'Date' });
  });
});

describe('the format argument', () => {
  // Two meters over the two days around the end of British summer time (31 October 2026 is 48
  // half-hours; 25 October is 50), half-hourly, in the base format.
  const start = Date.parse('2026-10-24T23:00:00Z'); // 2026-10-25 00:00 BST
  const rows: Array<[string, number, string]> = [];
  for (const meter of ['HH1', 'HH2']) {
    for (let at = start; at < Date.parse('2026-10-27T00:00:00Z'); at += 1_800_000) {
      rows.push([meter, at, ((at / 1_800_000) % 7) / 4 + (meter === 'HH2' ? 0.125 : 0) + 0.0005 + '']);
    }
  }
  const base = `metering_point_id,timestamp,kwh\n${rows.map(([m, at, kwh]) => `${m},${new Date(at).toISOString()},${kwh}`).join('\n')}\n`;

  it('counts 48 intervals a half-hourly day, 50 on the day clocks go back and 46 on the day they go forward', async () => {
    const receipt = (await upload(base, 'hh.csv', { intervalMinutes: 30 })).data!.uploadReadings;
    expect(receipt).toMatchObject({ status: 'VALIDATED', rejectedRows: 0 });
    expect(receipt.intervals).toEqual([{ minutes: 30, how: 'DECLARED', meters: 2 }]);
    const days = await daily('HH1', '2026-10-25', '2026-10-26', receipt.position);
    expect(days.map((d) => [d.date, d.intervals, d.expectedIntervals, d.complete])).toEqual([
      ['2026-10-25', 50, 50, true],
      ['2026-10-26', 48, 48, true],
    ]);
    // The day clocks go forward (29 March 2026 in London) has 46 half-hours.
    const spring: string[] = [];
    for (let at = Date.parse('2026-03-29T00:00:00Z'); at < Date.parse('2026-03-29T23:00:00Z'); at += 1_800_000)
      spring.push(`HH3,${new Date(at).toISOString()},0.5`);
    const march = (
      await upload(`metering_point_id,timestamp,kwh\n${spring.join('\n')}\n`, 'spring.csv', { intervalMinutes: 30 })
    ).data!.uploadReadings;
    const [day] = await daily('HH3', '2026-03-29', '2026-03-29', march.position);
    expect(day).toMatchObject({ intervals: 46, expectedIntervals: 46, complete: true, totalKwh: 23 });
  });

  it('bills mapped variants of the same readings as the base file: same days, same invoice', async () => {
    const prices = [...generatePrices({ month: '2026-10', timeZone: 'Europe/London' })].join('\n');
    const imported = await uploadFile(t.url, prices, 'prices.csv', { query: IMPORT_PRICES });
    const pricesAt = (imported.data as unknown as { importPrices: { position: string } }).importPrices.position;
    const local = (at: number) => {
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).formatToParts(new Date(at));
      const get = (type: string) => parts.find((p) => p.type === type)!.value;
      return `${get('day')}/${get('month')}/${get('year')} ${get('hour')}:${get('minute')}`;
    };
    const variants: Array<[string, string, Record<string, unknown>]> = [
      [
        'semicolon, decimal comma',
        `meter;time;energy\n${rows.map(([m, at, kwh]) => `${m}A;${new Date(at).toISOString()};${kwh.replace('.', ',')}`).join('\n')}\n`,
        { delimiter: ';', decimalComma: true, meterColumn: 'meter', timestampColumn: 'time', valueColumn: 'energy' },
      ],
      [
        'Wh, epoch ms, interval ends',
        `id,end_ms,wh\n${rows.map(([m, at, kwh]) => `${m}B,${at + 1_800_000},${(Number(kwh) * 1000).toFixed(1)}`).join('\n')}\n`,
        {
          meterColumn: '1',
          timestampColumn: '2',
          valueColumn: '3',
          unit: 'Wh',
          timestampFormat: 'EPOCH_MS',
          timestampMarks: 'END',
          intervalMinutes: 30,
        },
      ],
      [
        'dd/MM/yyyy HH:mm in Europe/London (the repeated hour read in file order)',
        `Meter,When,kWh\n${rows.map(([m, at, kwh]) => `${m}C,${local(at)},${kwh}`).join('\n')}\n`,
        {
          meterColumn: 'Meter',
          timestampColumn: 'When',
          valueColumn: 'kWh',
          timestampFormat: 'dd/MM/yyyy HH:mm',
          timeZone: 'Europe/London',
        },
      ],
    ];
    const expectedDays = await daily('HH2', '2026-10-25', '2026-10-26', pricesAt);
    const expectedInvoice = await invoiceOf('HH2', pricesAt);
    expect(expectedInvoice).toMatchObject({ intervals: 98, expectedIntervals: 31 * 48 + 2 });
    expect(expectedInvoice.energyCost).not.toBe('0.00');
    for (const [label, text, format] of variants) {
      const receipt = (await upload(text, `${label}.csv`, format)).data!.uploadReadings;
      expect([label, receipt.status, receipt.rejectedRows]).toEqual([label, 'VALIDATED', 0]);
      const suffix = label.startsWith('semicolon') ? 'A' : label.startsWith('Wh') ? 'B' : 'C';
      const days = await daily(`HH2${suffix}`, '2026-10-25', '2026-10-26', receipt.position);
      expect([label, days]).toEqual([label, expectedDays.map((day) => ({ ...day }))]);
      expect([label, await invoiceOf(`HH2${suffix}`, receipt.position)]).toEqual([
        label,
        { ...expectedInvoice, meter: `HH2${suffix}` },
      ]);
    }
  });

  it('reads ISO local times without offset in the repeated hour in file order too, whatever the column is called', async () => {
    const times = ['00:30', '01:00', '01:30', '01:00', '01:30', '02:00'];
    const text = `Meter,When,kWh\n${times.map((time) => `ISOL,2026-10-25T${time}:00,1`).join('\n')}\n`;
    const format = { meterColumn: 'Meter', timestampColumn: 'When', valueColumn: 'kWh', intervalMinutes: 30 };
    const receipt = (await upload(text, 'iso-local.csv', format)).data!.uploadReadings;
    expect(receipt).toMatchObject({ acceptedRows: 6, rejectedRows: 0 });
    const [day] = await daily('ISOL', '2026-10-25', '2026-10-25', receipt.position);
    expect(day).toMatchObject({ intervals: 6, totalKwh: 6 });
  });

  it("refuses a repeated local hour at a meter's first reading of the file: nothing tells which it is", async () => {
    const text = 'Meter,When,kWh\nAMB,25/10/2026 01:30,1\nAMB,25/10/2026 02:00,1\n';
    const format = {
      meterColumn: 'Meter',
      timestampColumn: 'When',
      valueColumn: 'kWh',
      timestampFormat: 'dd/MM/yyyy HH:mm',
      intervalMinutes: 30,
    };
    const receipt = (await upload(text, 'ambiguous.csv', format)).data!.uploadReadings;
    expect(receipt).toMatchObject({ acceptedRows: 1, rejectedRows: 1 });
    const [first] = await rejectedRowsOf(receipt.uploadId, receipt.position);
    expect(first).toMatchObject({ line: 2, reasons: [{ code: 'TIMESTAMP_AMBIGUOUS', field: 'When' }] });
  });

  /** Whether the upload with this id left anything in the log (its status is known). */
  async function recorded(uploadId: string): Promise<boolean> {
    // Once the projections have read the whole log: else an upload written but not yet projected looks unrecorded.
    expect(await t.server.services!.consistency.waitForPosition(null, 10_000)).toBe(true);
    const answer = await graphql(t.url, 'query($id: ID!) { upload(id: $id) { status } }', { id: uploadId });
    expect(answer.errors).toBeUndefined();
    return (answer.data as { upload: unknown }).upload !== null;
  }

  const mapped = { meterColumn: 'metering_point_id', timestampColumn: 'timestamp', valueColumn: 'kwh' };
  it.each([
    [{ unit: 'joules' }, 'unit', 'is not one of kWh, Wh, MWh'],
    [{ intervalMinutes: 20 }, 'intervalMinutes', 'must be 5, 15, 30 or 60'],
    [{ timestampMarks: 'END' }, 'timestampMarks', 'needs intervalMinutes'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone', 'is not an IANA time zone'],
    [{ timestampFormat: 'HH:mm' }, 'timestampFormat', 'with year, month and day'],
    // Judged on the file itself: its header and first rows.
    [{ valueColumn: 'energy' }, 'valueColumn', 'lacks the column energy (valueColumn)'],
    [{ ...mapped, meterColumn: '7' }, 'meterColumn', "meterColumn 7 is beyond the header's 3 columns"],
    [{ filter: { column: 'type', value: 'Import' } }, 'filter.column', 'lacks the column type (filter.column)'],
    [{ qualityColumn: 'Status' }, 'qualityColumn', 'lacks the column Status (qualityColumn)'],
    [{ dialect: 'WIDE' }, 'dialect', 'lacks the columns Meter, Date'],
    [{ dialect: 'LP' }, 'dialect', 'lacks the columns MeterPoint Code'],
    [
      { ...mapped, timestampFormat: 'dd/MM/yyyy HH:mm' },
      'timestampFormat',
      "'dd/MM/yyyy HH:mm' matches none of the first 100 rows' timestamp (line 2 has '2026-10-24T23:00:00.000Z')",
    ],
    [{ ...mapped, timestampFormat: 'EPOCH_S' }, 'timestampFormat', "'EPOCH_S' matches none of the first 100 rows"],
  ])('refuses %j as BAD_USER_INPUT naming %s, before anything is written', async (format, field, says) => {
    const uploadId = randomUUID();
    const response = await upload(base, 'bad-format.csv', format, uploadId);
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(response.errors?.[0]?.message).toContain(`format.${field}: `);
    expect(response.errors?.[0]?.message).toContain(says);
    expect(await recorded(uploadId)).toBe(false);
  });

  it('takes a pattern that matches the rows after a few that do not (they are rejected one by one)', async () => {
    const text = 'Meter,When,kWh\nP1,2026-10-26T00:00Z,1\nP1,26/10/2026 00:30,2\n';
    const receipt = (
      await upload(text, 'mixed.csv', {
        ...mapped,
        meterColumn: 'Meter',
        timestampColumn: 'When',
        valueColumn: 'kWh',
        timestampFormat: 'dd/MM/yyyy HH:mm',
      })
    ).data!.uploadReadings;
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 1, rejectedRows: 1 });
  });

  it("keeps a named quality column's marks with each reading and counts them", async () => {
    const text =
      'Meter,When,kWh,Q\nQM,2026-10-26T00:00Z,1,E\nQM,2026-10-26T00:15Z,1,\nQM,2026-10-26T00:30Z,1,E\nQM,2026-10-26T00:45Z,x,A\n';
    const receipt = (
      await upload(text, 'marks.csv', {
        meterColumn: 'Meter',
        timestampColumn: 'When',
        valueColumn: 'kWh',
        qualityColumn: '4',
      })
    ).data!.uploadReadings;
    expect(receipt).toMatchObject({ acceptedRows: 3, rejectedRows: 1, qualityMarks: [{ mark: 'E', readings: 2 }] });
    expect(receipt.format).toMatchObject({ qualityColumn: 'Q' });
  });

  it('still rejects, as a file problem, a file whose header lacks the base columns when no format names them', async () => {
    const receipt = (await upload('meter,time,energy\nM,2026-10-26T00:00Z,1\n', 'no-base.csv', { unit: 'Wh' })).data!
      .uploadReadings;
    expect(receipt.status).toBe('REJECTED');
    expect(receipt.message).toContain('lacks the columns metering_point_id, timestamp, kwh');
  });
});
