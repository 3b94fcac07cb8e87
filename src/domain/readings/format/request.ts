/**
 * What a caller may say about a readings file's layout (the request), what was applied (echoed in the
 * receipt), and the checks that refuse a request that cannot apply to any file. Pure: no clock, no I/O.
 */
import { CHANNEL_KINDS, kindOfName, type ChannelKind } from '../channels';
import { patternCostProblem } from '../pattern-cost';
import { PATTERN_LIMITS, timestampPatternProblem } from './times';

export const DIALECTS = ['BASE', 'LP', 'TOU', 'WIDE', 'NEM12'] as const;
export type Dialect = (typeof DIALECTS)[number];
/** Active energy units, then reactive ones (a reactive channel's readings are kept in kvarh). */
export const UNITS = ['kWh', 'Wh', 'MWh', 'kvarh', 'varh', 'Mvarh'] as const;
export type EnergyUnit = (typeof UNITS)[number];
/** Whether a unit measures reactive energy (varh) rather than active energy (Wh). */
export const isReactiveUnit = (unit: EnergyUnit): boolean => unit.endsWith('varh');
export const INTERVALS = [5, 15, 30, 60] as const;
export type TimestampMarks = 'START' | 'END';
export type Delimiter = ',' | ';' | '\t';
/**
 * Text encodings a file may be in (WHATWG names, as TextDecoder knows them). Spreadsheet programs on
 * Windows save CSV as Windows-1252; ISO-8859-1 is read as Windows-1252, as browsers do.
 */
export const ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-1', 'iso-8859-15'] as const;
export type TextEncodingName = (typeof ENCODINGS)[number];

// A Map: the name is the caller's, and `{}['constructor']` is not an encoding.
const ENCODING_ALIASES = new Map<string, TextEncodingName>([
  ['utf8', 'utf-8'],
  ['cp1252', 'windows-1252'],
  ['latin1', 'iso-8859-1'],
]);

/** The encoding a request names (any case; `latin1` and `cp1252` as aliases), or null. */
export function encodingOf(text: string): TextEncodingName | null {
  const lower = text.trim().toLowerCase();
  return ENCODING_ALIASES.get(lower) ?? ENCODINGS.find((name) => name === lower) ?? null;
}

/**
 * What one format may ask, so that no request makes the work per row (or before the first row) grow
 * beyond the row's own size: the timestamp pattern's bounds (`PATTERN_LIMITS`), and bounds that keep
 * each reason, receipt and claim key short.
 */
export const FORMAT_LIMITS = {
  ...PATTERN_LIMITS,
  /** Characters of a column name, a filter value, a channel value, a time zone, a unit or an encoding. */
  text: 256,
  /** Entries of `channelKinds`. */
  channelKinds: 64,
  /** The highest column position a format may name. */
  columnIndex: 100_000,
} as const;

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
  /** A column naming each row's channel: a kind's name, or a value `channelKinds` maps to a kind. */
  channelColumn?: ColumnRef;
  /** How `channelColumn`'s values map to kinds (the value is the channel's id). */
  channelKinds?: Array<{ value: string; kind: ChannelKind }>;
  /** The one channel (a kind's name) of a file that names none: IMPORT by default. */
  channel?: string;
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
  /**
   * Where each reading's channel comes from: `column:<name>` (a channel column), `series:<name>` (an
   * export's energy series), `NEM12` (its 200 records), or the one channel's kind. Absent in uploads made
   * before channels were kept: IMPORT.
   */
  channel?: string;
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
  checkFormatBounds(request);
  if (request.dialect !== undefined && !DIALECTS.includes(request.dialect))
    throw new FormatError('dialect', `dialect '${request.dialect}' is not one of ${DIALECTS.join(', ')}`);
  if (request.delimiter !== undefined && ![',', ';', '\t'].includes(request.delimiter))
    throw new FormatError('delimiter', `delimiter '${request.delimiter}' must be ',', ';' or a tab`);
  if (request.encoding !== undefined && encodingOf(request.encoding) === null)
    throw new FormatError('encoding', `encoding '${request.encoding}' is not one of ${ENCODINGS.join(', ')}`);
  if (request.unit !== undefined && unitOf(request.unit) === null)
    throw new FormatError('unit', `unit '${request.unit}' is not one of ${UNITS.join(', ')}`);
  if (request.intervalMinutes !== undefined && !(INTERVALS as readonly number[]).includes(request.intervalMinutes))
    throw new FormatError('intervalMinutes', `intervalMinutes must be 5, 15, 30 or 60, got ${request.intervalMinutes}`);
  if (request.timeZone !== undefined && !isValidTimeZone(request.timeZone))
    throw new FormatError('timeZone', `timeZone '${request.timeZone}' is not an IANA time zone`);
  if (request.timestampMarks === 'END' && request.intervalMinutes === undefined)
    throw new FormatError(
      'timestampMarks',
      'timestampMarks END needs intervalMinutes: an interval end says nothing of its start otherwise',
    );
  if (request.timestampFormat !== undefined && !EPOCH_FORMATS.includes(request.timestampFormat)) {
    const problem = timestampPatternProblem(request.timestampFormat);
    if (problem !== null) throw new FormatError('timestampFormat', `timestampFormat ${problem}`);
    if (
      !/[yY]/.test(request.timestampFormat) ||
      !/M/.test(request.timestampFormat) ||
      !/d/.test(request.timestampFormat)
    )
      throw new FormatError(
        'timestampFormat',
        `timestampFormat '${request.timestampFormat}' must be ISO, EPOCH_S, EPOCH_MS or a pattern with year, month and day (yyyy, MM, dd)`,
      );
    const costly = patternCostProblem(request.timestampFormat);
    if (costly !== null) throw new FormatError('timestampFormat', costly);
  }
  if (request.channel !== undefined && kindOfName(request.channel) === null)
    throw new FormatError('channel', `channel '${request.channel}' is not one of ${CHANNEL_KINDS.join(', ')}`);
  if (request.channelKinds !== undefined && request.channelColumn === undefined)
    throw new FormatError('channelKinds', 'channelKinds maps the values of channelColumn: name the column too');
  checkChannelKindsOnce(request.channelKinds ?? []);
  if (request.channelColumn !== undefined && request.channel !== undefined)
    throw new FormatError('channel', 'name either one channel for the whole file or a channelColumn, not both');
}

