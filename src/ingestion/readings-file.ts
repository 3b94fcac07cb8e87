import { createReadStream } from 'node:fs';
import type { QualityMarkCount, RejectedRow, RejectionReason } from '../domain/readings/events';
import { planFormat, type FormatPlan } from '../domain/readings/format/planning';
import type { AppliedFormat, ReadingsFormatRequest } from '../domain/readings/format/request';
import { ReadingsBatchBuilder, type ReadingsColumns } from '../domain/readings/readings-batch';
import type { MeterClaims } from '../domain/readings/interval-claims';
import { FINEST_INTERVAL_MINUTES, RowValidator, type ValidationRules } from '../domain/readings/row-validator';
import type { IntervalSource } from '../domain/readings/vocabulary';
import type { ZonedClock } from '../domain/time/zoned-time';
import { parseWithCsv, type CsvRecordTarget } from './csv-records';
import { FastRowReader } from './fast-rows';
import { SinkFailure } from './sink-failure';
import { splitQuotedLine, type FileLayout, type FileProblem } from './spool';

export interface ValidationSink {
  accepted(readings: ReadingsColumns): Promise<void>;
  rejected(rows: RejectedRow[]): Promise<void>;
}

export type FileValidationResult =
  | { kind: 'rejected'; problem: FileProblem }
  | {
      kind: 'validated';
      totalRows: number;
      acceptedRows: number;
      rejectedRows: number;
      roundedRows: number;
      /** Rows the format's filter left out (other data series of an export): neither accepted nor rejected. */
      skippedRows: number;
      meters: number;
      firstIntervalStart: number | null;
      lastIntervalStart: number | null;
      format: AppliedFormat;
      /** Each meter's interval and how it was found. */
      meterIntervals: Array<{ meter: string; minutes: number; how: IntervalSource }>;
      /** Accepted readings by the export's status or quality mark, ascending by mark (empty without marks). */
      qualityMarks: QualityMarkCount[];
    };

export interface BatchLimits {
  readingsPerEvent: number;
  rejectedRowsPerEvent: number;
  /** Raw text of rejected rows per event, so an event stays far below 1 MiB. */
  rejectedBytesPerEvent: number;
}

/** 50,000 readings are about 500 KB of binary: half of EventStoreDB's 1 MiB append limit. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  readingsPerEvent: 50_000,
  rejectedRowsPerEvent: 500,
  rejectedBytesPerEvent: 256 * 1024,
};

export interface ValidationOptions {
  clock: ZonedClock;
  rules: ValidationRules;
  batch?: BatchLimits;
  maxRecordBytes: number;
  /** From the spool: a file with one record per line is read by the fast scanner; without it, csv-parse reads it. */
  layout?: FileLayout;
  /** How the file is laid out (dialect, columns, conventions); the base format by default. */
  format?: ReadingsFormatRequest;
  /** Interval of a meter with a single reading when none is declared. */
  defaultIntervalMinutes?: number;
}

const RAW_LIMIT = 1024;

/**
 * Reads a landed CSV file through the row rules, handing accepted readings and rejected rows to the sink
 * in batches. A file without quotes and with one kind of line end has one record per line, and goes
 * through the fast scanner; any other file, and any row the scanner is not sure of, goes through
 * csv-parse's fields and the same rules, so reasons and line numbers are the same either way. Memory
 * stays bounded by one batch plus the per-file duplicate index. A failed sink write throws `SinkFailure`.
 */
export function validateReadingsFile(
  path: string,
  options: ValidationOptions,
  sink: ValidationSink,
): Promise<FileValidationResult> {
  const records = new RecordHandler(options, sink);
  const layout = options.layout;
  const delimiter = options.format?.delimiter ?? ',';
  const validation =
    delimiter === ',' && layout !== undefined && layout.quotes !== 'irregular' && layout.lineEnding !== 'mixed'
      ? scanLines(path, layout.lineEnding, records)
      : parseWithCsv(path, options.maxRecordBytes, records, delimiter);
  return validation.finally(() => records.validator?.releaseClaims());
}

/**
 * The rules every record goes through, in file order: blank lines are skipped, the first other record is
 * the header, then each row is accepted or rejected; accepted readings and rejected rows are batched.
 */
class RecordHandler implements CsvRecordTarget<FileValidationResult> {
  validator: RowValidator | null = null;
  fast: FastRowReader | null = null;
  /** The format matched to the header; records go through its mapping unless it is the plain base format. */
  plan: FormatPlan | null = null;
  private mapped = false;
  /** The validator's claims of each meter the fast reader met, by its meter key. */
  readonly fastClaims: MeterClaims[] = [];
  private readonly builder: ReadingsBatchBuilder;
  private readonly limits: BatchLimits;
  private rejected: RejectedRow[] = [];
  private rejectedBytes = 0;
  totalRows = 0;
  acceptedRows = 0;
  rejectedRows = 0;
  roundedRows = 0;
  skippedRows = 0;
  private readonly qualityMarks = new Map<string, number>();

