/**
 * No upload stalls the server or another upload (issue 32, items 3, 5, 7 and 9), on the server as
 * `npm start` runs it (its own process, a 256 MB heap) with a month of readings already loaded: junk
 * files of 1M and 4M lines, a pattern with 24 optional parts, junk in every field of the format, and a
 * big or slow file beside another admin's 1-row upload. /healthz is asked every 100 ms throughout and
 * must answer within 2 s each time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { generateReadings } from '../../src/tools/readings-generator';
import { spawnServer } from '../support/spawned-server';
import { graphql, uploadFile } from '../support/test-server';

const HEALTH_BOUND_MS = 2_000;
const LISTED = 100_000; // MAX_LISTED_REJECTED_ROWS's default
const UPLOAD = `mutation($file: Upload!, $uploadId: ID, $format: ReadingsFormatInput) {
  uploadReadings(file: $file, uploadId: $uploadId, format: $format) {
    uploadId status totalRows acceptedRows rejectedRows unlistedRejectedRows position message
  }
}`;

interface Receipt {
  uploadId: string;
  status: string;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  unlistedRejectedRows: number;
  position: string;
  message: string;
}

const dataDir = mkdtempSync(join(tmpdir(), 'ingestion-load-'));
const server = spawnServer(dataDir, {
  NODE_OPTIONS: '--max-old-space-size=256',
  LOG_LEVEL: 'error',
  // The junk-format cases send about a hundred uploads in a row.
  MUTATIONS_PER_MINUTE: '100000',
});
let url: string;
let base: string;

beforeAll(async () => {
  url = await server.ready;
  base = url.replace(/\/graphql$/, '');
  // A month of 15-minute readings for 30 meters (89,400 rows), validated and billed before any attack.
  const month = [...generateReadings({ month: '2026-10', meters: 30, errorRate: 0, seed: 32 })].join('\n');
  const loaded = await upload(month);
  expect(loaded).toMatchObject({ status: 'VALIDATED', acceptedRows: 89_400 });
}, 180_000);

afterAll(async () => {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
});

async function upload(
  content: string | Buffer,
  options: { format?: Record<string, unknown>; uploadId?: string } = {},
): Promise<Receipt> {
  const answer = await uploadFile(url, content, 'readings.csv', {
    query: UPLOAD,
    variables: { format: options.format ?? null, uploadId: options.uploadId ?? null },
  });
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return answer.data!.uploadReadings as unknown as Receipt;
}

/** Asks /healthz every 100 ms until stopped: the slowest answer, and the answers that were not 200. */
function watchHealth() {
  let running = true;
  let slowest = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const answer = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
        if (answer.status !== 200) failures += 1;
        await answer.arrayBuffer();
      } catch {
        failures += 1;
      }
      slowest = Math.max(slowest, performance.now() - started);
      await pause(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { slowest, failures };
    },
  };
}

