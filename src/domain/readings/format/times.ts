/**
 * Timestamps and dates as a format reads them: ISO and epoch as the base format does, any other
 * `timestampFormat` as a Luxon pattern in the format's local time.
 */
import { DateTime } from 'luxon';
import { parseLocalDate } from '../../billing/calendar';
import type { ZonedClock } from '../../time/zoned-time';
import { timestampFormatHint } from '../hints';
import { parseTimestamp, shorten, type TimestampResult } from '../timestamp';
import { fromPatterns, patternVariants } from '../timestamp-patterns';

/**
 * Bounds on a timestamp pattern, checked before anything expands it. Each optional `[...]` part doubles
 * the patterns a row is tried against (4 parts: 16, enough for `dd/MM/yyyy[ HH:mm[:ss[.SSS]]]`); Luxon
 * reads a row token by token, so the pattern's length bounds the work per pattern.
 */
export const PATTERN_LIMITS = { optionalParts: 4, patternLength: 64 } as const;

/** A fixed instant each pattern variant writes and reads back: Luxon refuses conflicting tokens only on a match. */
const PROBE = DateTime.fromObject(
  { year: 2026, month: 10, day: 25, hour: 13, minute: 45, second: 30, millisecond: 123 },
  { zone: 'UTC' },
);

/**
 * What is wrong with a timestamp pattern, as the rest of a sentence that starts with its field's name
 * (too long, too many optional parts, tokens Luxon cannot read together), or null. Its length and its
 * optional parts are counted in one pass before any expansion.
 */
export function timestampPatternProblem(pattern: string): string | null {
  let optional = 0;
  for (let at = pattern.indexOf('['); at !== -1; at = pattern.indexOf('[', at + 1)) optional += 1;
  if (optional > PATTERN_LIMITS.optionalParts)
    return (
      `has ${optional} optional [...] parts; at most ${PATTERN_LIMITS.optionalParts} are allowed (each doubles the ` +
      'patterns every row is tried against): write the parts the file always has without brackets'
    );
  if (pattern.length > PATTERN_LIMITS.patternLength)
    return `is ${pattern.length} characters long; at most ${PATTERN_LIMITS.patternLength} are allowed (a pattern such as dd/MM/yyyy HH:mm[:ss])`;
  for (const variant of patternVariants(pattern)) {
    try {
      DateTime.fromFormat(PROBE.toFormat(variant), variant, { zone: 'UTC' });
    } catch (error) {
      return `'${shorten(pattern)}' cannot be read: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return null;
}

/** The variants of a pattern within the bounds (a pattern beyond them is refused by `checkFormat` first). */
function boundedVariants(pattern: string): string[] {
  const problem = timestampPatternProblem(pattern);
  if (problem !== null) throw new Error(`timestampFormat ${problem}`);
  return patternVariants(pattern);
}

/** The pattern's reading of the text, or null; a pattern Luxon refuses to apply reads nothing. */
function readByPatterns(text: string, variants: readonly string[]): DateTime | null {
  try {
    return fromPatterns(text, variants);
  } catch {
    return null;
  }
}

/** A calendar day as a date cell names it. */
export type CalendarDate = NonNullable<ReturnType<typeof parseLocalDate>>;

/** Reads a WIDE sheet's date cell: `yyyy-MM-dd` as the calendar does, any other pattern by Luxon. */
export function dateParser(pattern: string): (text: string) => CalendarDate | null {
  if (pattern === 'yyyy-MM-dd') return parseLocalDate;
  const variants = boundedVariants(pattern);
  return (text) => {
    const parsed = readByPatterns(text, variants);
    return parsed === null ? null : { year: parsed.year, month: parsed.month, day: parsed.day };
  };
}

/** Reads a timestamp by the requested format: ISO/epoch as the base format does, else a Luxon pattern in local time. */
export function timeParser(format: string, field: string): (text: string, clock: ZonedClock) => TimestampResult {
  if (format === 'ISO') return (text, clock) => withField(parseTimestamp(text, clock), field);
  if (format === 'EPOCH_S' || format === 'EPOCH_MS') {
    const digits = format === 'EPOCH_S' ? /^\d{1,11}$/ : /^\d{1,14}$/;
    return (text) =>
      digits.test(text)
        ? { ok: true, instant: Number(text) * (format === 'EPOCH_S' ? 1000 : 1) }
        : invalid(field, `'${shorten(text)}' is not epoch ${format === 'EPOCH_S' ? 'seconds' : 'milliseconds'}`);
  }
  const variants = boundedVariants(format);
  return (text, clock) => {
    const parsed = readByPatterns(text, variants);
    if (parsed === null) {
      return invalid(
        field,
        `'${shorten(text)}' does not match the timestamp pattern '${format}'${timestampFormatHint(text)}`,
      );
    }
    const local = clock.toInstant({
      year: parsed.year,
      month: parsed.month,
      day: parsed.day,
      hour: parsed.hour,
      minute: parsed.minute,
      second: parsed.second,
      millisecond: parsed.millisecond,
    });
    if (local.kind === 'ok') return { ok: true, instant: local.instant };
    return {
      ok: false,
      ...(local.kind === 'ambiguous' ? { ambiguous: { earlier: local.earlier, later: local.later } } : {}),
      reason: {
        code: local.kind === 'nonexistent' ? 'TIMESTAMP_NONEXISTENT' : 'TIMESTAMP_AMBIGUOUS',
        field,
        message:
          local.kind === 'nonexistent'
            ? `local time '${shorten(text)}' does not exist in ${clock.timeZone} (clocks moved forward)`
            : `local time '${shorten(text)}' happens twice in ${clock.timeZone} (clocks moved back) and the meter has no earlier reading in the file to tell which; this pattern has no UTC offset`,
      },
    };
  };
}

/** The result with the file's own column name as the reason's field (the rest, `ambiguous` included, kept). */
function withField(result: TimestampResult, field: string): TimestampResult {
  return result.ok || field === 'timestamp' ? result : { ...result, reason: { ...result.reason, field } };
}

const invalid = (field: string, message: string): TimestampResult => ({
  ok: false,
  reason: { code: 'TIMESTAMP_INVALID', field, message },
});