  constructor(
    private readonly options: ValidationOptions,
    private readonly sink: ValidationSink,
  ) {
    this.limits = options.batch ?? DEFAULT_BATCH_LIMITS;
    this.builder = new ReadingsBatchBuilder(this.limits.readingsPerEvent);
  }

  /** Whether the header has been read. */
  get started(): boolean {
    return this.validator !== null;
  }

  /**
   * Handles one record; a problem when it was meant as the header and is not one. `text` is the record
   * as the file wrote it (kept as a rejected row's raw text); without it the fields are joined again.
   */
  record(line: number, fields: readonly string[], text?: string): FileProblem | null {
    if (fields.length === 1 && (fields[0] ?? '').trim() === '') return null; // blank line
    if (this.validator === null) {
      const header = planFormat(fields, this.options.format ?? {}, {
        timeZone: this.options.clock.timeZone,
        delimiter: (this.options.format?.delimiter ?? ',') as ',' | ';' | '\t',
      });
      if (!header.ok) return { code: header.code, line, reason: header.reason };
      const plan = header.plan;
      this.plan = plan;
      const rules = {
        ...this.options.rules,
        resolutionMinutes: plan.format.intervalMinutes ?? FINEST_INTERVAL_MINUTES,
      };
      const columns =
        plan.kind === 'LONG'
          ? {
              meter: plan.meter.index,
              timestamp: plan.timestamp.index,
              kwh: plan.value.index,
              width: plan.width ?? fields.length,
            }
          : { meter: 0, timestamp: 1, kwh: 2, width: fields.length };
      this.validator = new RowValidator(columns, rules, this.options.clock);
      this.mapped = !isPlainBase(plan);
      if (!this.mapped) this.fast = new FastRowReader(columns, rules, this.options.clock);
      return null;
    }
    if (fields.some(hasReplacementCharacter)) {
      this.totalRows += 1;
      this.reject({ line, raw: toRaw(fields, text), reasons: [encodingReason] });
      return null;
    }
    const outcomes = this.mapped
      ? this.validator.validateMapped(line, fields, this.plan!)
      : [this.validator.validate(line, fields)];
    if (outcomes === null) {
      this.skippedRows += 1;
      return null;
    }
    // A WIDE row gives a reading a cell: its bad cells are rejected together, as one row of reasons.
    const reasons: RejectionReason[] = [];
    for (const outcome of outcomes) {
      this.totalRows += 1;
      if (outcome.accepted) {
        if (outcome.rounded) this.roundedRows += 1;
        const { meter, startMs, kwhMicro, quality } = outcome.reading;
        this.accept(meter, startMs, kwhMicro, quality);
      } else {
        this.rejectedRows += 1;
        reasons.push(...outcome.reasons);
      }
    }
    if (reasons.length > 0) this.rejectRow({ line, raw: toRaw(fields, text), reasons });
    return null;
  }

  /** A row read and checked by the fast scanner, counted here like any other. */
  acceptFast(meter: string, startMs: number, kwhMicro: number): void {
    this.totalRows += 1;
    this.accept(meter, startMs, kwhMicro);
  }

  /** A row csv-parse could not read: rejected as a whole, with what the parser had read of it. */
  unreadable(line: number, message: string, text = ''): void {
    this.totalRows += 1;
    this.reject({ line, raw: toRaw([], text), reasons: [{ code: 'MALFORMED_CSV', message }] });
  }

  private accept(meter: string, startMs: number, kwhMicro: number, quality = ''): void {
    this.acceptedRows += 1;
    this.builder.add(meter, startMs, kwhMicro, quality);
    if (quality !== '') this.qualityMarks.set(quality, (this.qualityMarks.get(quality) ?? 0) + 1);
  }

  private reject(row: RejectedRow): void {
    this.rejectedRows += 1;
    this.rejectRow(row);
  }

  /** Keeps a rejected row for the next batch (its readings counted by the caller). */
  private rejectRow(row: RejectedRow): void {
    this.rejected.push(row);
    this.rejectedBytes += row.raw.length + 200 * row.reasons.length;
  }

  /** Whether a batch is due: checked after every record, so both paths cut batches at the same rows. */
  get due(): boolean {
    return this.builder.full || this.rejectedFull;
  }

  private get rejectedFull(): boolean {
    return (
      this.rejected.length >= this.limits.rejectedRowsPerEvent ||
      this.rejectedBytes >= this.limits.rejectedBytesPerEvent
    );
  }

  /** Hands full batches to the sink (all of them when `all`), accepted readings first. */
  async flush(all = false): Promise<void> {
    try {
      if (this.builder.full || (all && this.builder.length > 0)) await this.sink.accepted(this.builder.take());
      if (this.rejectedFull || (all && this.rejected.length > 0)) {
        const full = this.rejected;
        this.rejected = [];
        this.rejectedBytes = 0;
        await this.sink.rejected(full);
      }
    } catch (error) {
      throw new SinkFailure(error);
    }
  }