/** The server's resident memory now, in MB (Linux). */
function rssMb(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function listedRejectedRows(receipt: Receipt): Promise<{ totalCount: number; last: number }> {
  const answer = await graphql<{ rejectedRows: { totalCount: number; edges: Array<{ node: { line: number } }> } }>(
    url,
    'query($id: ID!, $p: String) { rejectedRows(uploadId: $id, first: 1, atLeast: $p) { totalCount edges { node { line } } } }',
    { id: receipt.uploadId, p: receipt.position },
  );
  expect(answer.errors).toBeUndefined();
  return { totalCount: answer.data!.rejectedRows.totalCount, last: answer.data!.rejectedRows.edges[0]!.node.line };
}

describe('junk lines (item 5)', () => {
  const peaks: number[] = [];

  it.each([
    ['1,000,000', 1_000_000],
    ['4,000,000', 4_000_000],
  ])(
    'a file of %s junk lines is rejected row by row, counted exactly, while /healthz answers within 2 s',
    async (_label, lines) => {
      const junk = Buffer.from(`metering_point_id,timestamp,kwh\n${'b\n'.repeat(lines)}`);
      const health = watchHealth();
      const receipt = await upload(junk);
      const { slowest, failures } = await health.stop();
      expect(failures).toBe(0);
      expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
      expect(receipt).toMatchObject({
        status: 'VALIDATED',
        totalRows: lines,
        acceptedRows: 0,
        rejectedRows: lines,
        unlistedRejectedRows: lines - LISTED,
      });
      expect(receipt.message).toContain(
        `the first ${LISTED} are listed with their reasons, ${lines - LISTED} more only counted`,
      );
      // The listing keeps the first rows, in line order, from line 2 (the header is line 1).
      expect(await listedRejectedRows(receipt)).toEqual({ totalCount: LISTED, last: 2 });
      peaks.push(rssMb());
    },
    600_000,
  );

  it('the second, four times longer, file grows the memory by no more than the first', () => {
    expect(peaks).toHaveLength(2);
    expect(peaks[1]!).toBeLessThan(Math.max(peaks[0]! * 1.25, peaks[0]! + 64));
    expect(peaks[1]!).toBeLessThan(600);
  });
});

describe('a timestamp pattern with many optional parts (item 3)', () => {
  const file = 'metering_point_id,timestamp,kwh\nMP1,2026-10-01 00:00,1\n';
  it.each([17, 24])(
    'with %i optional parts is refused at once naming the field, the count and the limit',
    async (parts) => {
      const health = watchHealth();
      const answer = await uploadFile(url, file, 'readings.csv', {
        query: UPLOAD,
        variables: { format: { timestampFormat: `yyyy-MM-dd HH:mm${'[ ]'.repeat(parts)}` } },
      });
      const { slowest, failures } = await health.stop();
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(answer.errors?.[0]?.message).toContain(
        `format.timestampFormat: timestampFormat has ${parts} optional [...] parts; at most 4`,
      );
      expect(failures).toBe(0);
      expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
    },
  );

  it('with four optional parts reads the file', async () => {
    const receipt = await upload(file, {
      format: { timestampFormat: 'yyyy-MM-dd[ ][ ][ ] HH:mm[:ss]', timeZone: 'UTC' },
    });
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 1 });
  });
});

