/**
 * The common European export mistakes, answered with the fix: a Windows-1252 file (refused with its line
 * and byte, read whole with `encoding`), a decimal comma, a dotted day-first date; and a rejected row's
 * raw text is the file's own line, semicolons and all.
 */
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

const UPLOAD = `mutation($file: Upload!, $format: ReadingsFormatInput) {
  uploadReadings(file: $file, format: $format) {
    uploadId status totalRows acceptedRows rejectedRows position message format { encoding delimiter decimalComma }
  }
}`;

interface Receipt {
  uploadId: string;
  status: string;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  position: string;
  message: string | null;
  format: { encoding: string; delimiter: string; decimalComma: boolean } | null;
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ BILLING_TZ: 'Europe/Berlin' });
});
afterAll(async () => {
  await t.close();
});

async function upload(content: string | Buffer, format?: Record<string, unknown>): Promise<Receipt> {
  const answer = await uploadFile(t.url, content, 'export.csv', {
    query: UPLOAD,
    variables: format === undefined ? {} : { format },
  });
  expect(answer.errors).toBeUndefined();
  return (answer.data as unknown as { uploadReadings: Receipt }).uploadReadings;
}

async function rejected(receipt: Receipt) {
  const answer = await graphql<{
    rejectedRows: {
      edges: Array<{ node: { line: number; raw: string; reasons: Array<{ code: string; message: string }> } }>;
    };
  }>(
    t.url,
    'query($u: ID!, $p: String) { rejectedRows(uploadId: $u, first: 50, atLeast: $p) { edges { node { line raw reasons { code message } } } } }',
    { u: receipt.uploadId, p: receipt.position },
  );
  expect(answer.errors).toBeUndefined();
  return answer.data!.rejectedRows.edges.map((edge) => edge.node);
}

/** A site column with accented names, as a German or French export writes them ('ü' is 0xFC in Windows-1252). */
const LATIN_TEXT = [
  'metering_point_id;timestamp;kwh;site',
  'MP-LAT-1;2026-10-01T00:00:00+02:00;0,25;Zürich',
  'MP-LAT-1;2026-10-01T00:15:00+02:00;0,50;Zürich',
  'MP-LAT-2;2026-10-01T00:00:00+02:00;1,75;Liège',
  'MP-LAT-2;2026-10-01T00:07:00+02:00;1,75;Liège',
  '',
].join('\r\n');

