import { randomBytes, randomUUID } from 'node:crypto';
import { emptyCounts, generateReadings, INJECTED_ERRORS } from '../../src/tools/readings-generator';
import type { TestServer, UploadReceipt } from '../support/test-server';
import { collectSubscription, graphql, startTestServer, uploadFile, wsClient } from '../support/test-server';

const HEADER = 'metering_point_id,timestamp,kwh';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

async function upload(content: string | Buffer, fileName = 'readings.csv'): Promise<UploadReceipt> {
  const response = await uploadFile(t.url, content, fileName);
  expect(response.errors).toBeUndefined();
  return response.data!.uploadReadings;
}

interface RejectedRowsPage {
  rejectedRows: {
    totalCount: number;
    edges: Array<{
      cursor: string;
      node: { line: number; raw: string; reasons: Array<{ code: string; message: string }> };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** Every rejected row of an upload, read at its receipt's log position (`atLeast`: read-your-writes). */
async function allRejectedRows({ uploadId, position }: Pick<UploadReceipt, 'uploadId' | 'position'>) {
  const rows: RejectedRowsPage['rejectedRows']['edges'][number]['node'][] = [];
  let after: string | null = null;
  for (;;) {
    const page: { data?: RejectedRowsPage | null } = await graphql<RejectedRowsPage>(
      t.url,
      `
        query ($id: ID!, $after: String, $atLeast: String) {
          rejectedRows(uploadId: $id, first: 100, after: $after, atLeast: $atLeast) {
            totalCount
            edges {
              cursor
              node {
                line
                raw
                reasons {
                  code
                  message
                }
              }
            }
            pageInfo {
              hasNextPage
              endCursor
            }
          }
        }
      `,
      { id: uploadId, after, atLeast: position },
    );
    const connection = page.data!.rejectedRows;
    rows.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage) return { rows, totalCount: connection.totalCount };
    after = connection.pageInfo.endCursor;
  }
}

async function reasonCodes(receipt: Pick<UploadReceipt, 'uploadId' | 'position'>): Promise<string[][]> {
  return (await allRejectedRows(receipt)).rows.map((row) => row.reasons.map((r) => r.code));
}

async function expectServerAnswers(): Promise<void> {
  const response = await graphql(t.url, '{ uploads(first: 1) { totalCount } }');
  expect(response.status).toBe(200);
  expect(response.data?.uploads.totalCount).toBeGreaterThan(0);
}

describe('uploadReadings over HTTP multipart', () => {
  it('accepts every valid row of a generated file and lists every bad line with its reason', async () => {
    const counts = emptyCounts();
    const csv = [...generateReadings({ month: '2026-10', days: 3, meters: 20, errorRate: 0.01, seed: 3 }, counts)].join(
      '\n',
    );
    const expectedRejected = INJECTED_ERRORS.reduce((sum, kind) => sum + counts[kind], 0);
    expect(expectedRejected).toBeGreaterThan(20);

    const receipt = await upload(csv, 'generated.csv');
    expect(receipt).toMatchObject({
      status: 'VALIDATED',
      totalRows: counts.rows,
      acceptedRows: counts.valid,
      rejectedRows: expectedRejected,
      duplicateOf: null,
    });

    await t.server.projections.waitForPosition(receipt.position, 5000);
    const { rows, totalCount } = await allRejectedRows(receipt);
    expect(totalCount).toBe(expectedRejected);
    expect(rows).toHaveLength(expectedRejected);
    const lines = csv.split('\n');
    for (const row of rows) {
      expect(row.reasons.length).toBeGreaterThan(0);
      expect(row.raw).toBe(lines[row.line - 1]); // the line number points at the very row
    }
    const codes = rows.flatMap((row) => row.reasons.map((r) => r.code));
    expect(codes.filter((c) => c === 'DUPLICATE_READING')).toHaveLength(counts.duplicate);
    expect(codes.filter((c) => c === 'KWH_NEGATIVE')).toHaveLength(counts.negative_kwh);
    expect(codes.filter((c) => c === 'FIELD_COUNT')).toHaveLength(counts.missing_field);
    expect(codes.filter((c) => c === 'METER_ID_MISSING')).toHaveLength(counts.bad_meter_id);

    const status = await graphql(
      t.url,
      'query($id: ID!) { upload(id: $id) { status acceptedRows rejectedRows meters } }',
      {
        id: receipt.uploadId,
      },
    );
    expect(status.data?.upload).toEqual({
      status: 'VALIDATED',
      acceptedRows: counts.valid,
      rejectedRows: expectedRejected,
      meters: 20,
    });

    const again = await upload(csv, 'generated-again.csv');
    expect(again).toMatchObject({ status: 'VALIDATED', acceptedRows: 0, duplicateOf: receipt.uploadId });
    expect(again.message).toContain(receipt.uploadId);
  });

  it('reads UTF-8 with BOM and CRLF line ends', async () => {
    const receipt = await upload(
      `\uFEFF${HEADER}\r\nMP1,2026-10-01T00:00:00+03:00,0.5\r\nMP1,2026-10-01T00:15:00+03:00,0.25\r\n`,
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 2, rejectedRows: 0 });
  });

  it('rounds kWh with more than 6 decimals half up, counts them, and bills the rounded value', async () => {
    const receipt = await upload(
      `${HEADER}\nMP-R,2026-10-01T00:00:00+03:00,1.4529999\nMP-R,2026-10-01T00:15:00+03:00,0.1234565\nMP-R,2026-10-01T00:30:00+03:00,0.25\n`,
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 3, rejectedRows: 0, roundedRows: 2 });
    expect(receipt.message).toBe('3 of 3 rows accepted (2 with kWh rounded to 6 decimals), 0 rejected');
    await t.server.services!.consistency.waitForPosition(receipt.position, 5_000);
    const usage = await graphql(
      t.url,
      '{ dailyUsage(meter: "MP-R", from: "2026-10-01", to: "2026-10-01") { totalKwh } }',
    );
    expect(usage.data).toEqual({ dailyUsage: [{ totalKwh: 1.826457 }] });
    const status = await graphql(t.url, `{ upload(id: "${receipt.uploadId}") { roundedRows } }`);
    expect(status.data).toEqual({ upload: { roundedRows: 2 } });
  });

  it('reads quoted fields, columns in any order and extra columns', async () => {
    const receipt = await upload(
      `"KWH","note","Metering_Point_Id","timestamp"\n"0.5","a, b","MP-2","2026-10-01T00:00:00Z"\n"1.5","""q""",MP-2,2026-10-01T00:15:00Z\n`,
    );
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 2, rejectedRows: 0 });
  });

  it.each([
    ['a semicolon file', `metering_point_id;timestamp;kwh\nMP1;2026-10-01T00:00:00Z;0.5\n`, 'separated by semicolons'],
    [
      'a file without header',
      `MP1,2026-10-01T00:00:00Z,0.5\nMP1,2026-10-01T00:15:00Z,0.5\n`,
      'looks like data, not a header',
    ],
    ['an empty file', '', 'the file is empty'],
    [
      'a header with a missing column',
      'metering_point_id,time,kwh\nMP1,2026-10-01T00:00:00Z,1\n',
      'lacks the column timestamp',
    ],
  ])('rejects %s as a whole with a clear message', async (_name, content, message) => {
    const receipt = await upload(content);
    expect(receipt).toMatchObject({ status: 'REJECTED', acceptedRows: 0 });
    expect(receipt.message).toContain(message);
    await expectServerAnswers();
  });

  it('rejects random binary as not text', async () => {
    const receipt = await upload(randomBytes(200_000), 'image.png');
    expect(receipt.status).toBe('REJECTED');
    expect(receipt.message).toMatch(/not (UTF-8 )?text/);
    await expectServerAnswers();
  });

  it('rejects a 20 MB single line without holding it as a record', async () => {
    const receipt = await upload(Buffer.alloc(20 * 1024 * 1024, 'a'), 'one-line.csv');
    expect(receipt.status).toBe('REJECTED');
    expect(receipt.message).toContain('line 1 is longer than');
    await expectServerAnswers();
  });

  it('accepts a header-only file with zero rows and says so', async () => {
    const receipt = await upload(`${HEADER}\n`);
    expect(receipt).toMatchObject({ status: 'VALIDATED', totalRows: 0, acceptedRows: 0 });
    expect(receipt.message).toContain('no data rows');
  });

  it('reads epoch seconds and milliseconds, and catches them as duplicates of ISO rows', async () => {
    const receipt = await upload(
      `${HEADER}\n12345,1649401200,4.2134\n12345,1649402100000,1.5\n12345,2022-04-08T07:00:00Z,9\n12345,2022-04-08T10:15:00+03:00,9\n`,
    );
    expect(receipt).toMatchObject({ acceptedRows: 2, rejectedRows: 2 });
    expect(await reasonCodes(receipt)).toEqual([['DUPLICATE_READING'], ['DUPLICATE_READING']]);
  });

  it('treats Z and offset spellings of one instant as duplicates, keeping the first', async () => {
    const receipt = await upload(`${HEADER}\nMP9,2026-10-01T03:00:00+03:00,1\nMP9,2026-10-01T00:00:00Z,2\n`);
    expect(receipt).toMatchObject({ acceptedRows: 1, rejectedRows: 1 });
    const { rows } = await allRejectedRows(receipt);
    expect(rows[0]).toMatchObject({ line: 3, raw: 'MP9,2026-10-01T00:00:00Z,2' });
    expect(rows[0]?.reasons[0]?.message).toContain('line 2');
  });

  it('rejects a time off the 15-minute grid', async () => {
    const receipt = await upload(`${HEADER}\nMP1,2026-10-01T00:07:00Z,1\nMP1,2026-10-01T00:15:30Z,1\n`);
    expect(await reasonCodes(receipt)).toEqual([['TIMESTAMP_OFF_GRID'], ['TIMESTAMP_OFF_GRID']]);
  });

  it('rejects local times that DST skips or repeats, and accepts them with offsets', async () => {
    const receipt = await upload(
      [
        HEADER,
        'MP1,2026-03-29T03:15:00,1', // spring forward: does not exist in Sofia
        'MP1,2026-10-25T03:15:00,1', // fall back: happens twice
        'MP1,2026-10-25T03:15:00+03:00,1',
        'MP1,2026-10-25T03:15:00+02:00,1',
        'MP1,2026-10-25T12:00:00,1', // ordinary local time
      ].join('\n'),
    );
    expect(receipt).toMatchObject({ acceptedRows: 3, rejectedRows: 2 });
    expect(await reasonCodes(receipt)).toEqual([['TIMESTAMP_NONEXISTENT'], ['TIMESTAMP_AMBIGUOUS']]);
  });

  it('rejects negative and non-numeric kWh', async () => {
    const receipt = await upload(
      `${HEADER}\nMP1,2026-10-01T00:00:00Z,-0.5\nMP1,2026-10-01T00:15:00Z,abc\nMP1,2026-10-01T00:30:00Z,"0,5"\nMP1,2026-10-01T00:45:00Z,0.5\n`,
    );
    expect(receipt).toMatchObject({ acceptedRows: 1, rejectedRows: 3 });
    expect(await reasonCodes(receipt)).toEqual([['KWH_NEGATIVE'], ['KWH_INVALID'], ['KWH_INVALID']]);
    await expectServerAnswers();
  });

  it('rejects rows with a wrong field count and keeps line numbers right across blank lines', async () => {
    const receipt = await upload(
      `${HEADER}\n\nMP1,2026-10-01T00:00:00Z\nMP1,2026-10-01T00:15:00Z,1,extra\n\nMP1,x,1\n`,
    );
    const { rows } = await allRejectedRows(receipt);
    expect(rows.map((r) => [r.line, r.reasons[0]?.code])).toEqual([
      [3, 'FIELD_COUNT'],
      [4, 'FIELD_COUNT'],
      [6, 'TIMESTAMP_INVALID'],
    ]);
  });

  it('refuses an upload without the CSRF preflight header', async () => {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation($f: Upload!){ uploadReadings(file: $f) { uploadId } }',
        variables: { f: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([`${HEADER}\n`]), 'a.csv');
    const response = await fetch(t.url, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    await expectServerAnswers();
  });

  it('answers a bad cursor and a bad page size with BAD_USER_INPUT', async () => {
    const badCursor = await graphql(t.url, '{ uploads(first: 5, after: "nonsense") { totalCount } }');
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badSize = await graphql(t.url, '{ uploads(first: 100000) { totalCount } }');
    expect(badSize.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('fileValidation subscription over graphql-ws', () => {
  const SUBSCRIPTION = `subscription($id: ID!) { fileValidation(uploadId: $id) {
    uploadId status processedRows acceptedRows rejectedRows done message } }`;
  type Update = { fileValidation: { status: string; processedRows: number; acceptedRows: number; done: boolean } };

  it('reports progress while rows are processed, then the final result', async () => {
    const uploadId = randomUUID();
    const client = wsClient(t.url);
    const subscription = collectSubscription<Update>(client, SUBSCRIPTION, { id: uploadId });
    const csv = [...generateReadings({ month: '2026-11', days: 2, meters: 60, errorRate: 0.001, seed: 5 })].join('\n');
    const response = await uploadFile(t.url, csv, 'progress.csv', { uploadId });
    const receipt = response.data!.uploadReadings;
    const updates = (await subscription.done).map((u) => u.fileValidation);
    await client.dispose();

    expect(receipt.uploadId).toBe(uploadId);
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates[0]).toMatchObject({ status: 'RECEIVED', processedRows: 0, done: false });
    const progress = updates.filter((u) => !u.done).map((u) => u.processedRows);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.some((n) => n > 0 && n < receipt.totalRows)).toBe(true);
    expect(updates.at(-1)).toMatchObject({
      status: 'VALIDATED',
      done: true,
      processedRows: receipt.totalRows,
      acceptedRows: receipt.acceptedRows,
    });
  });

  it('gives a late subscriber the final result of a finished upload', async () => {
    const receipt = await upload(`metering_point_id;timestamp;kwh\n`);
    const client = wsClient(t.url);
    const updates = (await collectSubscription<Update>(client, SUBSCRIPTION, { id: receipt.uploadId }).done).map(
      (u) => u.fileValidation,
    );
    await client.dispose();
    expect(updates.at(-1)).toMatchObject({ status: 'REJECTED', done: true });
  });
});

describe('limits and roles', () => {
  it('refuses a file over MAX_UPLOAD_BYTES with PAYLOAD_TOO_LARGE and keeps serving', async () => {
    const small = await startTestServer({ MAX_UPLOAD_BYTES: '1000' });
    try {
      const csv = [...generateReadings({ month: '2026-10', days: 1, meters: 2 })].join('\n');
      const response = await uploadFile(small.url, csv);
      expect(response.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
      const ok = await uploadFile(small.url, `${HEADER}\nMP1,2026-10-01T00:00:00Z,1\n`);
      expect(ok.data?.uploadReadings.acceptedRows).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('lets only admins upload when tokens are configured', async () => {
    const secured = await startTestServer({ ADMIN_TOKEN: 'admin-secret', VIEWER_TOKEN: 'viewer-secret' });
    try {
      const csv = `${HEADER}\nMP1,2026-10-01T00:00:00Z,1\n`;
      const anonymous = await uploadFile(secured.url, csv);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const viewer = await uploadFile(secured.url, csv, 'a.csv', {
        headers: { authorization: 'Bearer viewer-secret' },
      });
      expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const admin = await uploadFile(secured.url, csv, 'a.csv', { headers: { authorization: 'Bearer admin-secret' } });
      expect(admin.data?.uploadReadings.status).toBe('VALIDATED');
      const listed = await graphql(
        secured.url,
        '{ uploads { totalCount } }',
        {},
        { authorization: 'Bearer viewer-secret' },
      );
      expect(listed.data?.uploads.totalCount).toBe(1);
    } finally {
      await secured.close();
    }
  });
});