describe('junk and prototype names in the format (item 9)', () => {
  const file = 'metering_point_id,timestamp,kwh,channel\nMP9,2026-10-01T00:00:00Z,1,IMPORT\n';
  const JUNK = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', '\u0000', 'x'.repeat(300)];
  const fields: Array<[string, (value: string) => Record<string, unknown>]> = [
    ['encoding', (value) => ({ encoding: value })],
    ['delimiter', (value) => ({ delimiter: value })],
    ['timestampFormat', (value) => ({ timestampFormat: value })],
    ['timeZone', (value) => ({ timeZone: value })],
    ['unit', (value) => ({ unit: value })],
    ['meterColumn', (value) => ({ meterColumn: value })],
    ['timestampColumn', (value) => ({ timestampColumn: value })],
    ['valueColumn', (value) => ({ valueColumn: value })],
    ['qualityColumn', (value) => ({ qualityColumn: value })],
    ['channelColumn', (value) => ({ channelColumn: value })],
    ['filter.column', (value) => ({ filter: { column: value, value: 'x' } })],
  ];

  it.each(fields.flatMap(([field, format]) => JUNK.map((value) => [field, value, format] as const)))(
    '%s %j is BAD_USER_INPUT naming the field',
    async (field, value, format) => {
      const answer = await uploadFile(url, file, 'readings.csv', {
        query: UPLOAD,
        variables: { format: format(value) },
      });
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      const message = answer.errors?.[0]?.message ?? '';
      expect(message.slice(0, field.length + 9)).toBe(`format.${field}: `);
    },
  );

  it('a filter value and a channel mapping over the text limit are BAD_USER_INPUT naming them', async () => {
    const long = 'v'.repeat(300);
    const filtered = await uploadFile(url, file, 'readings.csv', {
      query: UPLOAD,
      variables: { format: { filter: { column: 'channel', value: long } } },
    });
    expect(filtered.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(filtered.errors?.[0]?.message).toMatch(
      /^format\.filter\.value: filter\.value is 300 characters long; at most 256/,
    );
    const mapped = await uploadFile(url, file, 'readings.csv', {
      query: UPLOAD,
      variables: { format: { channelColumn: 'channel', channelKinds: [{ value: long, kind: 'EXPORT' }] } },
    });
    expect(mapped.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(mapped.errors?.[0]?.message).toMatch(/^format\.channelKinds\[0\]\.value: /);
  });

  it('prototype names as channel values are plain values, and the server keeps serving', async () => {
    const receipt = await upload(file.replace('IMPORT', 'constructor'), {
      format: { channelColumn: 'channel', channelKinds: [{ value: 'constructor', kind: 'EXPORT' }] },
    });
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 1 });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe("one file never holds another admin's 1-row upload (item 7)", () => {
  /** The status of an upload as the read model has it now (null before it is landed). */
  async function statusOf(uploadId: string): Promise<string | null> {
    const answer = await graphql<{ upload: { status: string } | null }>(
      url,
      'query($id: ID!) { upload(id: $id) { status } }',
      {
        id: uploadId,
      },
    );
    return answer.data?.upload?.status ?? null;
  }

  /** Starts the upload and returns once it is being validated (landed, not finished). */
  async function startedUpload(content: string, uploadId: string, format?: Record<string, unknown>) {
    let finished = false;
    const receipt = upload(content, { uploadId, ...(format === undefined ? {} : { format }) }).finally(() => {
      finished = true;
    });
    while ((await statusOf(uploadId)) !== 'RECEIVED') {
      if (finished)
        throw new Error(`upload ${uploadId} ended before it could be watched: ${JSON.stringify(await receipt)}`);
      await pause(20);
    }
    return { receipt, finished: () => finished };
  }

  async function oneRowBeside(meter: string): Promise<{ ms: number; receipt: Receipt }> {
    const started = performance.now();
    const receipt = await upload(`metering_point_id,timestamp,kwh\n${meter},2026-12-01T00:00:00Z,1.5\n`);
    return { ms: performance.now() - started, receipt };
  }

  it('a 1-row upload is VALIDATED within 2 s while a slow file (16 patterns a row) holds a worker', async () => {
    // Each row matches only the last of the 16 variants: about 0.5 ms a row, 30,000 rows.
    const rows = ['metering_point_id,timestamp,kwh'];
    for (let i = 0; i < 30_000; i++) {
      const at = new Date(Date.UTC(2026, 10, 1) + i * 15 * 60_000).toISOString().slice(0, 16);
      rows.push(`SLOW${i % 10},${at},0.25`);
    }
    const health = watchHealth();
    const slow = await startedUpload(rows.join('\n'), '32000000-0000-4000-8000-000000000007', {
      timestampFormat: "yyyy-MM-dd[ ][ ][ ][ ]'T'HH:mm",
      timeZone: 'UTC',
    });
    const beside = await oneRowBeside('BESIDE1');
    expect(slow.finished()).toBe(false); // the slow file was still being validated meanwhile
    expect(beside.receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 1 });
    expect(beside.ms).toBeLessThan(HEALTH_BOUND_MS);
    expect(await slow.receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 30_000 });
    const { slowest, failures } = await health.stop();
    expect(failures).toBe(0);
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
  }, 300_000);

  it('a 1-row upload is VALIDATED within 2 s while a 576,000-row file from the generator is validated', async () => {
    const big = [...generateReadings({ month: '2026-11', meters: 200, errorRate: 0, seed: 7 })].join('\n');
    const health = watchHealth();
    const running = await startedUpload(big, '32000000-0000-4000-8000-000000000576');
    const beside = await oneRowBeside('BESIDE2');
    expect(running.finished()).toBe(false);
    expect(beside.receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 1 });
    expect(beside.ms).toBeLessThan(HEALTH_BOUND_MS);
    expect(await running.receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 576_000 });
    const { slowest, failures } = await health.stop();
    expect(failures).toBe(0);
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
  }, 300_000);
});
