import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';
import { dailyUsageOf, rejectedRowsOf } from '../support/usage-queries';

/*
 * NEM12 files written here from AEMO's Meter Data File Format: 100 header, 200 channel (NMI, suffix,
 * UOM, interval length), 300 days (values, QualityMethod), 400 interval qualities of a V day, 500 B2B
 * details, 900 end. NEM time is UTC+10 all year, so the billing zone here is Brisbane's (UTC+10, no DST):
 * a NEM day is a billing day.
 */
const UPLOAD = `mutation($file: Upload!) {
  uploadReadings(file: $file) {
    uploadId status totalRows acceptedRows rejectedRows skippedRows position message
    format { dialect detected timeZone channel qualityColumn }
    intervals { minutes how meters }
    qualityMarks { mark readings }
    channels { channel kind unit meters readings }
  }
}`;

interface Receipt {
  uploadId: string;
  status: string;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  skippedRows: number;
  position: string;
  message: string | null;
  format: { dialect: string; detected: boolean; timeZone: string; channel: string; qualityColumn: string | null };
  intervals: Array<{ minutes: number; how: string; meters: number }>;
  qualityMarks: Array<{ mark: string; readings: number }>;
  channels: Array<{ channel: string; kind: string; unit: string; meters: number; readings: number }>;
}

interface Day {
  date: string;
  /** Thousandths of the unit: exact sums in the test. */
  values: number[];
  quality: string;
  /** 400 records: [first interval, last interval, QualityMethod]. */
  fours?: Array<[number, number, string]>;
}

interface ChannelSpec {
  suffix: string;
  uom: string;
  minutes: number;
  days: Day[];
}

const header = '100,NEM12,202402010930,MDP1,RETAILER1';
const value = (thousandths: number): string => (thousandths / 1000).toFixed(3);

/** One block of a NEM12 file: its channels, their days and 400 rows, a 500 record, and the end. */
function block(nmi: string, channels: ChannelSpec[], pad = ''): string[] {
  const lines = [header + pad];
  for (const c of channels) {
    lines.push(`200,${nmi},E1B1Q1K1,1,${c.suffix},N1,METER01,${c.uom},${c.minutes},20240301${pad}`);
    for (const day of c.days) {
      lines.push(
        `300,${day.date},${day.values.map(value).join(',')},${day.quality},,,20240201000000,20240201000000${pad}`,
      );
      for (const [first, last, quality] of day.fours ?? []) lines.push(`400,${first},${last},${quality},,${pad}`);
    }
    lines.push(`500,O,S01,20240201,${pad}`);
  }
  lines.push(`900${pad}`);
  return lines;
}

/** A day of `count` deterministic values (thousandths), different for each seed. */
const valuesOf = (count: number, seed: number): number[] =>
  Array.from({ length: count }, (_, i) => ((seed * 7919 + i * 104_729) % 2_000) + 1);

const dateOf = (day: number): string => `202401${String(day).padStart(2, '0')}`;
const isoOf = (date: string): string => `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}`;
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: 'Australia/Brisbane' });
});
afterAll(async () => {
  await t.close();
});

async function upload(text: string, name: string): Promise<Receipt> {
  const answer = (await uploadFile(t.url, text, name, { query: UPLOAD })) as unknown as {
    data?: { uploadReadings: Receipt };
    errors?: unknown[];
  };
  expect(answer.errors).toBeUndefined();
  return answer.data!.uploadReadings;
}

const daily = (meter: string, from: string, to: string, position: string) =>
  dailyUsageOf(t.url, { meter, from, to, position });
const rejectedRows = (uploadId: string, position: string) => rejectedRowsOf(t.url, uploadId, position);

/** One day of a channel (or of all the kind's channels), in thousandths of its unit. */
async function channelDay(meter: string, date: string, kind: string, channel: string | null, position: string) {
  const [day] = await dailyUsageOf(t.url, { meter, from: date, to: date, position, kind, channel });
  return day === undefined
    ? null
    : { thousandths: Math.round(day.totalKwh * 1000), intervals: day.intervals, unit: day.unit };
}

const marksOf = (receipt: Receipt): Record<string, number> =>
  Object.fromEntries(receipt.qualityMarks.map((m) => [m.mark, m.readings]));