describe('files as European spreadsheets write them', () => {
  it('refuses a Windows-1252 file sent as UTF-8 naming the line, the byte and the format that reads it', async () => {
    const receipt = await upload(Buffer.from(LATIN_TEXT, 'latin1'), { delimiter: ';', decimalComma: true });
    expect(receipt.status).toBe('REJECTED');
    // The 'ü' of line 2: the header is 36 bytes and a CRLF, then 'MP-LAT-1;2026-10-01T00:00:00+02:00;0,25;Z' (41): offsets count from 0.
    expect(receipt.message).toContain('line 2 is not UTF-8 text (byte 0xFC at offset 79 of the file)');
    expect(receipt.message).toContain('format: { encoding: "windows-1252" }');
  });

  it('reads it whole with format { encoding: "windows-1252" }, the text of a rejected row decoded as written', async () => {
    const receipt = await upload(Buffer.from(LATIN_TEXT, 'latin1'), {
      delimiter: ';',
      decimalComma: true,
      encoding: 'windows-1252',
    });
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 3, rejectedRows: 1 });
    expect(receipt.format).toEqual({ encoding: 'windows-1252', delimiter: ';', decimalComma: true });
    const [offGrid] = await rejected(receipt);
    expect(offGrid).toMatchObject({ line: 5, raw: 'MP-LAT-2;2026-10-01T00:07:00+02:00;1,75;Liège' });
    expect(offGrid!.reasons[0]!.code).toBe('TIMESTAMP_OFF_GRID');
  });

  it('refuses an unknown encoding as BAD_USER_INPUT naming the field', async () => {
    const answer = await uploadFile(t.url, LATIN_TEXT, 'export.csv', {
      query: UPLOAD,
      variables: { format: { encoding: 'ebcdic' } },
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(/encoding 'ebcdic' is not one of utf-8, windows-1252/);
  });

  it('says decimalComma (and the semicolon) when a value has a decimal comma, and keeps each raw line as written', async () => {
    const file = [
      'metering_point_id;timestamp;kwh',
      'MP-DC;2026-10-02T00:00:00+02:00;0,25',
      'MP-DC;2026-10-02T00:15:00+02:00;"0,5"',
      '',
    ].join('\n');
    const receipt = await upload(file, { delimiter: ';' });
    expect(receipt).toMatchObject({ status: 'VALIDATED', acceptedRows: 0, rejectedRows: 2 });
    const rows = await rejected(receipt);
    expect(rows.map((row) => row.raw)).toEqual([
      'MP-DC;2026-10-02T00:00:00+02:00;0,25',
      'MP-DC;2026-10-02T00:15:00+02:00;"0,5"',
    ]);
    for (const row of rows) {
      expect(row.reasons[0]!.code).toBe('KWH_INVALID');
      expect(row.reasons[0]!.message).toMatch(
        /looks like a decimal comma: upload with format: \{ decimalComma: true \}/,
      );
    }
  });

  it('says so when an unquoted decimal comma splits a comma-separated row', async () => {
    const file = 'metering_point_id,timestamp,kwh\nMP-SPLIT,2026-10-03T00:00:00+02:00,0,25\n';
    const receipt = await upload(file);
    const [row] = await rejected(receipt);
    expect(row!.raw).toBe('MP-SPLIT,2026-10-03T00:00:00+02:00,0,25');
    expect(row!.reasons[0]).toMatchObject({ code: 'FIELD_COUNT' });
    expect(row!.reasons[0]!.message).toMatch(
      /expected 3 fields as in the header, found 4; '0,25' looks like a number with a decimal comma.*delimiter: ";", decimalComma: true/,
    );
  });

  it('names the timestampFormat that reads a dotted day-first date, and that format reads the file', async () => {
    const file = 'metering_point_id;timestamp;kwh\nMP-DOT;01.10.2026 00:15;0,25\nMP-DOT;01.10.2026 00:30;0,5\n';
    const receipt = await upload(file, { delimiter: ';', decimalComma: true });
    const rows = await rejected(receipt);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.reasons[0]!.code).toBe('TIMESTAMP_INVALID');
    expect(rows[0]!.reasons[0]!.message).toContain('it matches format: { timestampFormat: "dd.MM.yyyy HH:mm[:ss]" }');

    const suggested = await upload(file, {
      delimiter: ';',
      decimalComma: true,
      timestampFormat: 'dd.MM.yyyy HH:mm[:ss]',
    });
    expect(suggested).toMatchObject({ status: 'VALIDATED', acceptedRows: 2, rejectedRows: 0 });
  });
});

describe('a row with a bad quote', () => {
  it('is rejected alone, as the line it is on with its text; the rows after keep their lines and count once', async () => {
    const rows = ['metering_point_id,timestamp,kwh'];
    for (let i = 0; i < 11; i += 1) {
      rows.push(`MP-Q,2026-10-05T0${Math.floor(i / 4)}:${String((i % 4) * 15).padStart(2, '0')}:00Z,1`);
    }
    rows[3] = 'MP-Q,"2026-10-05T00:30:00Z"x,1'; // line 4: a closing quote with more after it
    rows[7] = 'MP-Q,2026-10-05T01:30:00Z,-1'; // line 8: a negative reading
    rows[9] = 'MP-Q,"2026-10-05T02:00:00Z,1'; // line 10: a quote never closed
    const receipt = await upload(`${rows.join('\n')}\n`);
    expect(receipt).toMatchObject({ status: 'VALIDATED', totalRows: 11, acceptedRows: 8, rejectedRows: 3 });
    const found = await rejected(receipt);
    expect(found.map((row) => [row.line, row.raw, row.reasons[0]!.code])).toEqual([
      [4, 'MP-Q,"2026-10-05T00:30:00Z"x,1', 'MALFORMED_CSV'],
      [8, 'MP-Q,2026-10-05T01:30:00Z,-1', 'KWH_NEGATIVE'],
      [10, 'MP-Q,"2026-10-05T02:00:00Z,1', 'MALFORMED_CSV'],
    ]);
    expect(found[0]!.reasons[0]!.message).not.toMatch(/at line/);
  });
});
