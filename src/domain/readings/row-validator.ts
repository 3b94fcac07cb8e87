import type { ZonedClock } from '../time/zoned-time';
import { seriesKey } from '../billing/series';
import { DEFAULT_CHANNEL, isDefaultChannel, type Channel } from './channels';
import { roundedDecimalToMicro } from './format/values';
import { decimalCommaHint, splitDecimalCommaHint } from './hints';
import { DaySlots, MeterClaims } from './interval-claims';
import { parseTimestamp, shorten } from './timestamp';
import type { IntervalSource, RejectionReason } from './vocabulary';

export interface ValidationRules {
  /** The grid every timestamp must be on: the declared interval, else the finest billed (15 minutes). */
  resolutionMinutes: number;
  maxKwhPerReading: number;
}

/** The finest interval billed; a meter's own interval is inferred from its readings on this grid. */
export const FINEST_INTERVAL_MINUTES = 5;
/** Intervals a meter's readings may be found to have, longest first. */
const INTERVAL_CANDIDATES = [60, 30, 15, 10, 5, 1];

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
  /** The export's status or quality mark for it ('' or absent: none). */
  quality?: string;
  /** The channel it was recorded on (absent: the default, IMPORT). */
  channel?: Channel;
}

export type RowOutcome =
  | {
      accepted: true;
      reading: AcceptedReading;
      /** its kWh had more than 6 decimals and was rounded */ rounded: boolean;
    }
  | { accepted: false; reasons: RejectionReason[] };

const METER_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The claims key of a meter's channel: the meter id alone for the default channel (the common case). */
const claimsKey = (meter: string, channel: Channel): string =>
  isDefaultChannel(channel) ? meter : `${meter}\u0000${channel.kind}\u0000${channel.id}`;
const PLAIN_DECIMAL = /^\d+(?:\.(\d+))?$/;
const NEGATIVE_DECIMAL = /^-\d+(?:\.\d+)?$/;
const DAY_MS = 86_400_000;

/**
 * Validates the rows of one file in order. It remembers the first line of every (meter, instant) so a
 * later row for the same interval, however its time is written, is refused as a duplicate.
 * Deterministic: no clock, no I/O.
 */