describe('NEM12 files', () => {
  it('reads a 30-minute two-channel file, a V day qualified by its 400 records, import billed per day', async () => {
    const e1: Day[] = [
      { date: dateOf(1), values: valuesOf(48, 1), quality: 'A' },
      {
        date: dateOf(2),
        values: valuesOf(48, 2),
        quality: 'V',
        fours: [
          [1, 20, 'A'],
          [21, 30, 'E52'],
          [31, 48, 'S14'],
        ],
      },
    ];
    const b1: Day[] = [
      { date: dateOf(1), values: valuesOf(48, 3), quality: 'A' },
      { date: dateOf(2), values: valuesOf(48, 4), quality: 'F14' },
    ];
    const text = block('NMI0000001', [
      { suffix: 'E1', uom: 'kWh', minutes: 30, days: e1 },
      { suffix: 'B1', uom: 'KWH', minutes: 30, days: b1 },
    ]).join('\n');
    const receipt = await upload(`${text}\n`, 'two-channel.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 192, rejectedRows: 0, skippedRows: 0 });
    expect(receipt.format).toMatchObject({
      dialect: 'NEM12',
      detected: true,
      timeZone: 'Etc/GMT-10',
      channel: 'NEM12',
    });
    expect(receipt.channels).toEqual([
      { channel: 'E1', kind: 'IMPORT', unit: 'kWh', meters: 1, readings: 96 },
      { channel: 'B1', kind: 'EXPORT', unit: 'kWh', meters: 1, readings: 96 },
    ]);
    expect(receipt.intervals).toEqual([{ minutes: 30, how: 'DECLARED', meters: 1 }]);
    // Day 1 of both channels is A (96), day 2 of E1 is 20 A + 10 E + 18 S, B1's day 2 is F.
    expect(marksOf(receipt)).toEqual({ A: 116, E: 10, S: 18, F: 48 });
    const days = await daily('NMI0000001', isoOf(dateOf(1)), isoOf(dateOf(2)), receipt.position);
    // Import is billed: each day is E1's own sum; the export channel leaves it unchanged.
    expect(days.map((d) => [d.date, Math.round(d.totalKwh * 1000), d.intervals, d.complete])).toEqual(
      e1.map((d) => [isoOf(d.date), sum(d.values), 48, true]),
    );
    // Each day counts its readings by quality mark, and the invoice its estimated or substituted intervals.
    const quality = await graphql(
      t.url,
      `
        query ($p: String) {
          dailyUsage(meter: "NMI0000001", from: "2024-01-01", to: "2024-01-02", atLeast: $p) {
            date
            qualityMarks {
              mark
              readings
            }
          }
          invoices(month: "2024-01", meter: "NMI0000001") {
            edges {
              node {
                estimatedIntervals
                qualityMarks {
                  mark
                  readings
                }
              }
            }
          }
        }
      `,
      { p: receipt.position },
    );
    expect(quality.errors).toBeUndefined();
    expect(quality.data).toEqual({
      dailyUsage: [
        { date: '2024-01-01', qualityMarks: [{ mark: 'A', readings: 48 }] },
        {
          date: '2024-01-02',
          qualityMarks: [
            { mark: 'A', readings: 20 },
            { mark: 'E', readings: 10 },
            { mark: 'S', readings: 18 },
          ],
        },
      ],
      invoices: {
        edges: [
          {
            node: {
              estimatedIntervals: 28,
              qualityMarks: [
                { mark: 'A', readings: 68 },
                { mark: 'E', readings: 10 },
                { mark: 'S', readings: 18 },
              ],
            },
          },
        ],
      },
    });
    // The export channel's every day is its own sum.
    for (const d of b1) {
      expect(await channelDay('NMI0000001', isoOf(d.date), 'EXPORT', null, receipt.position)).toEqual({
        thousandths: sum(d.values),
        intervals: 48,
        unit: 'kWh',
      });
    }
  });

  it('reads a 15-minute four-channel file with kvarh channels, summing nothing but import into the bill', async () => {
    const channels: ChannelSpec[] = [
      { suffix: 'E1', uom: 'kWh', minutes: 15, days: [{ date: dateOf(5), values: valuesOf(96, 5), quality: 'A' }] },
      { suffix: 'B1', uom: 'kWh', minutes: 15, days: [{ date: dateOf(5), values: valuesOf(96, 6), quality: 'A' }] },
      { suffix: 'Q1', uom: 'kVArh', minutes: 15, days: [{ date: dateOf(5), values: valuesOf(96, 7), quality: 'A' }] },
      { suffix: 'K1', uom: 'kvarh', minutes: 15, days: [{ date: dateOf(5), values: valuesOf(96, 8), quality: 'E11' }] },
    ];
    const receipt = await upload(block('NMI0000002', channels).join('\r\n'), 'four-channel.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 384, rejectedRows: 0 });
    expect(receipt.channels).toEqual([
      { channel: 'E1', kind: 'IMPORT', unit: 'kWh', meters: 1, readings: 96 },
      { channel: 'B1', kind: 'EXPORT', unit: 'kWh', meters: 1, readings: 96 },
      { channel: 'Q1', kind: 'REACTIVE_IMPORT', unit: 'kvarh', meters: 1, readings: 96 },
      { channel: 'K1', kind: 'REACTIVE_EXPORT', unit: 'kvarh', meters: 1, readings: 96 },
    ]);
    expect(marksOf(receipt)).toEqual({ A: 288, E: 96 });
    const [day] = await daily('NMI0000002', isoOf(dateOf(5)), isoOf(dateOf(5)), receipt.position);
    expect([Math.round(day!.totalKwh * 1000), day!.intervals]).toEqual([sum(channels[0]!.days[0]!.values), 96]);
    // Every channel-day equals its own sum, in its unit.
    const kinds: Record<string, string> = { E1: 'IMPORT', B1: 'EXPORT', Q1: 'REACTIVE_IMPORT', K1: 'REACTIVE_EXPORT' };
    for (const c of channels) {
      expect(await channelDay('NMI0000002', isoOf(dateOf(5)), kinds[c.suffix]!, c.suffix, receipt.position)).toEqual({
        thousandths: sum(c.days[0]!.values),
        intervals: 96,
        unit: c.suffix === 'Q1' || c.suffix === 'K1' ? 'kvarh' : 'kWh',
      });
    }
  });

  it('reads a month of 5-minute intervals: 288 a day, each day its own sum', async () => {
    const days: Day[] = Array.from({ length: 31 }, (_, i) => ({
      date: dateOf(i + 1),
      values: valuesOf(288, 100 + i),
      quality: 'A',
    }));
    const receipt = await upload(
      block('NMI0000005', [{ suffix: 'E1', uom: 'Wh', minutes: 5, days }]).join('\n'),
      'five-minute.csv',
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 31 * 288, rejectedRows: 0 });
    expect(receipt.intervals).toEqual([{ minutes: 5, how: 'DECLARED', meters: 1 }]);
    const billed = await daily('NMI0000005', isoOf(dateOf(1)), isoOf(dateOf(31)), receipt.position);
    // Wh: a thousandth of a Wh is a millionth of a kWh.
    expect(billed.map((d) => [d.date, Math.round(d.totalKwh * 1_000_000), d.intervals, d.expectedIntervals])).toEqual(
      days.map((d) => [isoOf(d.date), sum(d.values), 288, 288]),
    );
  });

  it('reads concatenated blocks and rows padded with trailing commas', async () => {
    const first = { date: dateOf(10), values: valuesOf(48, 10), quality: 'A' };
    const second = { date: dateOf(11), values: valuesOf(48, 11), quality: 'A' };
    const text = [
      ...block('NMI0000010', [{ suffix: 'E1', uom: 'kWh', minutes: 30, days: [first] }], ',,,'),
      ...block('NMI0000011', [{ suffix: 'E2', uom: 'kWh', minutes: 30, days: [second] }], ',,'),
    ].join('\n');
    const receipt = await upload(text, 'concatenated.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 96, rejectedRows: 0 });
    expect(receipt.channels.map((c) => [c.channel, c.kind, c.readings])).toEqual([
      ['E1', 'IMPORT', 48],
      ['E2', 'IMPORT', 48],
    ]);
    const [a] = await daily('NMI0000010', isoOf(first.date), isoOf(first.date), receipt.position);
    const [b] = await daily('NMI0000011', isoOf(second.date), isoOf(second.date), receipt.position);
    expect([Math.round(a!.totalKwh * 1000), Math.round(b!.totalKwh * 1000)]).toEqual([
      sum(first.values),
      sum(second.values),
    ]);
  });

  it('bills the import registers E1 and E2 of a meter as their sum', async () => {
    const e1 = { date: dateOf(20), values: valuesOf(48, 20), quality: 'A' };
    const e2 = { date: dateOf(20), values: valuesOf(48, 21), quality: 'A' };
    const receipt = await upload(
      block('NMI0000020', [
        { suffix: 'E1', uom: 'kWh', minutes: 30, days: [e1] },
        { suffix: 'E2', uom: 'kWh', minutes: 30, days: [e2] },
      ]).join('\n'),
      'registers.csv',
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 96 });
    const [day] = await daily('NMI0000020', isoOf(e1.date), isoOf(e1.date), receipt.position);
    expect([Math.round(day!.totalKwh * 1000), day!.intervals]).toEqual([sum(e1.values) + sum(e2.values), 48]);
  });

  it('leaves N (null) intervals out: no reading, the day incomplete', async () => {
    const values = valuesOf(48, 30);
    const day: Day = {
      date: dateOf(25),
      values,
      quality: 'V',
      fours: [
        [1, 40, 'A'],
        [41, 48, 'N'],
      ],
    };
    const receipt = await upload(
      block('NMI0000030', [{ suffix: 'E1', uom: 'kWh', minutes: 30, days: [day] }]).join('\n'),
      'null.csv',
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 40, skippedRows: 8, rejectedRows: 0 });
    expect(marksOf(receipt)).toEqual({ A: 40 });
    const [billed] = await daily('NMI0000030', isoOf(day.date), isoOf(day.date), receipt.position);
    expect([Math.round(billed!.totalKwh * 1000), billed!.intervals, billed!.complete]).toEqual([
      sum(values.slice(0, 40)),
      40,
      false,
    ]);
  });

  it('exports a channel id holding a delimiter of either locale as one quoted cell, never a formula cell', async () => {
    // A suffix of an export kind (it starts with B) that carries `;=HYPERLINK(A1)`: a spreadsheet whose list
    // separator is `;` would split an unquoted cell there and run the rest as a formula.
    const suffix = 'B1;=HYPERLINK(A1)';
    const lines = [
      header,
      `200,NMI0000050,E1B1,1,${suffix},N1,METER01,kWh,30,20240301`,
      `300,${dateOf(6)},${valuesOf(48, 50).map(value).join(',')},A,,,20240201000000,20240201000000`,
      '900',
    ];
    const receipt = await upload(lines.join('\n'), 'delimiter-suffix.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 48 });
    await t.server.services!.consistency.waitForPosition(receipt.position, 30_000);
    const day = isoOf(dateOf(6));
    const response = await fetch(
      `${t.url.replace(/\/graphql$/, '')}/exports/daily-usage.csv?from=${day}&to=${day}&meter=NMI0000050`,
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    const [, row] = text.split('\r\n');
    expect(row).toContain('"B1;=HYPERLINK(A1)"');
    // Split on `;` as a de/fr spreadsheet would, outside quotes: no cell starts with a formula character.
    const cells = row!.match(/"(?:[^"]|"")*"|[^;,]+/g) ?? [];
    expect(cells.some((cell) => /^[=+\-@]/.test(cell))).toBe(false);
  });

  it('rejects bad records by line with the reason, and keeps the good ones', async () => {
    const good = valuesOf(48, 40);
    const lines = [
      header,
      `300,${dateOf(3)},${valuesOf(48, 41).map(value).join(',')},A,,,,`, // 2: a 300 before any 200
      `200,NMI0000040,E1,1,E1,N1,METER01,kWh,30,20240301`,
      `300,${dateOf(3)},${good.map(value).join(',')},A,,,20240201000000,`,
      `300,${dateOf(4)},${valuesOf(47, 42).map(value).join(',')},A,,,20240201000000,`, // 5: 47 values
      `250,NMI0000040,X`, // 6: unknown record type
      `300,${dateOf(5)},${valuesOf(48, 43).map(value).join(',')},V,,,20240201000000,`, // 7: V without 400 records
      `200,NMI0000041,E1,1,X1,N1,METER01,kWh,30,20240301`, // 8: a suffix of no kind
      `300,${dateOf(3)},${valuesOf(48, 44).map(value).join(',')},A,,,,`, // 9: its 200 was rejected
      `200,NMI0000042,E1,1,E1,N1,METER01,kWh,20,20240301`, // 10: 20-minute intervals
      '900',
    ];
    const receipt = await upload(lines.join('\n'), 'bad-records.csv');
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 48 });
    const rows = await rejectedRows(receipt.uploadId, receipt.position);
    expect(rows.map((row) => [row.line, row.reasons[0]!.code, row.reasons[0]!.field ?? null])).toEqual([
      [2, 'RECORD_INVALID', null],
      [5, 'RECORD_INVALID', null],
      [6, 'RECORD_INVALID', 'RecordIndicator'],
      [7, 'RECORD_INVALID', 'QualityMethod'],
      [8, 'RECORD_INVALID', 'NMISuffix'],
      [9, 'RECORD_INVALID', null],
      [10, 'RECORD_INVALID', 'IntervalLength'],
    ]);
    const messages = rows.map((row) => row.reasons[0]!.message);
    expect(messages[0]).toContain('a 300 record before any 200 record');
    expect(messages[1]).toContain(
      'has 47 interval values; its 200 record (line 3) declares 30-minute intervals: 48 values a day',
    );
    expect(messages[2]).toContain("record type '250' is not one of 100, 200, 300, 400, 500, 900");
    expect(messages[3]).toContain('QualityMethod V');
    expect(messages[5]).toContain('its 200 record (line 8) was rejected');
    const [day] = await daily('NMI0000040', isoOf(dateOf(3)), isoOf(dateOf(3)), receipt.position);
    expect(Math.round(day!.totalKwh * 1000)).toBe(sum(good));
  });
});
