/**
 * The check of a format against a file's first records, before anything is written for it.
 */
import type { ZonedClock } from '../../time/zoned-time';
import { shorten } from '../timestamp';
import { planFormat } from './planning';
import { FormatError, type Delimiter, type ReadingsFormatRequest } from './request';

/** The first records of a file: its header and a sample of the rows after it (blank lines left out). */
export interface FileSample {
  header: readonly string[];
  rows: ReadonlyArray<{ line: number; fields: readonly string[] }>;
}

/**
 * Refuses a request that cannot apply to this file, judged on its first records, so nothing is written
 * for it: a column it names (or a dialect it forces) that the header lacks, or a timestamp pattern that
 * matches none of the sampled rows. A problem that is not the request's (no header line, the base
 * columns missing) is left to the validation, which rejects the file with its line.
 */
export function checkFormatOnSample(
  request: ReadingsFormatRequest,
  sample: FileSample,
  defaults: { timeZone: string; delimiter: Delimiter },
  clock: ZonedClock,
): void {
  const planned = planFormat(sample.header, request, defaults);
  if (!planned.ok) {
    if (planned.field !== undefined) throw new FormatError(planned.field, planned.reason);
    return;
  }
  const plan = planned.plan;
  // NEM12 records say how their dates are written; a timestamp pattern does not apply to them.
  if (request.timestampFormat === undefined || plan.kind === 'NEM12') return;
  const column = plan.kind === 'LONG' ? plan.timestamp : plan.date;
  let tried = 0;
  let first: { line: number; text: string } | null = null;
  for (const row of sample.rows) {
    if (plan.kind === 'LONG' && plan.filter !== null) {
      if ((row.fields[plan.filter.column.index] ?? '').trim() !== plan.filter.value) continue;
    }
    const text = (row.fields[column.index] ?? '').trim();
    if (text === '') continue;
    tried += 1;
    first ??= { line: row.line, text };
    if (plan.kind === 'WIDE') {
      if (plan.parseDate(text) !== null) return;
    } else {
      const parsed = plan.parseTime(text, clock);
      // A local time that does not exist or happens twice was read by the pattern: the pattern fits.
      if (parsed.ok || parsed.reason.code !== 'TIMESTAMP_INVALID') return;
    }
  }
  if (first === null) return;
  throw new FormatError(
    'timestampFormat',
    `timestampFormat '${request.timestampFormat}' matches none of the first ${tried} rows' ${column.name} (line ${first.line} has '${shorten(first.text)}')`,
  );
}
