import type { ZonedClock } from '../time/zoned-time';
import { DaySlots, MeterClaims } from './interval-claims';
import type { IntervalSource, RejectionReason } from './vocabulary';
import type { FormatPlan, LongPlan, WidePlan } from './format/planning';
import { unitOf } from './format/request';
import { energyToMicro, roundedDecimalToMicro } from './format/values';
import { parseTimestamp, shorten } from './timestamp';
import { decimalCommaHint, splitDecimalCommaHint } from './hints';

export interface ValidationRules {
  /** The grid every timestamp must be on: the declared interval, else the finest billed (15 minutes). */
  resolutionMinutes: number;
  maxKwhPerReading: number;
}

/** The finest interval billed; a meter's own interval is inferred from its readings on this grid. */
export const FINEST_INTERVAL_MINUTES = 15;
/** Intervals a meter's readings may be found to have, longest first. */
const INTERVAL_CANDIDATES = [60, 30, 15, 10, 5, 1];

/** One reading (or one rejected reading) a record of a mapped format gives. */
export type MappedOutcome = RowOutcome;

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
    private readonly rules: ValidationRules,
    private readonly clock: ZonedClock,
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
   * Each meter's interval: the declared one, else inferred as the longest of 60, 30 and 15 minutes on
   * which all its readings of the file fall; a meter with a single reading cannot show its spacing and
   * takes `fallback` (reported as such).
   */
  meterIntervals(declared: number | null, fallback: number): Map<string, { minutes: number; how: IntervalSource }> {
    const intervals = new Map<string, { minutes: number; how: IntervalSource }>();
    for (const [meter, claims] of this.firstLines) {
      if (claims.readings === 0) continue;
      if (declared !== null) intervals.set(meter, { minutes: declared, how: 'DECLARED' });
      else if (claims.readings === 1) intervals.set(meter, { minutes: fallback, how: 'DEFAULT' });
      else intervals.set(meter, { minutes: claims.coarsestMinutes, how: 'INFERRED' });
    }
    return intervals;
  }

  private checkMeter(text: string, reasons: RejectionReason[], field = 'metering_point_id'): string | null {
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
  private inFileOrder(meter: string | null, ambiguous: { earlier: number; later: number } | undefined): number | null {
    if (meter === null || ambiguous === undefined) return null;
    const last = this.claimsOf(meter).lastInstant;
    if (last === Number.NEGATIVE_INFINITY) return null;
    return last >= ambiguous.earlier ? ambiguous.later : ambiguous.earlier;
  }

  /** Whether an instant is on the grid in local time; else the reason, naming the field. */
  private offGrid(instant: number, text: string, field: string): RejectionReason | null {
    const localMs = instant + this.clock.offsetMinutesAt(instant) * 60_000;
    if (localMs % this.gridMs === 0) return null;
    return {
      code: 'TIMESTAMP_OFF_GRID',
      field,
      message: `'${shorten(text)}' is not the start of a ${this.rules.resolutionMinutes}-minute interval`,
    };
  }

  /** Claims an accepted reading's interval; a duplicate's reason otherwise. */
  private claimed(meter: string, instant: number, line: number, kwh: { micro: number; rounded: boolean }): RowOutcome {
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
   * The readings of one record under a mapped format (`FormatPlan`): none when the format's filter
   * leaves the row out (null), one for a long row, one per time cell for a WIDE row (a bad cell is
   * rejected alone, its field the cell's column).
   */
  validateMapped(line: number, fields: readonly string[], plan: FormatPlan): MappedOutcome[] | null {
    return plan.kind === 'WIDE' ? this.validateWide(fields, plan, line) : this.validateLong(line, fields, plan);
  }

  private validateLong(line: number, fields: readonly string[], plan: LongPlan): MappedOutcome[] | null {
    if (plan.filter !== null && (fields[plan.filter.column.index] ?? '').trim() !== plan.filter.value) return null;
    if (plan.width !== null && fields.length !== plan.width) {
      return [
        {
          accepted: false,
          reasons: [
            {
              code: 'FIELD_COUNT',
              message: `expected ${plan.width} fields as in the header, found ${fields.length}${splitDecimalCommaHint(fields, plan.width)}`,
            },
          ],
        },
      ];
    }
    const reasons: RejectionReason[] = [];
    const text = (column: { index: number }) => (fields[column.index] ?? '').trim();
    const meter = this.checkMeter(text(plan.meter), reasons, plan.meter.name);
    let instant: number | null = null;
    const timeText = text(plan.timestamp);
    if (timeText === '') {
      reasons.push({
        code: 'TIMESTAMP_MISSING',
        field: plan.timestamp.name,
        message: `${plan.timestamp.name} is empty`,
      });
    } else {
      const parsed = plan.parseTime(timeText, this.clock);
      const at = parsed.ok ? parsed.instant : this.inFileOrder(meter, parsed.ambiguous);
      if (at === null) reasons.push((parsed as { reason: RejectionReason }).reason);
      else {
        const start = plan.format.timestampMarks === 'END' ? at - this.gridMs : at;
        const off = this.offGrid(start, timeText, plan.timestamp.name);
        if (off !== null) reasons.push(off);
        else instant = start;
      }
    }
    let unit = plan.unit;
    if (plan.unitColumn !== null) {
      const named = unitOf(text(plan.unitColumn));
      if (named === null) {
        reasons.push({
          code: 'KWH_INVALID',
          field: plan.unitColumn.name,
          message: `${plan.unitColumn.name} '${shorten(text(plan.unitColumn))}' is not kWh, Wh or MWh`,
        });
      } else unit = named;
    }
    const kwh = energyToMicro(
      text(plan.value),
      unit,
      plan.format.decimalComma,
      plan.value.name,
      this.rules.maxKwhPerReading,
    );
    if (!kwh.ok) reasons.push(kwh.reason);
    if (meter === null || instant === null || !kwh.ok || reasons.length > 0) return [{ accepted: false, reasons }];
    if (plan.sequential) {
      const previous = this.claimsOf(meter).lastInstant;
      if (instant < previous) {
        return [
          {
            accepted: false,
            reasons: [
              {
                code: 'TIMESTAMP_OUT_OF_SEQUENCE',
                field: plan.timestamp.name,
                message: `'${shorten(timeText)}' goes back ${describeGap(previous - instant)} before meter ${meter}'s previous reading (${new Date(previous).toISOString()}); this export writes a meter's readings in time order, so the date is wrong (a year jump?)`,
              },
            ],
          },
        ];
      }
    }
    const outcome = this.claimed(meter, instant, line, kwh);
    if (outcome.accepted && plan.quality !== null) outcome.reading.quality = text(plan.quality);
    return [outcome];
  }

  private validateWide(fields: readonly string[], plan: WidePlan, line: number): MappedOutcome[] {
    const reasons: RejectionReason[] = [];
    const meter = this.checkMeter((fields[plan.meter.index] ?? '').trim(), reasons, plan.meter.name);
    const dateText = (fields[plan.date.index] ?? '').trim();
    const date = plan.parseDate(dateText);
    if (date === null) {
      reasons.push({
        code: dateText === '' ? 'TIMESTAMP_MISSING' : 'TIMESTAMP_INVALID',
        field: plan.date.name,
        message:
          dateText === ''
            ? `${plan.date.name} is empty`
            : `${plan.date.name} '${shorten(dateText)}' is not a date of the pattern '${plan.format.timestampFormat}'`,
      });
    }
    if (meter === null || date === null) return [{ accepted: false, reasons }];
    const { year, month, day } = date;
    const outcomes: MappedOutcome[] = [];
    for (const time of plan.times) {
      const cell = (fields[time.index] ?? '').trim();
      const local = this.clock.toInstant({
        year,
        month,
        day,
        hour: Math.floor(time.minutes / 60),
        minute: time.minutes % 60,
        second: 0,
        millisecond: 0,
      });
      if (local.kind === 'nonexistent') {
        // A sheet has a column for every time of a normal day; the skipped hour's cells stay empty.
        if (cell !== '') {
          outcomes.push({
            accepted: false,
            reasons: [
              {
                code: 'TIMESTAMP_NONEXISTENT',
                field: time.name,
                message: `${dateText} ${time.name} does not exist in ${this.clock.timeZone} (clocks moved forward), yet has a value`,
              },
            ],
          });
        }
        continue;
      }
      const instant = local.kind === 'ok' ? local.instant : time.occurrence === 0 ? local.earlier : local.later;
      const off = this.offGrid(instant, `${dateText} ${time.name}`, time.name);
      if (off !== null) {
        outcomes.push({ accepted: false, reasons: [off] });
        continue;
      }
      const kwh = energyToMicro(cell, plan.unit, plan.format.decimalComma, time.name, this.rules.maxKwhPerReading);
      outcomes.push(kwh.ok ? this.claimed(meter, instant, line, kwh) : { accepted: false, reasons: [kwh.reason] });
    }
    return outcomes;
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

function describeGap(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 2 ? `${Math.round(days)} days` : `${Math.round(ms / 60_000)} minutes`;
}
