import type { ColumnIndexes, ValidationRules } from '../domain/readings/row-validator';
import { daysInMonth } from '../domain/readings/timestamp';
import type { ZonedClock } from '../domain/time/zoned-time';
import { daysFromCivil } from '../domain/billing/calendar';

const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const MAX_FIELDS = 64;
const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 15 * 60_000;
const OFFSET_CACHE_SIZE = 1024;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

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
  /** The meter's number in this file (dense, from 0): callers keep per-meter state in an array by it. */
  meterKey = 0;
  startMs = 0;
  kwhMicro = 0;
  private readonly meterIds = new MeterIds();
  /** The date part (`YYYY-MM-DD`) of the last timestamp read, and its UTC midnight. */
  private readonly lastDate = new Uint8Array(10);
  private lastDateMs = Number.NaN;
  /** The zone's offset by quarter hour, direct-mapped: rows of one file cover few quarter hours at a time. */
  private readonly offsetKeys = new Float64Array(OFFSET_CACHE_SIZE).fill(Number.NaN);
  private readonly offsetMinutes = new Int32Array(OFFSET_CACHE_SIZE);
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
    // A plain loop: fields are short, and a native indexOf per field costs more than it saves.
    for (let at = start; at < end; at++) {
      if (buffer[at] !== COMMA) continue;
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
    let hash = FNV_OFFSET;
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
      hash = Math.imul(hash ^ b, FNV_PRIME);
    }
    const key = this.meterIds.find(buffer, start, end, hash);
    this.meterKey = key;
    this.meter = this.meterIds.names[key]!;
    return true;
  }

  /** `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM`/`-HH:MM`, a real calendar time, on the grid. */
  private readTimestamp(buffer: Buffer, start: number, end: number): boolean {
    const length = end - start;
    if (length !== 20 && length !== 25) return false;
    if (buffer[start + 10] !== 0x54 || buffer[start + 13] !== 0x3a || buffer[start + 16] !== 0x3a) return false;
    const dayMs = this.dateAt(buffer, start);
    if (Number.isNaN(dayMs)) return false;
    const hour = twoDigits(buffer, start + 11);
    const minute = twoDigits(buffer, start + 14);
    const second = twoDigits(buffer, start + 17);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
    let offsetMinutes = 0;
    const zone = buffer[start + 19];
    if (length === 20) {
      if (zone !== 0x5a) return false; // 'Z'
    } else {
      if ((zone !== 0x2b && zone !== 0x2d) || buffer[start + 22] !== 0x3a) return false;
      const hours = twoDigits(buffer, start + 20);
      const minutes = twoDigits(buffer, start + 23);
      if (hours < 0 || hours > 18 || minutes < 0 || minutes > 59) return false;
      offsetMinutes = (zone === 0x2d ? -1 : 1) * (hours * 60 + minutes);
    }
    const instant = dayMs + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000;
    const local = instant + this.zoneOffsetAt(instant) * 60_000;
    if (local % this.gridMs !== 0) return false;
    this.startMs = instant;
    return true;
  }

  /**
   * UTC midnight (epoch ms) of the `YYYY-MM-DD` at `start`, NaN when it is not a real date in years
   * 100-9999 (earlier ones go to the exact rules). Rows come in runs of one date: the last is remembered.
   */
  private dateAt(buffer: Buffer, start: number): number {
    const last = this.lastDate;
    let same = true;
    for (let i = 0; i < 10; i++) {
      if (buffer[start + i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (same) return this.lastDateMs;
    if (buffer[start + 4] !== 0x2d || buffer[start + 7] !== 0x2d) return Number.NaN;
    const century = twoDigits(buffer, start);
    const yy = twoDigits(buffer, start + 2);
    const month = twoDigits(buffer, start + 5);
    const day = twoDigits(buffer, start + 8);
    if (century < 1 || yy < 0 || month < 1 || month > 12 || day < 1) return Number.NaN;
    const year = century * 100 + yy;
    if (day > daysInMonth(year, month)) return Number.NaN;
    const ms = daysFromCivil(year, month, day) * DAY_MS;
    for (let i = 0; i < 10; i++) last[i] = buffer[start + i]!;
    this.lastDateMs = ms;
    return ms;
  }

  private zoneOffsetAt(instant: number): number {
    const key = Math.floor(instant / QUARTER_HOUR_MS);
    const slot = key & (OFFSET_CACHE_SIZE - 1);
    if (this.offsetKeys[slot] === key) return this.offsetMinutes[slot]!;
    const offset = this.clock.offsetMinutesAt(instant);
    this.offsetKeys[slot] = key;
    this.offsetMinutes[slot] = offset;
    return offset;
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

/** The number written by two ASCII digits, or a negative number when either is not a digit. */
function twoDigits(buffer: Buffer, at: number): number {
  const high = buffer[at]! - DIGIT_0;
  const low = buffer[at + 1]! - DIGIT_0;
  if (high < 0 || high > 9 || low < 0 || low > 9) return -1;
  return high * 10 + low;
}

/**
 * The meter ids of one file, each decoded to a string once: later rows find theirs by the bytes' hash
 * (FNV-1a) and a byte comparison, so the common row allocates nothing.
 */
class MeterIds {
  readonly names: string[] = [];
  private readonly bytes: Buffer[] = [];
  /** Hash to the first key with it; further keys with the same hash are chained in `next`. */
  private readonly byHash = new Map<number, number>();
  private readonly next: number[] = [];

  find(buffer: Buffer, start: number, end: number, hash: number): number {
    let key = this.byHash.get(hash);
    while (key !== undefined && key !== -1) {
      if (equalBytes(this.bytes[key]!, buffer, start, end)) return key;
      key = this.next[key];
    }
    const created = this.names.length;
    this.names.push(buffer.toString('latin1', start, end));
    this.bytes.push(Buffer.from(buffer.subarray(start, end)));
    this.next.push(this.byHash.get(hash) ?? -1);
    this.byHash.set(hash, created);
    return created;
  }
}

function equalBytes(known: Buffer, buffer: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== buffer[start + i]) return false;
  return true;
}

function isAscii(buffer: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (buffer[at]! >= 0x80) return false;
  return true;
}
