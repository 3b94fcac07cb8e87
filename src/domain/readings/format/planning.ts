/**
 * Matches a format request to a file's header row (detecting the dialect when none is forced) and says
 * exactly how each record becomes readings: a long plan (one reading a row) or a wide one (a meter-day a
 * row). Pure: no clock, no I/O.
 */
import type { ZonedClock } from '../../time/zoned-time';
import type { TimestampResult } from '../timestamp';
import { DEFAULT_CHANNEL, kindOfName, type Channel } from '../channels';
import { BASE_COLUMNS, DIALECT_TABLE, WIDE_TIME, type LongDialect, type WideDialect } from './dialects';
import {
  DIALECTS,
  encodingOf,
  unitOf,
  type AppliedFormat,
  type ColumnRef,
  type Delimiter,
  type Dialect,
  type EnergyUnit,
  type ReadingsFormatRequest,
} from './request';
import { dateParser, timeParser, type CalendarDate } from './times';

/** A column of the header: its position (0-based) and its name as written. */
interface Column {
  index: number;
  name: string;
}

/**
 * Where a long row's channel comes from: one channel for the file; a column naming it (a kind's name, or
 * a value the request maps); or an export's series column, whose energy series are the channels.
 */
export type ChannelPlan =
  | { source: 'FIXED'; channel: Channel }
  | { source: 'COLUMN'; column: Column; channelOf(text: string): Channel | null; expected: string }
  | { source: 'SERIES'; column: Column };

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
  channel: ChannelPlan;
  /** Rows of a meter's channel must go forward in time (the meter exports write them in order). */
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
  channel: Channel;
  /** The calendar day of a date cell, or null when it does not match the format's date pattern. */
  parseDate: (text: string) => CalendarDate | null;
}

/** A NEM12 file: its records carry their own channels, units and intervals (`nem12.ts` reads them). */
export interface Nem12Plan {
  kind: 'NEM12';
  format: AppliedFormat;
}

export type FormatPlan = LongPlan | WidePlan | Nem12Plan;

/** NEM time: UTC+10 all year, no daylight saving (IANA's POSIX-style name inverts the sign). */
export const NEM_TIME_ZONE = 'Etc/GMT-10';

export type PlanResult =
  | { ok: true; plan: FormatPlan }
  | {
      ok: false;
      code: 'NO_HEADER' | 'MISSING_COLUMNS' | 'WRONG_DELIMITER';
      reason: string;
      /** The request's field that asked for what the header lacks (a named column, a forced dialect), if any. */
      field?: string;
    };

/** The dialect a header names (names trimmed and lower-cased), or null. */
export function detectDialect(names: readonly string[]): Dialect | null {
  return DIALECTS.find((dialect) => DIALECT_TABLE[dialect].recognizes(names)) ?? null;
}

const OTHER_DELIMITERS: ReadonlyArray<[string, string]> = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
  [',', 'comma'],
];

const looksLikeData = (field: string): boolean => /^[\d.+-]/.test(field) || /^\d{4}-\d{2}-\d{2}/.test(field);
const cut = (text: string): string => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** What every layout's plan shares: the header, the request, and the settings it leaves to defaults. */
interface Planning {
  fields: readonly string[];
  names: readonly string[];
  request: ReadingsFormatRequest;
  dialect: Dialect;
  /** Whether the request maps the meter, time or value column itself. */
  mapped: boolean;
  delimiter: Delimiter;
  timeZone: string;
  decimalComma: boolean;
  marks: AppliedFormat['timestampMarks'];
  intervalMinutes: number | null;
  column(field: string, ref: ColumnRef | undefined, fallback: string): Column | Missing;
}