/**
 * Each value is mapped once and is not blank: a value given two kinds was read as the last one named,
 * silently, and a blank one maps nothing a trimmed cell can hold.
 */
function checkChannelKindsOnce(kinds: ReadonlyArray<{ value: string; kind: string }>): void {
  const first = new Map<string, number>();
  kinds.forEach(({ value }, i) => {
    const field = `channelKinds[${i}].value`;
    const key = value.trim();
    if (key === '') throw new FormatError(field, `${field} is empty; give a value of the channel column, such as E1`);
    const earlier = first.get(key);
    if (earlier !== undefined)
      throw new FormatError(
        field,
        `${field} '${key}' is mapped already by channelKinds[${earlier}]; map each value of the channel column once`,
      );
    first.set(key, i);
  });
}

/** Refuses text fields and lists over `FORMAT_LIMITS`, and column names that name nothing, before any other check. */
function checkFormatBounds(request: ReadingsFormatRequest): void {
  const texts: Array<[string, string | undefined]> = [
    ['delimiter', request.delimiter],
    ['timeZone', request.timeZone],
    ['unit', request.unit],
    ['encoding', request.encoding],
    ['channel', request.channel],
    ['filter.value', request.filter?.value],
  ];
  for (const [field, ref] of columnRefsOf(request)) {
    if (ref === undefined) continue;
    if ('name' in ref) {
      texts.push([field, ref.name]);
      if (ref.name.trim() === '')
        throw new FormatError(field, `${field} is empty; name a column of the header, or give its 1-based position`);
    } else if (!(Number.isSafeInteger(ref.index) && ref.index >= 1 && ref.index <= FORMAT_LIMITS.columnIndex))
      throw new FormatError(
        field,
        `${field} ${ref.index} must be a column position from 1 to ${FORMAT_LIMITS.columnIndex}`,
      );
  }
  const kinds = request.channelKinds ?? [];
  if (kinds.length > FORMAT_LIMITS.channelKinds)
    throw new FormatError(
      'channelKinds',
      `channelKinds has ${kinds.length} entries; at most ${FORMAT_LIMITS.channelKinds} are allowed`,
    );
  kinds.forEach(({ value }, i) => texts.push([`channelKinds[${i}].value`, value]));
  for (const [field, text] of texts) {
    if (text !== undefined && text.length > FORMAT_LIMITS.text)
      throw new FormatError(
        field,
        `${field} is ${text.length} characters long; at most ${FORMAT_LIMITS.text} are allowed`,
      );
  }
}

/** Every column a request may name, with its field's name. */
function columnRefsOf(request: ReadingsFormatRequest): Array<readonly [string, ColumnRef | undefined]> {
  return [
    ['meterColumn', request.meterColumn],
    ['timestampColumn', request.timestampColumn],
    ['valueColumn', request.valueColumn],
    ['filter.column', request.filter?.column],
    ['qualityColumn', request.qualityColumn],
    ['channelColumn', request.channelColumn],
  ];
}

export function unitOf(text: string): EnergyUnit | null {
  const lower = text.trim().toLowerCase();
  return UNITS.find((unit) => unit.toLowerCase() === lower) ?? null;
}
