import { parse } from 'csv-parse/sync';
import type { FileSample } from '../domain/readings/format/sample-check';

const SAMPLE_ROWS = 100;

/**
 * The header and first rows of a spooled file's head, read as csv-parse reads the whole file; null when
 * the head has no record or cannot be read as CSV (the validation then reports the file's own problem).
 */
export function sampleOfHead(headText: string, delimiter: string): FileSample | null {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(headText, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_records_with_error: true,
      info: true,
      to: SAMPLE_ROWS * 2,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch {
    return null;
  }
  const nonBlank = records.filter(({ record }) => !(record.length === 1 && (record[0] ?? '').trim() === ''));
  const [header, ...rows] = nonBlank;
  if (header === undefined) return null;
  return {
    header: header.record,
    rows: rows.slice(0, SAMPLE_ROWS).map(({ record, info }) => ({ line: info.lines, fields: record })),
  };
}
