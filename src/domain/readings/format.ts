/**
 * How a readings file is laid out: its dialect (the base `metering_point_id,timestamp,kwh`, the LP and
 * TOU meter exports, the WIDE half-hourly sheet) and the column mapping, delimiter, number, time and
 * unit conventions. `checkFormat` refuses a bad request before anything is read; `planFormat` matches it
 * to the file's header (detecting the dialect when none is forced) and says exactly how each record
 * becomes readings. Pure: no clock, no I/O.
 */
import { parseLocalDate } from '../billing/calendar';
import type { ZonedClock } from '../time/zoned-time';
import type { RejectionReason } from './vocabulary';
import { parseTimestamp, shorten, type TimestampResult } from './timestamp';
import { fromPatterns, patternVariants } from './timestamp-patterns';
import { decimalCommaHint, timestampFormatHint } from './hints';

export const DIALECTS = ['BASE', 'LP', 'TOU', 'WIDE'] as const;
export type Dialect = (typeof DIALECTS)[number];
export const UNITS = ['kWh', 'Wh', 'MWh'] as const;
export type EnergyUnit = (typeof UNITS)[number];
export const INTERVALS = [15, 30, 60] as const;
export type TimestampMarks = 'START' | 'END';
export type Delimiter = ',' | ';' | '\t';
/**
 * Text encodings a file may be in (WHATWG names, as TextDecoder knows them). Spreadsheet programs on
 * Windows save CSV as Windows-1252; ISO-8859-1 is read as Windows-1252, as browsers do.
 */
export const ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-1', 'iso-8859-15'] as const;
export type TextEncodingName = (typeof ENCODINGS)[number];

/** The encoding a request names (any case; `latin1` and `cp1252` as aliases), or null. */
export function encodingOf(text: string): TextEncodingName | null {
  const lower = text.trim().toLowerCase();
  const alias: Record<string, TextEncodingName> = { utf8: 'utf-8', cp1252: 'windows-1252', latin1: 'iso-8859-1' };
  return alias[lower] ?? ENCODINGS.find((name) => name === lower) ?? null;
}

/** A column by its header name (trimmed, any case) or by its 1-based position. */
export type ColumnRef = { name: string } | { index: number };

/** What a caller may say about a file; every field optional, today's base format by default. */
export interface ReadingsFormatRequest {
  dialect?: Dialect;
  meterColumn?: ColumnRef;
  timestampColumn?: ColumnRef;
  valueColumn?: ColumnRef;
  delimiter?: string;
  decimalComma?: boolean;
  /** `ISO`, `EPOCH_S`, `EPOCH_MS`, or a Luxon pattern such as `dd/MM/yyyy HH:mm[:ss]` (`[...]` optional). */
  timestampFormat?: string;
  timeZone?: string;
  unit?: string;
  intervalMinutes?: number;
  timestampMarks?: TimestampMarks;
  filter?: { column: ColumnRef; value: string };
  /** A status or quality column whose marks are kept with each reading (LP `Status`, TOU `Quality`). */
  qualityColumn?: ColumnRef;
  /** The file's text encoding (`ENCODINGS`); UTF-8 by default. */
  encoding?: string;
}

/** The format applied to a file, as the receipt echoes it. */
export interface AppliedFormat {
  dialect: Dialect;
  /** Whether the dialect was found from the header (false: forced by the request). */
  detected: boolean;
  meterColumn: string;
  timestampColumn: string;
  valueColumn: string;
  delimiter: Delimiter;
  decimalComma: boolean;
  timestampFormat: string;
  timeZone: string;
  /** A fixed unit, or `column:<name>` when each row names its own. */
  unit: string;
  /** Declared interval, or null: inferred per meter from its timestamps. */
  intervalMinutes: number | null;
  timestampMarks: TimestampMarks;
  filter: { column: string; value: string } | null;
  /** The column whose marks are kept with each reading, or null. Absent in uploads made before it was kept. */
  qualityColumn?: string | null;
  /** The file's text encoding. Absent in uploads made before it could be chosen: UTF-8. */
  encoding?: TextEncodingName;
}

export class FormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

const EPOCH_FORMATS = ['ISO', 'EPOCH_S', 'EPOCH_MS'];