  async result(): Promise<FileValidationResult> {
    if (this.validator === null) {
      return { kind: 'rejected', problem: { code: 'EMPTY_FILE', line: null, reason: 'the file has no header line' } };
    }
    await this.flush(true);
    const range = this.validator.intervalRange;
    const plan = this.plan!;
    const intervals = this.validator.meterIntervals(
      plan.format.intervalMinutes,
      this.options.defaultIntervalMinutes ?? FINEST_INTERVAL_MINUTES,
    );
    return {
      kind: 'validated',
      totalRows: this.totalRows,
      acceptedRows: this.acceptedRows,
      roundedRows: this.roundedRows,
      rejectedRows: this.rejectedRows,
      skippedRows: this.skippedRows,
      meters: intervals.size,
      firstIntervalStart: range?.first ?? null,
      lastIntervalStart: range?.last ?? null,
      format: plan.format,
      meterIntervals: [...intervals].map(([meter, interval]) => ({ meter, ...interval })),
      qualityMarks: [...this.qualityMarks]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([mark, readings]) => ({ mark, readings })),
    };
  }
}

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * The fast path: one record per line, split at commas (quoted fields, which the spool found to open and
 * close on their line, are unquoted as csv-parse does). Rows the fast reader accepts are claimed in the
 * validator's duplicate index; every other line (and the header) is decoded and handed to the rules.
 */
async function scanLines(
  path: string,
  lineEnding: 'LF' | 'CRLF',
  records: RecordHandler,
): Promise<FileValidationResult> {
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const trim = lineEnding === 'CRLF' ? 1 : 0;
  let line = 1;
  let carry: Buffer | null = null;
  let first = true;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let buffer: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      if (first) {
        first = false;
        if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) buffer = buffer.subarray(3);
      }
      const last = buffer.lastIndexOf(LF);
      if (last === -1) {
        carry = buffer;
        continue;
      }
      let start = 0;
      let quote = buffer.indexOf(QUOTE);
      while (start <= last) {
        let end = start;
        while (buffer[end] !== LF) end++; // lines are short: a loop beats a native call per line
        if (quote !== -1 && quote < start) quote = buffer.indexOf(QUOTE, start);
        const quoted = quote !== -1 && quote < end;
        const problem = handleLine(buffer, start, end - trim, line, records, quoted);
        if (problem !== null) return { kind: 'rejected', problem };
        if (records.due) await records.flush();
        line += 1;
        start = end + 1;
      }
      carry = start < buffer.length ? buffer.subarray(start) : null;
    }
    if (carry !== null && carry.length > 0) {
      const end = trim === 1 && carry[carry.length - 1] === 0x0d ? carry.length - 1 : carry.length;
      const problem = handleLine(carry, 0, end, line, records, carry.includes(QUOTE));
      if (problem !== null) return { kind: 'rejected', problem };
    }
  } finally {
    input.destroy();
  }
  return records.result();
}

function handleLine(
  buffer: Buffer,
  start: number,
  end: number,
  line: number,
  records: RecordHandler,
  quoted: boolean,
): FileProblem | null {
  if (quoted) {
    const text = buffer.toString('utf8', start, end);
    return records.record(line, splitQuotedLine(text), text);
  }
  const fast = records.fast;
  if (fast !== null && fast.read(buffer, start, end)) {
    const validator = records.validator!;
    const claims = (records.fastClaims[fast.meterKey] ??= validator.claimsOf(fast.meter));
    if (validator.claimIn(claims, fast.startMs, line) === 0) {
      records.acceptFast(fast.meter, fast.startMs, fast.kwhMicro);
      return null;
    }
  }
  const text = buffer.toString('utf8', start, end);
  return records.record(line, text.split(','), text);
}

/**
 * The base format with no mapping or conventions changed: the fast scanner and the base rules read it
 * (`planFormat` gives a width only to the base dialect's own columns, unmapped).
 */
function isPlainBase(plan: FormatPlan): boolean {
  if (plan.kind !== 'LONG') return false;
  const f = plan.format;
  return (
    f.dialect === 'BASE' &&
    plan.width !== null &&
    plan.unitColumn === null &&
    f.unit === 'kWh' &&
    !f.decimalComma &&
    f.timestampFormat === 'ISO' &&
    f.timestampMarks === 'START' &&
    plan.filter === null
  );
}

const encodingReason: RejectionReason = {
  code: 'ENCODING_INVALID',
  message:
    'the row is not valid UTF-8 text; if the file is in another encoding, upload it with format: { encoding: "windows-1252" } (or "iso-8859-1", "iso-8859-15")',
};

function hasReplacementCharacter(field: string): boolean {
  return field.includes('\uFFFD');
}

/**
 * A rejected row's text as the file wrote it (its line end left off), cut to 1 KiB; without the text, the
 * fields written back as CSV.
 */
function toRaw(fields: readonly string[], written?: string): string {
  const text =
    written !== undefined
      ? written.replace(/[\r\n]+$/, '')
      : fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',');
  return text.length > RAW_LIMIT ? text.slice(0, RAW_LIMIT) : text;
}
