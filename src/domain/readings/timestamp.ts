import type { ZonedClock } from '../time/zoned-time';
import type { RejectionReason } from './vocabulary';
import { timestampFormatHint } from './hints';

export type TimestampResult =
  | { ok: true; instant: number }
  /** `ambiguous`: a local time the clock showed twice, with both instants, for a caller that can tell which. */
  | { ok: false; reason: RejectionReason; ambiguous?: { earlier: number; later: number } };

// ISO-8601 date-time, 'T' or a space between date and time, optional seconds and fraction, optional offset.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_SECONDS = /^\d{10}$/;
const EPOCH_MILLIS = /^\d{13}$/;

const invalid = (message: string): TimestampResult => ({
  ok: false,
  reason: { code: 'TIMESTAMP_INVALID', field: 'timestamp', message },
});

/** Days of a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseOffsetMinutes(text: string): number | null {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 18 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}

/**
 * Reads a timestamp as metering exports write it: ISO-8601 with `Z` or an offset, epoch seconds
 * (10 digits) or epoch milliseconds (13 digits), or a local time without offset, which is read in the
 * billing time zone and refused when the clock skipped it or showed it twice.
 */
export function parseTimestamp(text: string, clock: ZonedClock): TimestampResult {
  if (EPOCH_SECONDS.test(text)) return { ok: true, instant: Number(text) * 1000 };
  if (EPOCH_MILLIS.test(text)) return { ok: true, instant: Number(text) };

  const match = ISO_DATE_TIME.exec(text);
  if (!match) {
    return invalid(
      `'${shorten(text)}' is not a timestamp: expected ISO-8601 such as 2026-10-01T00:15:00+03:00, or epoch seconds/milliseconds${timestampFormatHint(text)}`,
    );
  }
  const [, y, mo, d, h, mi, s, fraction, offsetText] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millisecond = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  const subMillisecond = fraction !== undefined && fraction.length > 3 && /[1-9]/.test(fraction.slice(3));

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return invalid(`'${shorten(text)}' is not a valid calendar date and time`);
  }

  let instant: number;
  if (offsetText !== undefined) {
    const offset = parseOffsetMinutes(offsetText);
    if (offset === null) return invalid(`'${shorten(text)}' has an impossible UTC offset '${offsetText}'`);
    instant = Date.UTC(year, month - 1, day, hour, minute, second, millisecond) - offset * 60_000;
  } else {
    const local = clock.toInstant({ year, month, day, hour, minute, second, millisecond });
    if (local.kind === 'nonexistent') {
      return {
        ok: false,
        reason: {
          code: 'TIMESTAMP_NONEXISTENT',
          field: 'timestamp',
          message: `local time '${shorten(text)}' does not exist in ${clock.timeZone} (clocks moved forward); write it with a UTC offset`,
        },
      };
    }
    if (local.kind === 'ambiguous') {
      return {
        ok: false,
        reason: {
          code: 'TIMESTAMP_AMBIGUOUS',
          field: 'timestamp',
          message: `local time '${shorten(text)}' happens twice in ${clock.timeZone} (clocks moved back); write it with a UTC offset`,
        },
        ambiguous: { earlier: local.earlier, later: local.later },
      };
    }
    instant = local.instant;
  }
  // A fraction below the millisecond can never be on a minute grid.
  return { ok: true, instant: subMillisecond ? instant + 0.5 : instant };
}

export function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
