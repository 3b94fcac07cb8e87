import type { ZonedClock } from '../time/zoned-time';
import type { RejectionReason } from './events';
import { parseTimestamp, shorten } from './timestamp';

export interface ValidationRules {
  resolutionMinutes: number;
  maxKwhPerReading: number;
}

export interface ColumnIndexes {
  meter: number;
  timestamp: number;
  kwh: number;
  /** Number of fields the header has: every row must have as many. */
  width: number;
}

/** An accepted reading: meter id, interval start (epoch ms, UTC) and energy in micro-kWh (exact). */
export interface AcceptedReading {
  meter: string;
  startMs: number;
  kwhMicro: number;
}

export type RowOutcome =
  | {
      accepted: true;
      reading: AcceptedReading;
      /** its kWh had more than 6 decimals and was rounded */ rounded: boolean;
    }
  | { accepted: false; reasons: RejectionReason[] };

const METER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PLAIN_DECIMAL = /^\d+(?:\.(\d+))?$/;
const NEGATIVE_DECIMAL = /^-\d+(?:\.\d+)?$/;
const MAX_KWH_DECIMALS = 6;
const DAY_MS = 86_400_000;

/**
 * Validates the rows of one file in order. It remembers the first line of every (meter, instant) so a
 * later row for the same interval, however its time is written, is refused as a duplicate.
 * Deterministic: no clock, no I/O.
 */