/** Refuses a request that cannot apply to any file (unknown unit, bad pattern...), naming the field. */
export function checkFormat(request: ReadingsFormatRequest, isValidTimeZone: (zone: string) => boolean): void {
  if (request.dialect !== undefined && !DIALECTS.includes(request.dialect))
    throw new FormatError('dialect', `dialect '${request.dialect}' is not one of ${DIALECTS.join(', ')}`);
  if (request.delimiter !== undefined && ![',', ';', '\t'].includes(request.delimiter))
    throw new FormatError('delimiter', `delimiter '${request.delimiter}' must be ',', ';' or a tab`);
  if (request.encoding !== undefined && encodingOf(request.encoding) === null)
    throw new FormatError('encoding', `encoding '${request.encoding}' is not one of ${ENCODINGS.join(', ')}`);
  if (request.unit !== undefined && unitOf(request.unit) === null)
    throw new FormatError('unit', `unit '${request.unit}' is not one of ${UNITS.join(', ')}`);
  if (request.intervalMinutes !== undefined && !(INTERVALS as readonly number[]).includes(request.intervalMinutes))
    throw new FormatError('intervalMinutes', `intervalMinutes must be 15, 30 or 60, got ${request.intervalMinutes}`);
  if (request.timeZone !== undefined && !isValidTimeZone(request.timeZone))
    throw new FormatError('timeZone', `timeZone '${request.timeZone}' is not an IANA time zone`);
  if (request.timestampMarks === 'END' && request.intervalMinutes === undefined)
    throw new FormatError(
      'timestampMarks',
      'timestampMarks END needs intervalMinutes: an interval end says nothing of its start otherwise',
    );
  if (request.timestampFormat !== undefined && !EPOCH_FORMATS.includes(request.timestampFormat)) {
    if (
      !/[yY]/.test(request.timestampFormat) ||
      !/M/.test(request.timestampFormat) ||
      !/d/.test(request.timestampFormat)
    )
      throw new FormatError(
        'timestampFormat',
        `timestampFormat '${request.timestampFormat}' must be ISO, EPOCH_S, EPOCH_MS or a pattern with year, month and day (yyyy, MM, dd)`,
      );
  }
  for (const [field, ref] of [
    ['meterColumn', request.meterColumn],
    ['timestampColumn', request.timestampColumn],
    ['valueColumn', request.valueColumn],
    ['filter.column', request.filter?.column],
    ['qualityColumn', request.qualityColumn],
  ] as const) {
    if (ref !== undefined && 'index' in ref && !(Number.isInteger(ref.index) && ref.index >= 1))
      throw new FormatError(field, `${field} ${ref.index} must be a column position from 1`);
  }
}

export function unitOf(text: string): EnergyUnit | null {
  const lower = text.trim().toLowerCase();
  return UNITS.find((unit) => unit.toLowerCase() === lower) ?? null;
}

/** Powers of ten from the unit to kWh. */
const UNIT_EXPONENT: Record<EnergyUnit, number> = { kWh: 0, Wh: -3, MWh: 3 };

/** A column of the header: its position (0-based) and its name as written. */
interface Column {
  index: number;
  name: string;
}

/** How records of a long file (one reading a row) become readings. */
export interface LongPlan {
  kind: 'LONG';
  format: AppliedFormat;
  width: number | null;
  meter: Column;
  timestamp: Column;
  value: Column;
  /** Per-row unit column (LP/TOU `Units`), else the fixed unit. */
  unitColumn: Column | null;
  unit: EnergyUnit;
  filter: { column: Column; value: string } | null;
  /** Status or quality marks kept with each reading, or null. */
  quality: Column | null;
  /** Rows of a meter must go forward in time (the meter exports write them in order). */
  sequential: boolean;
  parseTime: (text: string, clock: ZonedClock) => TimestampResult;
}

/** How records of a WIDE sheet (one meter-day a row, a column per half-hour) become readings. */
export interface WidePlan {
  kind: 'WIDE';
  format: AppliedFormat;
  meter: Column;
  date: Column;
  /** The time columns: local time of day (minutes) and, for a repeated time (a DST day), which occurrence. */
  times: Array<Column & { minutes: number; occurrence: number }>;
  unit: EnergyUnit;
  /** The calendar day of a date cell, or null when it does not match the format's date pattern. */
  parseDate: (text: string) => CalendarDate | null;
}