/**
 * Matches the request to the file's header row. Without a forced dialect, the header decides (the
 * dialect table's entries, in order); column overrides apply on top.
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
    const refused = unrecognizedHeader(fields, names, delimiter);
    if (refused !== null) return refused;
  }
  const column = (field: string, ref: ColumnRef | undefined, fallback: string): Column | Missing => {
    const wanted = ref ?? { name: fallback };
    // A column the header lacks is the request's fault when the request named it or forced the dialect.
    const blame = ref !== undefined ? field : request.dialect !== undefined ? 'dialect' : null;
    if ('index' in wanted) {
      if (wanted.index > fields.length)
        return { missing: `${field} ${wanted.index} is beyond the header's ${fields.length} columns`, blame };
      return { index: wanted.index - 1, name: cut(fields[wanted.index - 1]!.trim()) };
    }
    const at = names.indexOf(wanted.name.trim().toLowerCase());
    // Names are cut: a column's name is quoted in the reason of each row rejected for its cell.
    return at < 0
      ? { missing: cut(ref === undefined ? wanted.name : `${wanted.name} (${field})`), blame }
      : { index: at, name: cut(fields[at]!.trim()) };
  };
  const planning: Planning = {
    fields,
    names,
    request,
    dialect,
    mapped,
    delimiter,
    timeZone: request.timeZone ?? defaults.timeZone,
    decimalComma: request.decimalComma ?? false,
    marks: request.timestampMarks ?? 'START',
    intervalMinutes: request.intervalMinutes ?? null,
    column,
  };
  const entry = DIALECT_TABLE[dialect];
  switch (entry.layout) {
    case 'LONG':
      return planLong(planning, entry);
    case 'WIDE':
      return planWide(planning, entry);
    case 'NEM12':
      return planNem12(planning);
    default: {
      const unknown: never = entry;
      throw new Error(`no planner for the layout of ${JSON.stringify(unknown)}`);
    }
  }
}

/** A header no dialect recognises, and no mapping explains: another delimiter's, or a data row. */
function unrecognizedHeader(fields: readonly string[], names: readonly string[], delimiter: Delimiter) {
  const single = fields.length === 1 ? (fields[0] ?? '') : null;
  if (single !== null) {
    for (const [other, label] of OTHER_DELIMITERS) {
      if (other !== delimiter && single.includes(other)) {
        return {
          ok: false,
          code: 'WRONG_DELIMITER',
          reason: `the header '${cut(single)}' is separated by ${label}s; pass format { delimiter: "${other === '\t' ? '\\t' : other}" } or separate fields by '${delimiter === '\t' ? '\\t' : delimiter}'`,
        } as const;
      }
    }
  }
  const expected = BASE_COLUMNS.join(',');
  if (names.some(looksLikeData) && !BASE_COLUMNS.some((name) => names.includes(name))) {
    return {
      ok: false,
      code: 'NO_HEADER',
      reason: `line 1 '${cut(fields.join(','))}' looks like data, not a header; the first line must name the columns (${expected}, an LP or TOU export header, or Meter,Date,0:00,...), or pass format { meterColumn, timestampColumn, valueColumn }`,
    } as const;
  }
  return null;
}

function planWide(p: Planning, dialect: WideDialect): PlanResult {
  const { fields, request } = p;
  const meter = p.column('meterColumn', request.meterColumn, dialect.meter);
  const date = p.column('timestampColumn', request.timestampColumn, dialect.date);
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
    times.push({ index, name: cut(field.trim()), minutes, occurrence });
  });
  if (times.length === 0)
    return missingColumns(fields, [
      { missing: 'time columns such as 0:00,0:30,...', blame: request.dialect !== undefined ? 'dialect' : null },
    ]);
  const unit = unitOf(request.unit ?? 'kWh')!;
  // The smallest step between time columns, by a loop: a spread of a long header's steps overflows the stack.
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) {
    const step = times[i]!.minutes - times[i - 1]!.minutes;
    if (step > 0 && step < smallest) smallest = step;
  }
  const interval = p.intervalMinutes ?? (Number.isFinite(smallest) ? smallest : 30);
  const pattern = request.timestampFormat ?? dialect.timestampFormat;
  const channel = fixedChannel(request);
  return {
    ok: true,
    plan: {
      kind: 'WIDE',
      meter: meter as Column,
      date: date as Column,
      times,
      unit,
      channel,
      parseDate: dateParser(pattern),
      format: {
        dialect: p.dialect,
        detected: request.dialect === undefined,
        meterColumn: (meter as Column).name,
        timestampColumn: (date as Column).name,
        valueColumn: `${times[0]!.name}…${times[times.length - 1]!.name}`,
        delimiter: p.delimiter,
        decimalComma: p.decimalComma,
        timestampFormat: pattern,
        timeZone: p.timeZone,
        unit,
        intervalMinutes: interval,
        timestampMarks: p.marks,
        filter: null,
        encoding: encodingOf(request.encoding ?? 'utf-8')!,
        channel: channel.kind,
      },
    },
  };
}

/** The one channel of a file that names none: the request's kind, else IMPORT. */
function fixedChannel(request: ReadingsFormatRequest): Channel {
  const kind = request.channel === undefined ? null : kindOfName(request.channel);
  return kind === null ? DEFAULT_CHANNEL : { id: kind, kind };
}

function planNem12(p: Planning): PlanResult {
  return {
    ok: true,
    plan: {
      kind: 'NEM12',
      format: {
        dialect: 'NEM12',
        detected: p.request.dialect === undefined,
        meterColumn: 'NMI',
        timestampColumn: 'IntervalDate',
        valueColumn: 'IntervalValue',
        delimiter: p.delimiter,
        decimalComma: false,
        timestampFormat: 'yyyyMMdd',
        timeZone: NEM_TIME_ZONE,
        unit: 'UOM',
        intervalMinutes: null,
        timestampMarks: 'START',
        filter: null,
        qualityColumn: 'QualityMethod',
        encoding: encodingOf(p.request.encoding ?? 'utf-8')!,
        channel: 'NEM12',
      },
    },
  };
}

