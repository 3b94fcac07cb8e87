/**
 * NEM12 (AEMO's Meter Data File Format for interval data) read record by record. `100` opens a block
 * (files concatenate blocks), `200` opens a channel (NMI, suffix, unit, interval length), each `300` is
 * one day of interval values with its QualityMethod, `400` rows give the qualities of a variable (`V`)
 * day's intervals, `500` is B2B detail (ignored), `900` ends the block. Times are NEM time, UTC+10 all
 * year; interval 1 starts at 00:00. A day's readings are handed on once the records after it can no
 * longer change their qualities. Vendors pad rows with trailing commas: empty trailing fields are ignored.
 */
import { isReactiveKind, kindOfNmiSuffix, type Channel } from './channels';
import { isReactiveUnit, unitOf, type EnergyUnit } from './format/request';
import { energyToMicro } from './format/values';
import type { RowOutcome, RowValidator } from './row-validator';
import { shorten } from './timestamp';
import type { RejectionReason } from './vocabulary';

/** NEM time is UTC+10, with no daylight saving. */
const NEM_OFFSET_MS = 10 * 3_600_000;
const INTERVAL_LENGTHS = [5, 15, 30];
/** QualityMethod's first letter: actual, estimated, final substitute, substitute, null, variable. */
const QUALITY_FLAGS = ['A', 'E', 'F', 'S', 'N', 'V'];
const RECORD_TYPES = ['100', '200', '300', '400', '500', '900'];

/** The readings (and rejections) of one record, with the line and text they are kept under. */
export interface Nem12Emit {
  line: number;
  raw: string;
  outcomes: RowOutcome[];
  /** Intervals of the record marked N (null data): no reading, left out. */
  nullIntervals: number;
}

interface OpenChannel {
  line: number;
  meter: string;
  channel: Channel;
  unit: EnergyUnit;
  minutes: number;
}

interface PendingDay extends OpenChannel {
  dayLine: number;
  raw: string;
  dayStart: number;
  values: string[];
  /** Per interval: its quality letter ('' until a 400 record gives it, on a V day). */
  flags: string[];
}

const invalid = (message: string, field?: string): RejectionReason => ({
  code: 'RECORD_INVALID',
  message,
  ...(field === undefined ? {} : { field }),
});

export class Nem12Reader {
  /** The channel the next 300 records belong to; a line number when its 200 record was rejected. */
  private open: OpenChannel | { rejectedLine: number } | null = null;
  private pending: PendingDay | null = null;

  constructor(private readonly validator: RowValidator) {}

  /** Handles one record (fields with trailing empty ones dropped); what it completes. */
  record(line: number, padded: readonly string[], raw: string): Nem12Emit[] {
    const fields = withoutPadding(padded);
    const type = (fields[0] ?? '').trim();
    if (type === '400') return this.quality(line, fields, raw);
    const emits = this.flush();
    switch (type) {
      case '100':
        this.open = null;
        if ((fields[1] ?? '').trim().toUpperCase() !== 'NEM12')
          emits.push(rejected(line, raw, invalid(`a 100 record of '${shorten(fields[1] ?? '')}', not NEM12`)));
        break;
      case '200':
        this.channel(line, fields, raw, emits);
        break;
      case '300':
        this.day(line, fields, raw, emits);
        break;
      case '500':
        break;
      case '900':
        this.open = null;
        break;
      default:
        emits.push(
          rejected(
            line,
            raw,
            invalid(
              `record type '${shorten(type)}' is not one of ${RECORD_TYPES.join(', ')} (NEM12)`,
              'RecordIndicator',
            ),
          ),
        );
    }
    return emits;
  }

  /** The last day, at the end of the file. */
  finish(): Nem12Emit[] {
    return this.flush();
  }

  private channel(line: number, fields: readonly string[], raw: string, emits: Nem12Emit[]): void {
    const reasons: RejectionReason[] = [];
    const meter = this.validator.checkMeter((fields[1] ?? '').trim(), reasons, 'NMI');
    const suffix = (fields[4] ?? '').trim();
    const kind = kindOfNmiSuffix(suffix);
    if (kind === null)
      reasons.push(
        invalid(
          `NMI suffix '${shorten(suffix)}' does not start with E (import), B (export), Q or K (reactive)`,
          'NMISuffix',
        ),
      );
    const uomText = (fields[7] ?? '').trim();
    const unit = unitOf(uomText);
    if (unit === null)
      reasons.push(invalid(`UOM '${shorten(uomText)}' is not kWh, Wh, MWh, kvarh, varh or Mvarh`, 'UOM'));
    const lengthText = (fields[8] ?? '').trim();
    const minutes = Number(lengthText);
    if (!INTERVAL_LENGTHS.includes(minutes))
      reasons.push(invalid(`IntervalLength '${shorten(lengthText)}' is not 5, 15 or 30`, 'IntervalLength'));
    if (kind !== null && unit !== null) {
      if (isReactiveUnit(unit) !== isReactiveKind(kind))
        reasons.push(invalid(`UOM ${uomText} does not measure what suffix ${suffix} records (${kind})`, 'UOM'));
    }
    if (meter === null || kind === null || unit === null || reasons.length > 0) {
      this.open = { rejectedLine: line };
      emits.push({ line, raw, outcomes: [{ accepted: false, reasons }], nullIntervals: 0 });
      return;
    }
    const channel: Channel = { id: suffix.toUpperCase(), kind };
    this.validator.claimsOf(meter, channel).declaredMinutes = minutes;
    this.open = { line, meter, channel, unit, minutes };
  }

