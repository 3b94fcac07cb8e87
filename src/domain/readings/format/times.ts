/**
 * Timestamps and dates as a format reads them: ISO and epoch as the base format does, any other
 * `timestampFormat` as a Luxon pattern in the format's local time.
 */
import { parseLocalDate } from '../../billing/calendar';
import type { ZonedClock } from '../../time/zoned-time';
import { timestampFormatHint } from '../hints';
import { parseTimestamp, shorten, type TimestampResult } from '../timestamp';
import { fromPatterns, patternVariants } from '../timestamp-patterns';

/** A calendar day as a date cell names it. */
export type CalendarDate = NonNullable<ReturnType<typeof parseLocalDate>>;

/** Reads a WIDE sheet's date cell: `yyyy-MM-dd` as the calendar does, any other pattern by Luxon. */
export function dateParser(pattern: string): (text: string) => CalendarDate | null {
  if (pattern === 'yyyy-MM-dd') return parseLocalDate;
  const variants = patternVariants(pattern);
  return (text) => {
    const parsed = fromPatterns(text, variants);
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
  const variants = patternVariants(format);
  return (text, clock) => {
    const parsed = fromPatterns(text, variants);
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