type CalendarDate = NonNullable<ReturnType<typeof parseLocalDate>>;

export type FormatPlan = LongPlan | WidePlan;

export type PlanResult =
  | { ok: true; plan: FormatPlan }
  | {
      ok: false;
      code: 'NO_HEADER' | 'MISSING_COLUMNS' | 'WRONG_DELIMITER';
      reason: string;
      /** The request's field that asked for what the header lacks (a named column, a forced dialect), if any. */
      field?: string;
    };

const BASE_COLUMNS = ['metering_point_id', 'timestamp', 'kwh'];
const LP_COLUMNS = ['meterpoint code', 'date/time', 'data type', 'data value', 'units'];
const TOU_COLUMNS = ['metercode', 'datetime', 'datatype', 'energy', 'units'];
const WIDE_TIME = /^(\d{1,2}):(\d{2})$/;
/** The energy series the LP and TOU exports bill: imported active energy. */
const IMPORT_SERIES = 'Import Wh Total';

/** The dialect a header names, or null. */
export function detectDialect(names: readonly string[]): Dialect | null {
  const has = (wanted: readonly string[]) => wanted.every((name) => names.includes(name));
  if (has(BASE_COLUMNS)) return 'BASE';
  if (has(LP_COLUMNS)) return 'LP';
  if (has(TOU_COLUMNS)) return 'TOU';
  if (names[0] === 'meter' && names[1] === 'date' && names.length > 2 && names.slice(2).every((n) => WIDE_TIME.test(n)))
    return 'WIDE';
  return null;
}

const OTHER_DELIMITERS: ReadonlyArray<[string, string]> = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
  [',', 'comma'],
];

const looksLikeData = (field: string): boolean => /^[\d.+-]/.test(field) || /^\d{4}-\d{2}-\d{2}/.test(field);
const cut = (text: string): string => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/**
 * Matches the request to the file's header row. Without a forced dialect, the header decides: the base
 * columns, the LP or TOU export columns, or `Meter,Date,<times>`; column overrides apply on top.
 */