export class RowValidator {
  /**
   * First line of every accepted (meter, interval): per meter and UTC day, one slot per interval.
   * Typed arrays keep a million readings in a few MB where a Map entry each would take about 100 MB.
   */
  private readonly firstLines = new Map<string, MeterClaims>();
  private readonly gridMs: number;
  private readonly slotsPerDay: number;
  private minStart = Number.POSITIVE_INFINITY;
  private maxStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly columns: ColumnIndexes,
    private readonly rules: ValidationRules,
    private readonly clock: ZonedClock,
  ) {
    this.gridMs = rules.resolutionMinutes * 60_000;
    this.slotsPerDay = Math.ceil(DAY_MS / this.gridMs);
  }

  get meterCount(): number {
    return this.firstLines.size;
  }

  /** First and last interval start accepted so far (epoch ms), or null when nothing was accepted. */
  get intervalRange(): { first: number; last: number } | null {
    return this.minStart <= this.maxStart ? { first: this.minStart, last: this.maxStart } : null;
  }

  validate(line: number, fields: readonly string[]): RowOutcome {
    if (fields.length !== this.columns.width) {
      return {
        accepted: false,
        reasons: [
          {
            code: 'FIELD_COUNT',
            message: `expected ${this.columns.width} fields as in the header, found ${fields.length}`,
          },
        ],
      };
    }
    const reasons: RejectionReason[] = [];
    const meter = this.checkMeter((fields[this.columns.meter] ?? '').trim(), reasons);
    const instant = this.checkTimestamp((fields[this.columns.timestamp] ?? '').trim(), reasons);
    const kwh = this.checkKwh((fields[this.columns.kwh] ?? '').trim(), reasons);
    if (meter === null || instant === null || kwh === null) return { accepted: false, reasons };
    const firstLine = this.claim(meter, instant, line);
    if (firstLine !== 0) {
      return {
        accepted: false,
        reasons: [
          {
            code: 'DUPLICATE_READING',
            message: `meter ${meter} already has a reading for ${new Date(instant).toISOString()} on line ${firstLine}; the first one is kept`,
          },
        ],
      };
    }
    return { accepted: true, reading: { meter, startMs: instant, kwhMicro: kwh.micro }, rounded: kwh.rounded };
  }

  /**
   * Records that `line` holds the reading of (meter, instant), an instant on the grid. Returns 0 when it
   * is the first for that interval, else the line that came first (nothing is recorded then). Both the
   * field-by-field rules above and the ingestion's fast scanner go through here, so they agree on duplicates.
   */
  claim(meter: string, instant: number, line: number): number {
    return this.claimIn(this.claimsOf(meter), instant, line);
  }

  /** The claims of one meter, for a caller that meets the same meter often and keeps it at hand. */
  claimsOf(meter: string): MeterClaims {
    let claims = this.firstLines.get(meter);
    if (claims === undefined) {
      claims = new MeterClaims();
      this.firstLines.set(meter, claims);
    }
    return claims;
  }

  /** `claim` for a meter's claims already at hand. */
  claimIn(claims: MeterClaims, instant: number, line: number): number {
    const day = Math.floor(instant / DAY_MS);
    let slots = claims.lastDay === day ? claims.lastSlots! : claims.days.get(day);
    if (slots === undefined) {
      slots = new Uint32Array(this.slotsPerDay);
      claims.days.set(day, slots);
    }
    claims.lastDay = day;
    claims.lastSlots = slots;
    // Instants on the grid are a whole interval apart, so each has its own slot.
    const slot = Math.floor((instant - day * DAY_MS) / this.gridMs);
    const firstLine = slots[slot]!;
    if (firstLine !== 0) return firstLine;
    slots[slot] = line;
    if (instant < this.minStart) this.minStart = instant;
    if (instant > this.maxStart) this.maxStart = instant;
    return 0;
  }

  private checkMeter(text: string, reasons: RejectionReason[]): string | null {
    if (text === '') {
      reasons.push({ code: 'METER_ID_MISSING', field: 'metering_point_id', message: 'metering_point_id is empty' });
      return null;
    }
    if (!METER_ID.test(text)) {
      reasons.push({
        code: 'METER_ID_INVALID',
        field: 'metering_point_id',
        message: `metering_point_id '${shorten(text)}' must be 1-64 letters, digits, '.', '_' or '-'`,
      });
      return null;
    }
    return text;
  }

  private checkTimestamp(text: string, reasons: RejectionReason[]): number | null {
    if (text === '') {
      reasons.push({ code: 'TIMESTAMP_MISSING', field: 'timestamp', message: 'timestamp is empty' });
      return null;
    }
    const parsed = parseTimestamp(text, this.clock);
    if (!parsed.ok) {
      reasons.push(parsed.reason);
      return null;
    }
    const localMs = parsed.instant + this.clock.offsetMinutesAt(parsed.instant) * 60_000;
    if (localMs % this.gridMs !== 0) {
      reasons.push({
        code: 'TIMESTAMP_OFF_GRID',
        field: 'timestamp',
        message: `'${shorten(text)}' is not the start of a ${this.rules.resolutionMinutes}-minute interval`,
      });
      return null;
    }
    return parsed.instant;
  }

  private checkKwh(text: string, reasons: RejectionReason[]): { micro: number; rounded: boolean } | null {
    if (text === '') {
      reasons.push({ code: 'KWH_MISSING', field: 'kwh', message: 'kwh is empty' });
      return null;
    }
    const match = PLAIN_DECIMAL.exec(text);
    if (!match) {
      if (NEGATIVE_DECIMAL.test(text)) {
        reasons.push({ code: 'KWH_NEGATIVE', field: 'kwh', message: `kwh ${shorten(text)} is negative` });
      } else {
        reasons.push({
          code: 'KWH_INVALID',
          field: 'kwh',
          message: `kwh '${shorten(text)}' is not a plain decimal number with a dot, such as 0.1234`,
        });
      }
      return null;
    }
    if (Number(text) > this.rules.maxKwhPerReading) {
      reasons.push({
        code: 'KWH_TOO_LARGE',
        field: 'kwh',
        message: `kwh ${shorten(text)} is above the limit of ${this.rules.maxKwhPerReading} per reading`,
      });
      return null;
    }
    return roundedDecimalToMicro(text);
  }
}

/**
 * A plain decimal as an exact count of millionths, rounded half up at the sixth decimal when it has more
 * (meter exports often carry float noise such as 1.4529999: it is 1.453000, not an error).
 */
export function roundedDecimalToMicro(text: string): { micro: number; rounded: boolean } {
  const dot = text.indexOf('.');
  if (dot < 0 || text.length - dot - 1 <= MAX_KWH_DECIMALS) return { micro: decimalToMicro(text), rounded: false };
  const kept = text.slice(0, dot + 1 + MAX_KWH_DECIMALS);
  const next = text.charCodeAt(dot + 1 + MAX_KWH_DECIMALS) - 48;
  return { micro: decimalToMicro(kept) + (next >= 5 ? 1 : 0), rounded: true };
}

/** One meter's claimed intervals: the first line of each slot, per UTC day (the last day used kept at hand). */
export class MeterClaims {
  readonly days = new Map<number, Uint32Array>();
  lastDay = Number.NaN;
  lastSlots: Uint32Array | null = null;
}

/** A plain decimal with at most 6 decimals (and within the per-reading limit) as an exact count of millionths. */
export function decimalToMicro(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return Number(text) * 1_000_000;
  return Number(text.slice(0, dot)) * 1_000_000 + Number(text.slice(dot + 1).padEnd(MAX_KWH_DECIMALS, '0'));
}
