import type { ColumnIndexes, ValidationRules } from '../domain/readings/row-validator';
import type { ZonedClock } from '../domain/time/zoned-time';

const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const MAX_FIELDS = 64;

/**
 * Reads the common row straight from the file's bytes: `meter,2026-10-01T00:15:00+03:00,0.1234` with
 * the columns where the header put them. It only says yes when it is sure the row passes every rule but
 * the duplicate check (which the caller makes in the validator's index): a plain ASCII meter id,
 * an ISO-8601 time with seconds and `Z` or `+hh:mm` on the grid, and a plain decimal of at most 6
 * decimals below the limit. Anything else (other spellings, bad values, extra columns with non-ASCII
 * text) is left to the field-by-field rules, which give the reasons.
 */
export class FastRowReader {
  meter = '';
  startMs = 0;
  kwhMicro = 0;
  private readonly gridMs: number;
  /** Strictly below the per-reading limit, so the boundary itself goes to the exact rules. */
  private readonly maxMicro: number;
  private readonly fieldStarts = new Int32Array(MAX_FIELDS + 1);

  constructor(
    private readonly columns: ColumnIndexes,
    rules: ValidationRules,
    private readonly clock: ZonedClock,
  ) {
    this.gridMs = rules.resolutionMinutes * 60_000;
    this.maxMicro = Math.floor(rules.maxKwhPerReading * 1_000_000) - 1;
  }

  /** Whether [start, end) of the buffer is such a row; its values are then in `meter`, `startMs`, `kwhMicro`. */
  read(buffer: Buffer, start: number, end: number): boolean {
    const width = this.columns.width;
    if (width > MAX_FIELDS) return false;
    const starts = this.fieldStarts;
    starts[0] = start;
    let fields = 1;
    for (let at = buffer.indexOf(COMMA, start); at !== -1 && at < end; at = buffer.indexOf(COMMA, at + 1)) {
      if (fields === width) return false; // more fields than the header: the rules say so
      starts[fields++] = at + 1;
    }
    if (fields !== width) return false;
    starts[fields] = end + 1;
    const { meter, timestamp, kwh } = this.columns;
    for (let field = 0; field < width; field++) {
      if (
        field !== meter &&
        field !== timestamp &&
        field !== kwh &&
        !isAscii(buffer, starts[field]!, starts[field + 1]! - 1)
      )
        return false;
    }
    return (
      this.readMeter(buffer, starts[meter]!, starts[meter + 1]! - 1) &&
      this.readTimestamp(buffer, starts[timestamp]!, starts[timestamp + 1]! - 1) &&
      this.readKwh(buffer, starts[kwh]!, starts[kwh + 1]! - 1)
    );
  }

  private readMeter(buffer: Buffer, start: number, end: number): boolean {
    const length = end - start;
    if (length < 1 || length > 64) return false;
    for (let at = start; at < end; at++) {
      const b = buffer[at]!;
      const ok =
        (b >= 0x30 && b <= 0x39) ||
        (b >= 0x41 && b <= 0x5a) ||
        (b >= 0x61 && b <= 0x7a) ||
        b === 0x2e ||
        b === 0x5f ||
        b === 0x2d;
      if (!ok) return false;
    }
    this.meter = buffer.toString('latin1', start, end);
    return true;
  }

  /** `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM`/`-HH:MM`, a real calendar time, on the grid. */
  private readTimestamp(buffer: Buffer, start: number, end: number): boolean {
    const length = end - start;
    if (length !== 20 && length !== 25) return false;
    if (
      buffer[start + 4] !== 0x2d ||
      buffer[start + 7] !== 0x2d ||
      buffer[start + 10] !== 0x54 ||
      buffer[start + 13] !== 0x3a ||
      buffer[start + 16] !== 0x3a
    )
      return false;
    const year = digits(buffer, start, 4);
    const month = digits(buffer, start + 5, 2);
    const day = digits(buffer, start + 8, 2);
    const hour = digits(buffer, start + 11, 2);
    const minute = digits(buffer, start + 14, 2);
    const second = digits(buffer, start + 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
      return false;
    if (second < 0 || second > 59 || day > daysInMonth(year, month)) return false;
    let offsetMinutes = 0;
    const zone = buffer[start + 19];
    if (length === 20) {
      if (zone !== 0x5a) return false; // 'Z'
    } else {
      if ((zone !== 0x2b && zone !== 0x2d) || buffer[start + 22] !== 0x3a) return false;
      const hours = digits(buffer, start + 20, 2);
      const minutes = digits(buffer, start + 23, 2);
      if (hours < 0 || hours > 18 || minutes < 0 || minutes > 59) return false;
      offsetMinutes = (zone === 0x2d ? -1 : 1) * (hours * 60 + minutes);
    }
    const instant = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
    // Years 0-99 mean 1900-1999 to Date.UTC: leave them to the exact rules.
    if (year < 100) return false;
    const local = instant + this.clock.offsetMinutesAt(instant) * 60_000;
    if (local % this.gridMs !== 0) return false;
    this.startMs = instant;
    return true;
  }

  /** Digits, optionally a dot and 1 to 6 digits: an exact count of micro-kWh below the limit. */
  private readKwh(buffer: Buffer, start: number, end: number): boolean {
    let whole = 0;
    let at = start;
    while (at < end && buffer[at] !== 0x2e) {
      const d = buffer[at]! - DIGIT_0;
      if (d < 0 || d > 9 || at - start >= 10) return false;
      whole = whole * 10 + d;
      at++;
    }
    if (at === start) return false;
    let fraction = 0;
    let decimals = 0;
    if (at < end) {
      at++; // the dot
      if (at === end || end - at > 6) return false;
      for (; at < end; at++) {
        const d = buffer[at]! - DIGIT_0;
        if (d < 0 || d > 9) return false;
        fraction = fraction * 10 + d;
        decimals++;
      }
    }
    const micro = whole * 1_000_000 + fraction * POWERS_OF_TEN[6 - decimals]!;
    if (micro > this.maxMicro) return false;
    this.kwhMicro = micro;
    return true;
  }
}

const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** The number written by `count` ASCII digits, or -1 when any of them is not a digit. */
function digits(buffer: Buffer, start: number, count: number): number {
  let value = 0;
  for (let at = start; at < start + count; at++) {
    const d = buffer[at]! - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function isAscii(buffer: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (buffer[at]! >= 0x80) return false;
  return true;
}