export function planFormat(
  fields: readonly string[],
  request: ReadingsFormatRequest,
  defaults: { timeZone: string; delimiter: Delimiter },
): PlanResult {
  const names = fields.map((field) => field.trim().toLowerCase());
  const detected = detectDialect(names);
  const dialect = request.dialect ?? detected ?? 'BASE';
  const mapped =
    request.meterColumn !== undefined || request.timestampColumn !== undefined || request.valueColumn !== undefined;
  const delimiter = defaults.delimiter;
  if (detected === null && request.dialect === undefined && !mapped) {
    const single = fields.length === 1 ? (fields[0] ?? '') : null;
    if (single !== null) {
      for (const [other, label] of OTHER_DELIMITERS) {
        if (other !== delimiter && single.includes(other)) {
          return {
            ok: false,
            code: 'WRONG_DELIMITER',
            reason: `the header '${cut(single)}' is separated by ${label}s; pass format { delimiter: "${other === '\t' ? '\\t' : other}" } or separate fields by '${delimiter === '\t' ? '\\t' : delimiter}'`,
          };
        }
      }
    }
    const expected = BASE_COLUMNS.join(',');
    if (names.some(looksLikeData) && !BASE_COLUMNS.some((name) => names.includes(name))) {
      return {
        ok: false,
        code: 'NO_HEADER',
        reason: `line 1 '${cut(fields.join(','))}' looks like data, not a header; the first line must name the columns (${expected}, an LP or TOU export header, or Meter,Date,0:00,...), or pass format { meterColumn, timestampColumn, valueColumn }`,
      };
    }
  }
  const column = (field: string, ref: ColumnRef | undefined, fallback: string): Column | Missing => {
    const wanted = ref ?? { name: fallback };
    // A column the header lacks is the request's fault when the request named it or forced the dialect.
    const blame = ref !== undefined ? field : request.dialect !== undefined ? 'dialect' : null;
    if ('index' in wanted) {
      if (wanted.index > fields.length)
        return { missing: `${field} ${wanted.index} is beyond the header's ${fields.length} columns`, blame };
      return { index: wanted.index - 1, name: fields[wanted.index - 1]!.trim() };
    }
    const at = names.indexOf(wanted.name.trim().toLowerCase());
    return at < 0
      ? { missing: ref === undefined ? wanted.name : `${wanted.name} (${field})`, blame }
      : { index: at, name: fields[at]!.trim() };
  };
  const timeZone = request.timeZone ?? defaults.timeZone;
  const decimalComma = request.decimalComma ?? false;
  const marks = request.timestampMarks ?? 'START';
  const intervalMinutes = request.intervalMinutes ?? null;

  if (dialect === 'WIDE') {
    const meter = column('meterColumn', request.meterColumn, 'Meter');
    const date = column('timestampColumn', request.timestampColumn, 'Date');
    const missing = [meter, date].filter(isMissing);
    if (missing.length > 0) return missingColumns(fields, missing);
    const times: WidePlan['times'] = [];
    const seen = new Map<number, number>();
    fields.forEach((field, index) => {
      const match = WIDE_TIME.exec(field.trim());
      if (match === null || index === (meter as Column).index || index === (date as Column).index) return;
      const minutes = Number(match[1]) * 60 + Number(match[2]);
      const occurrence = seen.get(minutes) ?? 0;
      seen.set(minutes, occurrence + 1);
      times.push({ index, name: field.trim(), minutes, occurrence });
    });
    if (times.length === 0)
      return missingColumns(fields, [
        { missing: 'time columns such as 0:00,0:30,...', blame: request.dialect !== undefined ? 'dialect' : null },
      ]);
    const unit = unitOf(request.unit ?? 'kWh')!;
    const steps = times.map((t, i) => (i === 0 ? 0 : t.minutes - times[i - 1]!.minutes)).filter((step) => step > 0);
    const interval = intervalMinutes ?? (steps.length > 0 ? Math.min(...steps) : 30);
    return {
      ok: true,
      plan: {
        kind: 'WIDE',
        meter: meter as Column,
        date: date as Column,
        times,
        unit,
        parseDate: dateParser(request.timestampFormat ?? 'yyyy-MM-dd'),
        format: {
          dialect,
          detected: request.dialect === undefined,
          meterColumn: (meter as Column).name,
          timestampColumn: (date as Column).name,
          valueColumn: `${times[0]!.name}…${times[times.length - 1]!.name}`,
          delimiter,
          decimalComma,
          timestampFormat: request.timestampFormat ?? 'yyyy-MM-dd',
          timeZone,
          unit,
          intervalMinutes: interval,
          timestampMarks: marks,
          filter: null,
          encoding: encodingOf(request.encoding ?? 'utf-8')!,
        },
      },
    };
  }

  const defaultsOf: Record<
    Exclude<Dialect, 'WIDE'>,
    {
      meter: string;
      time: string;
      value: string;
      pattern: string;
      filter: { column: string; value: string } | null;
      unitColumn: string | null;
      quality: string | null;
    }
  > = {
    BASE: {
      meter: 'metering_point_id',
      time: 'timestamp',
      value: 'kwh',
      pattern: 'ISO',
      filter: null,
      unitColumn: null,
      quality: null,
    },
    LP: {
      meter: 'MeterPoint Code',
      time: 'Date/Time',
      value: 'Data Value',
      pattern: 'd/M/yyyy H:mm[:ss]',
      filter: { column: 'Data Type', value: IMPORT_SERIES },
      unitColumn: 'Units',
      quality: 'Status',
    },
    TOU: {
      meter: 'MeterCode',
      time: 'DateTime',
      value: 'Energy',
      pattern: 'd/M/yyyy H:mm[:ss]',
      filter: { column: 'DataType', value: IMPORT_SERIES },
      unitColumn: 'Units',
      quality: 'Quality',
    },
  };
  const base = defaultsOf[dialect];
  const meter = column('meterColumn', request.meterColumn, base.meter);
  const timestamp = column('timestampColumn', request.timestampColumn, base.time);
  const value = column('valueColumn', request.valueColumn, base.value);
  const filterColumn =
    request.filter !== undefined
      ? column('filter.column', request.filter.column, '')
      : base.filter !== null
        ? column('filter.column', undefined, base.filter.column)
        : null;
  const unitColumn =
    request.unit === undefined && base.unitColumn !== null ? column('unit', undefined, base.unitColumn) : null;
  // A dialect's own status column is kept when the file has it; one the request names must be there.
  const qualityColumn =
    request.qualityColumn !== undefined
      ? column('qualityColumn', request.qualityColumn, '')
      : base.quality !== null && names.includes(base.quality.toLowerCase())
        ? column('qualityColumn', undefined, base.quality)
        : null;
  const missing = [meter, timestamp, value, filterColumn, unitColumn, qualityColumn].filter(isMissing);
  if (missing.length > 0) return missingColumns(fields, missing);
  const filterValue = request.filter?.value ?? base.filter?.value ?? null;
  const unit = unitOf(request.unit ?? 'kWh')!;
  const pattern = request.timestampFormat ?? base.pattern;
  const format: AppliedFormat = {
    dialect,
    detected: request.dialect === undefined,
    meterColumn: (meter as Column).name,
    timestampColumn: (timestamp as Column).name,
    valueColumn: (value as Column).name,
    delimiter,
    decimalComma,
    timestampFormat: pattern,
    timeZone,
    unit: unitColumn === null ? unit : `column:${(unitColumn as Column).name}`,
    intervalMinutes,
    timestampMarks: marks,
    filter:
      filterColumn === null || filterValue === null
        ? null
        : { column: (filterColumn as Column).name, value: filterValue },
    qualityColumn: qualityColumn === null ? null : (qualityColumn as Column).name,
    encoding: encodingOf(request.encoding ?? 'utf-8')!,
  };
  return {
    ok: true,
    plan: {
      kind: 'LONG',
      format,
      // The base format's rows must have the header's width; exports carry trailing empty columns at will.
      width: dialect === 'BASE' && !mapped ? fields.length : null,
      meter: meter as Column,
      timestamp: timestamp as Column,
      value: value as Column,
      unitColumn: unitColumn as Column | null,
      unit,
      filter:
        filterColumn === null || filterValue === null ? null : { column: filterColumn as Column, value: filterValue },
      quality: qualityColumn as Column | null,
      sequential: dialect === 'LP' || dialect === 'TOU',
      parseTime: timeParser(pattern, (timestamp as Column).name),
    },
  };
}

