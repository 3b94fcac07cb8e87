import type { ColumnIndexes } from './row-validator';

export const REQUIRED_COLUMNS = ['metering_point_id', 'timestamp', 'kwh'] as const;

export type HeaderResult =
  | { ok: true; columns: ColumnIndexes }
  | { ok: false; code: 'NO_HEADER' | 'MISSING_COLUMNS' | 'WRONG_DELIMITER'; reason: string };

const OTHER_DELIMITERS: ReadonlyArray<[string, string]> = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
];

const looksLikeData = (field: string): boolean => /^[\d.+-]/.test(field) || /^\d{4}-\d{2}-\d{2}/.test(field);

/**
 * Finds the required columns in the first row: names are trimmed and matched case-insensitively, in
 * any order; extra columns are ignored. Explains what was found when the row is not such a header.
 */
export function resolveHeader(fields: readonly string[]): HeaderResult {
  const names = fields.map((field) => field.trim().toLowerCase());
  const expected = REQUIRED_COLUMNS.join(',');
  if (names.length === 1) {
    const only = fields[0] ?? '';
    for (const [delimiter, label] of OTHER_DELIMITERS) {
      if (only.includes(delimiter)) {
        return {
          ok: false,
          code: 'WRONG_DELIMITER',
          reason: `the header '${cut(only)}' is separated by ${label}s; fields must be separated by commas (${expected})`,
        };
      }
    }
  }
  const index = (name: string): number => names.indexOf(name);
  const missing = REQUIRED_COLUMNS.filter((name) => index(name) < 0);
  if (missing.length === 0) {
    return {
      ok: true,
      columns: {
        meter: index('metering_point_id'),
        timestamp: index('timestamp'),
        kwh: index('kwh'),
        width: fields.length,
      },
    };
  }
  if (missing.length === REQUIRED_COLUMNS.length && names.some(looksLikeData)) {
    return {
      ok: false,
      code: 'NO_HEADER',
      reason: `line 1 '${cut(fields.join(','))}' looks like data, not a header; the first line must name the columns ${expected}`,
    };
  }
  return {
    ok: false,
    code: 'MISSING_COLUMNS',
    reason: `the header '${cut(fields.join(','))}' lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; required: ${expected} (any order, any case)`,
  };
}

const cut = (text: string): string => (text.length > 120 ? `${text.slice(0, 120)}…` : text);
