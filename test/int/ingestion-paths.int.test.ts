/**
 * The fast byte scanner and the csv-parse path must give the same events for any file: the same batches
 * of readings, the same rejected rows with the same reasons and lines, the same totals. Each file is
 * landed by the spool (which says whether the fast path may read it) and read both ways.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RejectedRow } from '../../src/domain/readings/events';
import type { ReadingsColumns } from '../../src/domain/readings/readings-batch';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { validateReadingsFile } from '../../src/ingestion/readings-file';
import type { BatchLimits } from '../../src/ingestion/validation-types';
import { spoolUpload } from '../../src/ingestion/spool';
import { ValidationWorkers } from '../../src/ingestion/validation-workers';
import { generateReadings } from '../../src/tools/readings-generator';

const HEADER = 'metering_point_id,timestamp,kwh';
const work = mkdtempSync(join(tmpdir(), 'ingestion-paths-'));
const workers = new ValidationWorkers(1, () => undefined);
afterAll(async () => {
  await workers.close();
  rmSync(work, { recursive: true, force: true });
});

const generated = (seed: number, errorRate: number, meters = 12, days = 3) =>
  [...generateReadings({ month: '2026-10', days, meters, errorRate, seed })].join('\n');

/** Files that exercise every rule and every way of writing a row. */
const files: Array<[string, string | Buffer]> = [
  ['generated, 1% bad rows of every kind', generated(3, 0.01)],
  ['generated over the DST change, no final newline', generated(5, 0.002, 4, 31).trimEnd()],
  ['generated with CRLF line ends', generated(9, 0.01).replaceAll('\n', '\r\n')],
  [
    'every spelling of a time and a value',
    [
      `\uFEFF${HEADER}`,
      'MP1,2026-10-01T00:00:00+03:00,0.5',
      'MP1,2026-10-01T00:15:00Z,1',
      'MP1,2026-10-01 00:30:00+03:00,0.25',
      'MP1,2026-10-01T00:45:00.000+03:00,0.25',
      'MP1,2026-10-01T01:00:00+0300,2',
      'MP1,1790802900,3',
      'MP1,1790803800000,3',
      'MP1,2026-10-01T02:00:00,7',
      'MP1,2026-10-25T03:30:00,7',
      ' MP1 , 2026-10-01T03:00:00+03:00 , 0.125 ',
      'MP1,2026-10-01T00:00:00+03:00,9',
      'MP1,2026-09-30T21:00:00Z,9',
      'MP1,2026-10-01T04:07:00+03:00,1',
      'MP1,2026-10-01T05:00:00+03:00,0.1234567',
      'MP1,2026-10-01T05:15:00+03:00,1.4529999',
      'MP1,2026-10-01T06:00:00+03:00,10000',
      'MP1,2026-10-01T06:15:00+03:00,10000.000001',
      'MP1,2026-10-01T06:30:00+03:00,-1',
      'MP1,2026-10-01T06:45:00+03:00,1e3',
      'MP1,2026-10-01T07:00:00+03:00,5.',
      'MP1,2026-02-30T07:00:00+03:00,1',
      'MP1,2026-10-01T24:00:00+03:00,1',
      'MP1,2026-10-01T07:15:00+19:00,1',
      ',2026-10-01T07:30:00+03:00,1',
      'M P1,2026-10-01T07:30:00+03:00,1',
      `${'M'.repeat(65)},2026-10-01T07:30:00+03:00,1`,
      'MP1,2026-10-01T07:30:00+03:00',
      'MP1,2026-10-01T07:30:00+03:00,1,extra',
      '',
      '   ',
      'MP2,0099-10-01T00:00:00Z,1',
      'MP2,2026-10-01T08:00:00+03:00,00000000000000001.5',
    ].join('\n'),
  ],
  [
    'quoted fields, extra columns, text that is not UTF-8',
    Buffer.concat([
      Buffer.from(
        `note,"KWH",Metering_Point_Id,timestamp\n"a, b","0.5","MP-2","2026-10-01T00:00:00Z"\n"""q""",1.5,MP-2,2026-10-01T00:15:00Z\n`,
      ),
      Buffer.from('caf\u00e9,1,MP-2,2026-10-01T00:30:00Z\n'),
      Buffer.from([0x78, 0xff, 0xfe, 0x2c, 0x31, 0x2c, 0x4d, 0x50, 0x2c, 0x32, 0x30, 0x32, 0x36, 0x0a]),
      Buffer.from('x,"1",MP-3,2026-10-01T00:45:00Z\n,"",MP-3,2026-10-01T01:00:00Z\n'),
    ]),
  ],
  [
    'a quote that opens a field on one line and closes it on the next',
    `${HEADER}\nMP1,"2026-10-01T00:00:00Z\n",1\nMP1,2026-10-01T00:15:00Z,2\n`,
  ],
  [
    'a stray quote inside a field',
    `${HEADER}\nMP1,2026-10-01T00:00:00Z,1\nM"P1,2026-10-01T00:15:00Z,2\nMP1,2026-10-01T00:30:00Z,3\n`,
  ],
  ['mixed line ends', `${HEADER}\r\nMP1,2026-10-01T00:00:00Z,1\nMP1,2026-10-01T00:15:00Z,2\r\n`],
  ['a header only', `${HEADER}\n`],
  ['no header', 'MP1,2026-10-01T00:00:00Z,1\n'],
  ['blank lines first, then the header', `\n\n${HEADER}\nMP1,2026-10-01T00:00:00Z,1`],
];
for (const folder of ['lp-tou', 'wide-half-hourly']) {
  const dir = join(__dirname, '../fixtures/readings', folder);
  for (const name of readdirSync(dir)) files.push([`fixture ${folder}/${name}`, readFileSync(join(dir, name))]);
}