export class RowValidator {
  /**
   * First line of every accepted (meter, interval): per meter and UTC day, one slot per interval, the
   * slots in `slots`. Typed arrays keep a million readings in a few MB where a Map entry each would take
   * about 100 MB.
   */
  private readonly firstLines = new Map<string, MeterClaims>();
  private readonly slots: DaySlots;
  private readonly gridMs: number;
  private minStart = Number.POSITIVE_INFINITY;
  private maxStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly columns: ColumnIndexes,
    readonly rules: ValidationRules,
    readonly clock: ZonedClock,
  ) {
    this.gridMs = rules.resolutionMinutes * 60_000;
    this.slots = new DaySlots(Math.ceil(DAY_MS / this.gridMs));
  }

  /**
   * Forgets every claim and gives the duplicate index's memory back at once (16 MB for 4.2M readings).
   * Left to the garbage collector, it stayed resident while the validation worker idled after the file.
   */
  releaseClaims(): void {
    this.slots.release();
    this.firstLines.clear();
    this.minStart = Number.POSITIVE_INFINITY;
    this.maxStart = Number.NEGATIVE_INFINITY;
  }

  get meterCount(): number {
    return new Set([...this.firstLines.values()].map((claims) => claims.meter)).size;
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
            message: `expected ${this.columns.width} fields as in the header, found ${fields.length}${splitDecimalCommaHint(fields, this.columns.width)}`,
          },
        ],
      };
    }
    const reasons: RejectionReason[] = [];
    const meter = this.checkMeter((fields[this.columns.meter] ?? '').trim(), reasons);
    const instant = this.checkTimestamp((fields[this.columns.timestamp] ?? '').trim(), reasons);
    const kwh = this.checkKwh((fields[this.columns.kwh] ?? '').trim(), reasons);
    if (meter === null || instant === null || kwh === null) return { accepted: false, reasons };
    return this.claimed(meter, instant, line, kwh);
  }

  /**
   * Records that `line` holds the reading of (meter, instant), an instant on the grid. Returns 0 when it
   * is the first for that interval, else the line that came first (nothing is recorded then). Both the
   * field-by-field rules above and the ingestion's fast scanner go through here, so they agree on duplicates.
   */
  claim(meter: string, instant: number, line: number, channel: Channel = DEFAULT_CHANNEL): number {
    return this.claimIn(this.claimsOf(meter, channel), instant, line);
  }

  /** The claims of one meter's channel, for a caller that meets the same one often and keeps it at hand. */
  claimsOf(meter: string, channel: Channel = DEFAULT_CHANNEL): MeterClaims {
    const key = claimsKey(meter, channel);
    let claims = this.firstLines.get(key);
    if (claims === undefined) {
      claims = new MeterClaims(meter, channel);
      this.firstLines.set(key, claims);
    }
    return claims;
  }

  /** `claim` for a meter's claims already at hand. */
  claimIn(claims: MeterClaims, instant: number, line: number): number {
    const day = Math.floor(instant / DAY_MS);
    if (claims.lastDay !== day) {
      let place = claims.days.get(day);
      if (place === undefined) {
        place = this.slots.allocate();
        claims.days.set(day, place);
      }
      claims.lastDay = day;
      claims.lastChunk = this.slots.chunkOf(place);
      claims.lastBase = this.slots.baseOf(place);
    }
    // Instants on the grid are a whole interval apart, so each has its own slot.
    const at = claims.lastBase + Math.floor((instant - day * DAY_MS) / this.gridMs);
    const chunk = claims.lastChunk!;
    const firstLine = chunk[at]!;
    if (firstLine !== 0) return firstLine;
    chunk[at] = line;
    if (instant < this.minStart) this.minStart = instant;
    if (instant > this.maxStart) this.maxStart = instant;
    claims.readings += 1;
    if (instant > claims.lastInstant) claims.lastInstant = instant;
    // The meter's interval: the longest of 60, 30, 15... minutes (on the grid) every reading's local time falls on.
    const grid = this.rules.resolutionMinutes;
    if (claims.coarsestMinutes > grid) {
      const local = instant + this.clock.offsetMinutesAt(instant) * 60_000;
      while (claims.coarsestMinutes > grid && local % (claims.coarsestMinutes * 60_000) !== 0)
        claims.coarsestMinutes = INTERVAL_CANDIDATES.find((c) => c < claims.coarsestMinutes && c % grid === 0) ?? grid;
    }
    return 0;
  }

  /**
   * Each meter's interval: the declared one (the format's, or a NEM12 channel's), else inferred as the
   * longest of 60, 30, 15 and 5 minutes on which all its readings of the file fall; a meter with a
   * single reading cannot show its spacing and takes `fallback` (reported as such). Of a meter with
   * several channels, the finest of its IMPORT channels counts (of all, when it has none): billing
   * keeps its days at that resolution.
   */
  meterIntervals(declared: number | null, fallback: number): Map<string, { minutes: number; how: IntervalSource }> {
    const intervals = new Map<string, { minutes: number; how: IntervalSource; imported: boolean }>();
    for (const claims of this.firstLines.values()) {
      if (claims.readings === 0) continue;
      const interval = intervalOf(claims, declared, fallback);
      const imported = claims.channel.kind === 'IMPORT';
      const before = intervals.get(claims.meter);
      if (
        before === undefined ||
        (imported && !before.imported) ||
        (imported === before.imported && interval.minutes < before.minutes)
      )
        intervals.set(claims.meter, { ...interval, imported });
    }
    return new Map([...intervals].map(([meter, { minutes, how }]) => [meter, { minutes, how }]));
  }

  /**
   * The interval of each register (a channel other than the default) that differs from its meter's
   * (`meterIntervals`), by series key: billing keeps that register's days at its own interval.
   */
  seriesIntervals(
    meters: ReadonlyMap<string, { minutes: number }>,
    declared: number | null,
    fallback: number,
  ): Map<string, number> {
    const intervals = new Map<string, number>();
    for (const claims of this.firstLines.values()) {
      if (claims.readings === 0 || isDefaultChannel(claims.channel)) continue;
      const { minutes } = intervalOf(claims, declared, fallback);
      if (minutes !== meters.get(claims.meter)?.minutes)
        intervals.set(seriesKey(claims.meter, claims.channel.kind, claims.channel.id), minutes);
    }
    return intervals;
  }

  /** The meter id of a field, or null with its reason. */
  checkMeter(text: string, reasons: RejectionReason[], field = 'metering_point_id'): string | null {
    if (text === '') {
      reasons.push({ code: 'METER_ID_MISSING', field, message: `${field} is empty` });
      return null;
    }
    if (!METER_ID.test(text)) {
      reasons.push({
        code: 'METER_ID_INVALID',
        field,
        message: `${field} '${shorten(text)}' must be 1-64 letters, digits, '.', '_' or '-'`,
      });
      return null;
    }
    return text;
  }

  /**
   * A local time the clock showed twice (clocks going back), read in file order: the first time the
   * meter reaches it, it is the earlier (summer-time) instant; once the meter has a reading at or after
   * that, the later one. A meter with no earlier reading in the file cannot tell: null (refused).
   */
  inFileOrder(
    meter: string | null,
    ambiguous: { earlier: number; later: number } | undefined,
    channel: Channel = DEFAULT_CHANNEL,
  ): number | null {
    if (meter === null || ambiguous === undefined) return null;
    const last = this.claimsOf(meter, channel).lastInstant;
    if (last === Number.NEGATIVE_INFINITY) return null;
    return last >= ambiguous.earlier ? ambiguous.later : ambiguous.earlier;
  }

  /** Whether an instant is on the grid in local time; else the reason, naming the field. */
  offGrid(instant: number, text: string, field: string): RejectionReason | null {
    const localMs = instant + this.clock.offsetMinutesAt(instant) * 60_000;
    if (localMs % this.gridMs === 0) return null;
    return {
      code: 'TIMESTAMP_OFF_GRID',
      field,
      message: `'${shorten(text)}' is not the start of a ${this.rules.resolutionMinutes}-minute interval`,
    };
  }

  /** The grid every reading's start must be on, in minutes. */
  get gridMinutes(): number {
    return this.rules.resolutionMinutes;
  }

  /** Claims an accepted reading's interval; a duplicate's reason otherwise. */
  claimed(
    meter: string,
    instant: number,
    line: number,
    kwh: { micro: number; rounded: boolean },
    channel: Channel = DEFAULT_CHANNEL,
  ): RowOutcome {
    const firstLine = this.claim(meter, instant, line, channel);
    if (firstLine !== 0) {
      const whose = isDefaultChannel(channel) ? `meter ${meter}` : `meter ${meter}'s channel ${channel.id}`;
      return {
        accepted: false,
        reasons: [
          {
            code: 'DUPLICATE_READING',
            message: `${whose} already has a reading for ${new Date(instant).toISOString()} on line ${firstLine}; the first one is kept`,
          },
        ],
      };
    }
    const reading: AcceptedReading = { meter, startMs: instant, kwhMicro: kwh.micro };
    if (!isDefaultChannel(channel)) reading.channel = channel;
    return { accepted: true, reading, rounded: kwh.rounded };
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
    const off = this.offGrid(parsed.instant, text, 'timestamp');
    if (off !== null) {
      reasons.push(off);
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
          message: `kwh '${shorten(text)}' is not a plain decimal number with a dot, such as 0.1234${decimalCommaHint(text)}`,
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
 * The interval of one meter's channel in a file: its own declared one (a NEM12 channel's) or the
 * format's, else the coarsest its readings fit, else (a single reading) the fallback.
 */
function intervalOf(
  claims: MeterClaims,
  declared: number | null,
  fallback: number,
): { minutes: number; how: IntervalSource } {
  const own = claims.declaredMinutes ?? declared;
  if (own !== null) return { minutes: own, how: 'DECLARED' };
  return claims.readings === 1
    ? { minutes: fallback, how: 'DEFAULT' }
    : { minutes: claims.coarsestMinutes, how: 'INFERRED' };
}