  private day(line: number, fields: readonly string[], raw: string, emits: Nem12Emit[]): void {
    const open = this.open;
    if (open === null) {
      emits.push(rejected(line, raw, invalid('a 300 record before any 200 record: its channel is unknown')));
      return;
    }
    if ('rejectedLine' in open) {
      emits.push(
        rejected(line, raw, invalid(`its 200 record (line ${open.rejectedLine}) was rejected: its channel is unknown`)),
      );
      return;
    }
    const dateText = (fields[1] ?? '').trim();
    const dayStart = nemDayStart(dateText);
    if (dayStart === null) {
      emits.push(
        rejected(line, raw, invalid(`IntervalDate '${shorten(dateText)}' is not a date YYYYMMDD`, 'IntervalDate')),
      );
      return;
    }
    const count = 1440 / open.minutes;
    let numbers = 0;
    while (numbers + 2 < fields.length && /^[\d.+-]/.test((fields[numbers + 2] ?? '').trim())) numbers += 1;
    if (numbers !== count) {
      emits.push(
        rejected(
          line,
          raw,
          invalid(
            `the 300 record has ${numbers} interval values; its 200 record (line ${open.line}) declares ${open.minutes}-minute intervals: ${count} values a day`,
          ),
        ),
      );
      return;
    }
    const method = (fields[2 + count] ?? '').trim().toUpperCase();
    const flag = method.charAt(0);
    if (!QUALITY_FLAGS.includes(flag)) {
      emits.push(
        rejected(
          line,
          raw,
          invalid(
            `QualityMethod '${shorten(method)}' is not A, E, F, S, N or V (with a method number)`,
            'QualityMethod',
          ),
        ),
      );
      return;
    }
    this.pending = {
      ...open,
      dayLine: line,
      raw,
      dayStart,
      values: fields.slice(2, 2 + count).map((value) => value.trim()),
      flags: new Array<string>(count).fill(flag === 'V' ? '' : flag),
    };
  }

  /** A 400 record: the quality of a range of the pending day's intervals. */
  private quality(line: number, fields: readonly string[], raw: string): Nem12Emit[] {
    const day = this.pending;
    if (day === null) return [rejected(line, raw, invalid('a 400 record must follow the 300 record it qualifies'))];
    const first = Number((fields[1] ?? '').trim());
    const last = Number((fields[2] ?? '').trim());
    const count = day.flags.length;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last < first || last > count) {
      return [
        rejected(
          line,
          raw,
          invalid(
            `intervals ${shorten(fields[1] ?? '')} to ${shorten(fields[2] ?? '')} are not a range within 1 to ${count}`,
            'StartInterval',
          ),
        ),
      ];
    }
    const method = (fields[3] ?? '').trim().toUpperCase();
    const flag = method.charAt(0);
    if (!QUALITY_FLAGS.includes(flag) || flag === 'V') {
      return [
        rejected(line, raw, invalid(`QualityMethod '${shorten(method)}' is not A, E, F, S or N`, 'QualityMethod')),
      ];
    }
    day.flags.fill(flag, first - 1, last);
    return [];
  }

  /** The pending day's readings: each interval's value, quality letter and start; N intervals left out. */
  private flush(): Nem12Emit[] {
    const day = this.pending;
    if (day === null) return [];
    this.pending = null;
    const uncovered = day.flags.indexOf('');
    if (uncovered >= 0) {
      return [
        rejected(
          day.dayLine,
          day.raw,
          invalid(
            `QualityMethod V: the 400 records after it give no quality to interval ${uncovered + 1} (nor to ${day.flags.filter((f) => f === '').length - 1} others)`,
            'QualityMethod',
          ),
        ),
      ];
    }
    const outcomes: RowOutcome[] = [];
    let nullIntervals = 0;
    const stepMs = day.minutes * 60_000;
    const maxKwh = this.validator.rules.maxKwhPerReading;
    for (let i = 0; i < day.values.length; i++) {
      const flag = day.flags[i]!;
      if (flag === 'N') {
        nullIntervals += 1;
        continue;
      }
      const value = energyToMicro(day.values[i]!, day.unit, false, `interval ${i + 1}`, maxKwh);
      if (!value.ok) {
        outcomes.push({ accepted: false, reasons: [value.reason] });
        continue;
      }
      const outcome = this.validator.claimed(day.meter, day.dayStart + i * stepMs, day.dayLine, value, day.channel);
      if (outcome.accepted) outcome.reading.quality = flag;
      outcomes.push(outcome);
    }
    return [{ line: day.dayLine, raw: day.raw, outcomes, nullIntervals }];
  }
}

function rejected(line: number, raw: string, reason: RejectionReason): Nem12Emit {
  return { line, raw, outcomes: [{ accepted: false, reasons: [reason] }], nullIntervals: 0 };
}

/** The record's fields without the empty ones vendors pad it with. */
function withoutPadding(fields: readonly string[]): readonly string[] {
  let end = fields.length;
  while (end > 1 && (fields[end - 1] ?? '').trim() === '') end -= 1;
  return end === fields.length ? fields : fields.slice(0, end);
}

/** The instant a NEM day (YYYYMMDD) starts: 00:00 at UTC+10. */
function nemDayStart(text: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(year, month - 1, day);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return utc - NEM_OFFSET_MS;
}