function planLong(p: Planning, dialect: LongDialect): PlanResult {
  const { fields, names, request } = p;
  const meter = p.column('meterColumn', request.meterColumn, dialect.meter);
  const timestamp = p.column('timestampColumn', request.timestampColumn, dialect.time);
  const value = p.column('valueColumn', request.valueColumn, dialect.value);
  const filterColumn = request.filter !== undefined ? p.column('filter.column', request.filter.column, '') : null;
  // The channel: a column the request names, else the dialect's series or channel column when the header
  // has it, else one channel for the whole file.
  const channelColumn =
    request.channelColumn !== undefined
      ? p.column('channelColumn', request.channelColumn, '')
      : request.channel === undefined && dialect.series !== null
        ? p.column('series', undefined, dialect.series)
        : request.channel === undefined &&
            dialect.channelColumn !== null &&
            names.includes(dialect.channelColumn.toLowerCase())
          ? p.column('channelColumn', undefined, dialect.channelColumn)
          : null;
  const unitColumn =
    request.unit === undefined && dialect.unitColumn !== null ? p.column('unit', undefined, dialect.unitColumn) : null;
  // A dialect's own status column is kept when the file has it; one the request names must be there.
  const qualityColumn =
    request.qualityColumn !== undefined
      ? p.column('qualityColumn', request.qualityColumn, '')
      : dialect.quality !== null && names.includes(dialect.quality.toLowerCase())
        ? p.column('qualityColumn', undefined, dialect.quality)
        : null;
  const missing = [meter, timestamp, value, filterColumn, unitColumn, qualityColumn, channelColumn].filter(isMissing);
  if (missing.length > 0) return missingColumns(fields, missing);
  const filterValue = request.filter?.value ?? null;
  const channel: ChannelPlan =
    channelColumn === null
      ? { source: 'FIXED', channel: fixedChannel(request) }
      : request.channelColumn === undefined && dialect.series !== null
        ? { source: 'SERIES', column: channelColumn as Column }
        : columnChannel(channelColumn as Column, request);
  const unit = unitOf(request.unit ?? 'kWh')!;
  const pattern = request.timestampFormat ?? dialect.timestampFormat;
  const format: AppliedFormat = {
    dialect: p.dialect,
    detected: request.dialect === undefined,
    meterColumn: (meter as Column).name,
    timestampColumn: (timestamp as Column).name,
    valueColumn: (value as Column).name,
    delimiter: p.delimiter,
    decimalComma: p.decimalComma,
    timestampFormat: pattern,
    timeZone: p.timeZone,
    unit: unitColumn === null ? unit : `column:${(unitColumn as Column).name}`,
    intervalMinutes: p.intervalMinutes,
    timestampMarks: p.marks,
    filter:
      filterColumn === null || filterValue === null
        ? null
        : { column: (filterColumn as Column).name, value: filterValue },
    qualityColumn: qualityColumn === null ? null : (qualityColumn as Column).name,
    encoding: encodingOf(request.encoding ?? 'utf-8')!,
    channel:
      channel.source === 'FIXED'
        ? channel.channel.kind
        : `${channel.source === 'SERIES' ? 'series' : 'column'}:${channel.column.name}`,
  };
  return {
    ok: true,
    plan: {
      kind: 'LONG',
      format,
      // The base format's rows must have the header's width; exports carry trailing empty columns at will.
      width: dialect.fixedWidth && !p.mapped ? fields.length : null,
      meter: meter as Column,
      timestamp: timestamp as Column,
      value: value as Column,
      unitColumn: unitColumn as Column | null,
      unit,
      filter:
        filterColumn === null || filterValue === null ? null : { column: filterColumn as Column, value: filterValue },
      quality: qualityColumn as Column | null,
      channel,
      sequential: dialect.sequential,
      parseTime: timeParser(pattern, (timestamp as Column).name),
    },
  };
}

/** Mapped values a rejected row's reason lists (each rejected row carries it). */
const EXPECTED_SHOWN = 8;

/** A channel column's plan: a value `channelKinds` maps, else a kind's name (any case). */
function columnChannel(column: Column, request: ReadingsFormatRequest): ChannelPlan {
  const mapped = new Map((request.channelKinds ?? []).map(({ value, kind }) => [value.trim(), kind]));
  const names = [...mapped.keys()].slice(0, EXPECTED_SHOWN).map(cut);
  if (mapped.size > EXPECTED_SHOWN) names.push(`${mapped.size - EXPECTED_SHOWN} more`);
  return {
    source: 'COLUMN',
    column,
    channelOf: (text) => {
      const kind = mapped.get(text) ?? kindOfName(text);
      return kind === null ? null : mapped.has(text) ? { id: text, kind } : { id: kind, kind };
    },
    expected:
      names.length > 0
        ? `one of ${names.join(', ')} (format channelKinds) or a kind: IMPORT, EXPORT, REACTIVE_IMPORT, REACTIVE_EXPORT`
        : 'a kind: IMPORT, EXPORT, REACTIVE_IMPORT or REACTIVE_EXPORT (or map other values with format channelKinds)',
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
