/**
 * The "how to fix it" of a rejected value: when a value looks like a common European export convention
 * (a decimal comma, a dotted or slashed day-first date), the reason says which `format` reads it. Pure.
 */
import { fromPatterns, patternVariants } from './timestamp-patterns';

const DECIMAL_COMMA = /^-?\d+,\d+$/;

/** A hint for a number written with a decimal comma (`0,25`), else ''. */
export function decimalCommaHint(text: string): string {
  return DECIMAL_COMMA.test(text)
    ? '; it looks like a decimal comma: upload with format: { decimalComma: true } (with delimiter: ";" when fields are separated by semicolons)'
    : '';
}

/**
 * A hint for a row with more fields than the header in a comma-separated file, when two neighbouring
 * fields read as the halves of a decimal comma (`MP1,2026-10-01T00:15:00Z,0,25`), else ''.
 */
export function splitDecimalCommaHint(fields: readonly string[], width: number): string {
  if (fields.length <= width) return '';
  // Only short digit runs: a hint quotes them back.
  for (let at = 0; at + 1 < fields.length; at += 1) {
    if (/^-?\d{1,12}$/.test(fields[at]!.trim()) && /^\d{1,12}$/.test(fields[at + 1]!.trim())) {
      return `; '${fields[at]!.trim()},${fields[at + 1]!.trim()}' looks like a number with a decimal comma: such files separate fields with ';' (upload with format: { delimiter: ";", decimalComma: true })`;
    }
  }
  return '';
}

/** Patterns tried on a timestamp the format could not read, most common European layouts first. */
const CANDIDATE_PATTERNS = [
  'dd.MM.yyyy HH:mm[:ss]',
  'd.M.yyyy H:mm[:ss]',
  'dd/MM/yyyy HH:mm[:ss]',
  'd/M/yyyy H:mm[:ss]',
  'MM/dd/yyyy HH:mm[:ss]',
  'dd-MM-yyyy HH:mm[:ss]',
  'yyyy/MM/dd HH:mm[:ss]',
  'yyyy.MM.dd HH:mm[:ss]',
  'yyyyMMddHHmm[ss]',
] as const;

/** The candidate patterns that read the text, in order of preference (looser variants of the same layout included). */
export function matchingTimestampFormats(text: string): string[] {
  return CANDIDATE_PATTERNS.filter((pattern) => fromPatterns(text, patternVariants(pattern)) !== null);
}

/**
 * A hint naming the `timestampFormat` that reads the text, else ''. A slashed date whose day could be its
 * month (`01/10/2026`) names both orders: only the file's author knows which it is.
 */
export function timestampFormatHint(text: string): string {
  const trimmed = text.trim();
  if (!LOOKS_LIKE_A_TIME.test(trimmed)) return '';
  // A file of a million such rows asks a million times: answered once per layout of digits.
  const key = layoutKey(trimmed);
  let hint = hintsByLayout.get(key);
  if (hint === undefined) {
    hint = computeTimestampFormatHint(trimmed);
    if (hintsByLayout.size >= 256) hintsByLayout.clear();
    hintsByLayout.set(key, hint);
  }
  return hint;
}

/** Digits with separators, as every candidate pattern writes a date and time. */
const LOOKS_LIKE_A_TIME = /^\d[\d./\- :]{7,24}$/;

const hintsByLayout = new Map<string, string>();

/**
 * The text with each run of digits as its length, and whether each of the first two runs could be a
 * month: texts with one key are matched by the same candidates (a day of 31 in a 30-day month aside).
 */
function layoutKey(text: string): string {
  let run = 0;
  return text.replace(/\d+/g, (digits) => {
    run += 1;
    const mark = run <= 2 ? (Number(digits) <= 12 ? 'm' : 'd') : '';
    return `${digits.length}${mark}`;
  });
}

function computeTimestampFormatHint(trimmed: string): string {
  const matching = matchingTimestampFormats(trimmed);
  const first = matching[0];
  if (first === undefined) return '';
  const monthFirst = 'MM/dd/yyyy HH:mm[:ss]';
  const also =
    first !== monthFirst && first.includes('/') && matching.includes(monthFirst)
      ? `, or "${monthFirst}" if the month comes first`
      : '';
  return `; it matches format: { timestampFormat: "${first}" }${also} (read in BILLING_TZ unless the format gives a timeZone)`;
}
