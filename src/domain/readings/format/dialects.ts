/**
 * The dialects a readings file may be written in, as data: how each is recognised from its header row and
 * what it means by default. A new dialect is one entry here (and, for a new layout, one planner in
 * `planning.ts`); `DIALECTS` (request.ts) names them, and the table must have an entry for each.
 */
import type { Dialect } from './request';

/** A WIDE sheet's time-of-day column (`0:00`, `13:30`). */
export const WIDE_TIME = /^(\d{1,2}):(\d{2})$/;

/** The base format's columns: `metering_point_id,timestamp,kwh`, any order, any case. */
export const BASE_COLUMNS: readonly string[] = ['metering_point_id', 'timestamp', 'kwh'];

/** A dialect of one reading a row. Column names are as the dialect's header writes them. */
export interface LongDialect {
  layout: 'LONG';
  meter: string;
  time: string;
  value: string;
  /** How its timestamps are written (a `timestampFormat`). */
  timestampFormat: string;
  /**
   * The column naming each row's series, when the file mixes several (the meter exports' `Data Type`):
   * each energy series is a channel (`Import Wh Total`: IMPORT, `Export varh Total`: REACTIVE_EXPORT...),
   * and the rows of other series (volts, amps, power) are skipped.
   */
  series: string | null;
  /** A column naming each row's channel by a kind's name, used when the header has it. */
  channelColumn: string | null;
  /** A column naming each row's unit, or null: the request's unit (kWh by default). */
  unitColumn: string | null;
  /** A status or quality column, kept with each reading when the file has it. */
  quality: string | null;
  /** Rows of a meter go forward in time (the meter exports write them in order). */
  sequential: boolean;
  /** Every row has the header's width (unless the request maps the columns itself). */
  fixedWidth: boolean;
}

/**
 * AEMO's Meter Data File Format, NEM12: nested records, not a table. `100` opens a block, `200` a channel
 * (NMI, suffix, unit, interval length), each `300` is one day of interval values with its quality,
 * `400` marks intervals of a variable-quality day, `500` is B2B detail, `900` ends the block.
 */
export interface Nem12Dialect {
  layout: 'NEM12';
}

/** A dialect of one meter-day a row and a column per interval (`Meter,Date,0:00,0:30,...`). */
export interface WideDialect {
  layout: 'WIDE';
  meter: string;
  date: string;
  /** How its date cells are written (a `timestampFormat` with year, month and day). */
  timestampFormat: string;
}

export type DialectEntry = (LongDialect | WideDialect | Nem12Dialect) & {
  /** Whether a header row (names trimmed and lower-cased) is written in this dialect. */
  recognizes(names: readonly string[]): boolean;
};

const hasColumns =
  (...wanted: string[]) =>
  (names: readonly string[]): boolean =>
    wanted.every((name) => names.includes(name));

export const DIALECT_TABLE: Readonly<Record<Dialect, DialectEntry>> = {
  BASE: {
    layout: 'LONG',
    recognizes: hasColumns(...BASE_COLUMNS),
    meter: 'metering_point_id',
    time: 'timestamp',
    value: 'kwh',
    timestampFormat: 'ISO',
    series: null,
    channelColumn: 'channel',
    unitColumn: null,
    quality: null,
    sequential: false,
    fixedWidth: true,
  },
  LP: {
    layout: 'LONG',
    recognizes: hasColumns('meterpoint code', 'date/time', 'data type', 'data value', 'units'),
    meter: 'MeterPoint Code',
    time: 'Date/Time',
    value: 'Data Value',
    timestampFormat: 'd/M/yyyy H:mm[:ss]',
    series: 'Data Type',
    channelColumn: null,
    unitColumn: 'Units',
    quality: 'Status',
    sequential: true,
    fixedWidth: false,
  },
  TOU: {
    layout: 'LONG',
    recognizes: hasColumns('metercode', 'datetime', 'datatype', 'energy', 'units'),
    meter: 'MeterCode',
    time: 'DateTime',
    value: 'Energy',
    timestampFormat: 'd/M/yyyy H:mm[:ss]',
    series: 'DataType',
    channelColumn: null,
    unitColumn: 'Units',
    quality: 'Quality',
    sequential: true,
    fixedWidth: false,
  },
  WIDE: {
    layout: 'WIDE',
    recognizes: (names) =>
      names[0] === 'meter' && names[1] === 'date' && names.length > 2 && names.slice(2).every((n) => WIDE_TIME.test(n)),
    meter: 'Meter',
    date: 'Date',
    timestampFormat: 'yyyy-MM-dd',
  },
  NEM12: {
    layout: 'NEM12',
    recognizes: (names) => names[0] === '100' && names[1] === 'nem12',
  },
};