interface Recorded {
  events: Array<{ kind: 'accepted'; readings: ReadingsColumns } | { kind: 'rejected'; rows: RejectedRow[] }>;
  result: unknown;
}

/** `fast`: in process, through the scanner where the layout allows; `csv`: in process, csv-parse only; `worker`: as the server does. */
async function read(
  path: string,
  mode: 'fast' | 'csv' | 'worker',
  batch: BatchLimits,
): Promise<{ recorded: Recorded; layout: unknown }> {
  const spooled = await spoolUpload(createReadStream(path), `${path}.spooled`, {
    maxLineBytes: 65_536,
    maxUploadBytes: 1e9,
  });
  const events: Recorded['events'] = [];
  const validate = mode === 'worker' ? workers.validate : validateReadingsFile;
  const result = await validate(
    spooled.path,
    {
      clock: new ZonedClock('Europe/Sofia'),
      rules: { resolutionMinutes: 15, maxKwhPerReading: 10_000 },
      maxRecordBytes: 65_536,
      batch,
      ...(mode === 'csv' ? {} : { layout: spooled.layout }),
    },
    {
      accepted: (readings) => Promise.resolve(void events.push({ kind: 'accepted', readings })),
      rejected: (rows) => Promise.resolve(void events.push({ kind: 'rejected', rows })),
    },
  );
  return { recorded: { events, result }, layout: spooled.layout };
}

describe('the fast scanner and csv-parse give identical events', () => {
  // Small batches, so files of a few hundred rows still cut several events at the same rows.
  const batch: BatchLimits = { readingsPerEvent: 97, rejectedRowsPerEvent: 7, rejectedBytesPerEvent: 2_000 };

  it.each(files)('%s', async (name, content) => {
    const path = join(work, `${name.replace(/\W+/g, '-')}.csv`);
    writeFileSync(path, content);
    const fast = await read(path, 'fast', batch);
    const slow = await read(path, 'csv', batch);
    expect(fast.recorded).toEqual(slow.recorded);
    const inWorker = await read(path, 'worker', batch);
    expect(inWorker.recorded).toEqual(fast.recorded);
  });

  it('reads the generated files through the fast path (their quotes open and close on the line)', async () => {
    const path = join(work, 'layout.csv');
    writeFileSync(path, generated(3, 0.01));
    expect((await read(path, 'fast', batch)).layout).toEqual({ quotes: 'fields', lineEnding: 'LF' });
    writeFileSync(path, `${HEADER}\nMP1,"2026-10-01T00:00:00Z\n",1\n`);
    expect((await read(path, 'fast', batch)).layout).toEqual({ quotes: 'irregular', lineEnding: 'LF' });
  });
});