/** A column the request or the dialect wants and the header lacks; `blame` is the request's field at fault. */
interface Missing {
  missing: string;
  blame: string | null;
}

const isMissing = (column: Column | Missing | null): column is Missing => column !== null && 'missing' in column;

function missingColumns(fields: readonly string[], missing: Missing[]): PlanResult {
  const blame = missing.find((m) => m.blame !== null)?.blame;
  return {
    ok: false,
    code: 'MISSING_COLUMNS',
    reason: `the header '${cut(fields.join(','))}' lacks the column${missing.length > 1 ? 's' : ''} ${missing.map((m) => m.missing).join(', ')}; expected metering_point_id,timestamp,kwh (any order, any case), an LP or TOU export header, Meter,Date,0:00,..., or a format naming the columns`,
    ...(blame === undefined || blame === null ? {} : { field: blame }),
  };
}

/** Reads a WIDE sheet's date cell: `yyyy-MM-dd` as the calendar does, any other pattern by Luxon. */
function dateParser(pattern: string): (text: string) => CalendarDate | null {
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

const PLAIN = /^(\d+)(?:\.(\d+))?$/;
const NEGATIVE = /^-\d+(?:\.\d+)?$/;
const MAX_DECIMALS = 6;

/**
 * An energy value in a unit as an exact count of micro-kWh, rounded half up at the sixth decimal of
 * kWh when it has more. A decimal comma is read as a dot when the format says so.
 */
export function energyToMicro(
  text: string,
  unit: EnergyUnit,
  decimalComma: boolean,
  field: string,
  maxKwh: number,
): { ok: true; micro: number; rounded: boolean } | { ok: false; reason: RejectionReason } {
  if (text === '') return { ok: false, reason: { code: 'KWH_MISSING', field, message: `${field} is empty` } };
  const normal = decimalComma ? text.replace(',', '.') : text;
  const match = PLAIN.exec(normal);
  if (match === null) {
    if (NEGATIVE.test(normal))
      return { ok: false, reason: { code: 'KWH_NEGATIVE', field, message: `${field} ${shorten(text)} is negative` } };
    return {
      ok: false,
      reason: {
        code: 'KWH_INVALID',
        field,
        message: `${field} '${shorten(text)}' is not a plain decimal number with a ${decimalComma ? 'comma' : 'dot'}${decimalComma ? '' : decimalCommaHint(text)}`,
      },
    };
  }
  const { micro, rounded } = shiftedDecimalToMicro(match[1]!, match[2] ?? '', UNIT_EXPONENT[unit]);
  if (micro / 1_000_000 > maxKwh) {
    return {
      ok: false,
      reason: {
        code: 'KWH_TOO_LARGE',
        field,
        message: `${field} ${shorten(text)} ${unit} is above the limit of ${maxKwh} kWh per reading`,
      },
    };
  }
  return { ok: true, micro, rounded };
}

/**
 * A plain decimal (its whole and fraction digits) times 10^exponent, as an exact count of millionths,
 * rounded half up at the sixth decimal when it has more: the decimal point moves, the digits stay exact.
 */
export function shiftedDecimalToMicro(
  whole: string,
  fraction: string,
  exponent: number,
): { micro: number; rounded: boolean } {
  const digits = whole + fraction;
  // Exponents of the units (-3 to 3) keep the point inside or after the whole digits.
  const point = whole.length + exponent + MAX_DECIMALS;
  const kept = digits.slice(0, point).padEnd(point, '0');
  const dropped = digits.slice(point);
  const roundUp = dropped !== '' && dropped.charCodeAt(0) - 48 >= 5;
  return { micro: Number(kept) + (roundUp ? 1 : 0), rounded: dropped !== '' };
}

/** The first records of a file: its header and a sample of the rows after it (blank lines left out). */
export interface FileSample {
  header: readonly string[];
  rows: ReadonlyArray<{ line: number; fields: readonly string[] }>;
}

/**
 * Refuses a request that cannot apply to this file, judged on its first records, so nothing is written
 * for it: a column it names (or a dialect it forces) that the header lacks, or a timestamp pattern that
 * matches none of the sampled rows. A problem that is not the request's (no header line, the base
 * columns missing) is left to the validation, which rejects the file with its line.
 */
export function checkFormatOnSample(
  request: ReadingsFormatRequest,
  sample: FileSample,
  defaults: { timeZone: string; delimiter: Delimiter },
  clock: ZonedClock,
): void {
  const planned = planFormat(sample.header, request, defaults);
  if (!planned.ok) {
    if (planned.field !== undefined) throw new FormatError(planned.field, planned.reason);
    return;
  }
  if (request.timestampFormat === undefined) return;
  const plan = planned.plan;
  const column = plan.kind === 'LONG' ? plan.timestamp : plan.date;
  let tried = 0;
  let first: { line: number; text: string } | null = null;
  for (const row of sample.rows) {
    if (plan.kind === 'LONG' && plan.filter !== null) {
      if ((row.fields[plan.filter.column.index] ?? '').trim() !== plan.filter.value) continue;
    }
    const text = (row.fields[column.index] ?? '').trim();
    if (text === '') continue;
    tried += 1;
    first ??= { line: row.line, text };
    if (plan.kind === 'WIDE') {
      if (plan.parseDate(text) !== null) return;
    } else {
      const parsed = plan.parseTime(text, clock);
      // A local time that does not exist or happens twice was read by the pattern: the pattern fits.
      if (parsed.ok || parsed.reason.code !== 'TIMESTAMP_INVALID') return;
    }
  }
  if (first === null) return;
  throw new FormatError(
    'timestampFormat',
    `timestampFormat '${request.timestampFormat}' matches none of the first ${tried} rows' ${column.name} (line ${first.line} has '${shorten(first.text)}')`,
  );
}
