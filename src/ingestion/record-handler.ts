import { CHANNEL_KINDS, DEFAULT_CHANNEL, unitOfKind, type Channel } from '../domain/readings/channels';
import type { RejectedRow, RejectionReason } from '../domain/readings/events';
import { planFormat, type FormatPlan } from '../domain/readings/format/planning';
import type { MeterClaims } from '../domain/readings/interval-claims';
import { MappedRows } from '../domain/readings/mapped-rows';
import { Nem12Reader, type Nem12Emit } from '../domain/readings/nem12';
import { ReadingsBatchBuilder } from '../domain/readings/readings-batch';
import { FINEST_INTERVAL_MINUTES, RowValidator, type RowOutcome } from '../domain/readings/row-validator';
import type { CsvRecordTarget } from './csv-records';
import { FastRowReader } from './fast-rows';
import { SinkFailure } from './sink-failure';
import type { FileProblem } from './spool';
import {
  DEFAULT_BATCH_LIMITS,
  type BatchLimits,
  type FileValidationResult,
  type ValidationOptions,
  type ValidationSink,
} from './validation-types';

const RAW_LIMIT = 1024;
/** Characters a rejected row's reason keeps (a reason quotes a cell or a column name, the row's raw text is kept whole). */
const REASON_LIMIT = 1024;
/** What a reason costs in an event beside its message (code, field, JSON), for cutting batches by size. */
const REASON_OVERHEAD = 128;

/** The accepted readings of one channel, and its meters. */
interface ChannelTally {
  channel: Channel;
  readings: number;
  meters: Set<string>;
  lastMeter: string;
}

/**
 * The rules every record goes through, in file order: blank lines are skipped, the first other record is
 * the header, then each row is accepted or rejected; accepted readings and rejected rows are batched.
 */
export class RecordHandler implements CsvRecordTarget<FileValidationResult> {
  validator: RowValidator | null = null;
  fast: FastRowReader | null = null;
  /** The format matched to the header; records go through its mapping unless it is the plain base format. */
  plan: FormatPlan | null = null;
  private mapped = false;
  private mappedRows: MappedRows | null = null;
  private nem12: Nem12Reader | null = null;
  private readonly channels = new Map<string, ChannelTally>();
  private lastChannel: ChannelTally | null = null;
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
  /** Rejected rows kept for the listing, and those beyond `maxListedRejectedRows` only counted. */
  private listedRejectedRows = 0;
  unlistedRejectedRows = 0;
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
        resolutionMinutes:
          plan.format.intervalMinutes ?? Math.min(FINEST_INTERVAL_MINUTES, this.options.rules.resolutionMinutes),
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
      if (plan.kind === 'NEM12') this.nem12 = new Nem12Reader(this.validator);
      else if (this.mapped) this.mappedRows = new MappedRows(this.validator);
      if (!this.mapped) this.fast = new FastRowReader(columns, rules, this.options.clock);
      return null;
    }
    if (fields.some(hasReplacementCharacter)) {
      this.totalRows += 1;
      this.reject({ line, raw: toRaw(fields, text), reasons: [encodingReason] });
      return null;
    }
    if (this.nem12 !== null) {
      for (const emit of this.nem12.record(line, fields, toRaw(fields, text))) this.emitted(emit);
      return null;
    }
    const plan = this.plan!;
    const outcomes =
      this.mappedRows !== null && plan.kind !== 'NEM12'
        ? this.mappedRows.validate(line, fields, plan)
        : [this.validator.validate(line, fields)];
    if (outcomes === null) {
      this.skippedRows += 1;
      return null;
    }
    this.outcomes(line, toRaw(fields, text), outcomes);
    return null;
  }

  /** The readings of a record; its bad ones (a WIDE row's cells, a NEM12 day's intervals) rejected as one row. */
  private outcomes(line: number, raw: string, outcomes: readonly RowOutcome[]): void {
    const reasons: RejectionReason[] = [];
    for (const outcome of outcomes) {
      this.totalRows += 1;
      if (outcome.accepted) {
        if (outcome.rounded) this.roundedRows += 1;
        const { meter, startMs, kwhMicro, quality, channel } = outcome.reading;
        this.accept(meter, startMs, kwhMicro, quality, channel);
      } else {
        this.rejectedRows += 1;
        reasons.push(...outcome.reasons);
      }
    }
    if (reasons.length > 0) this.rejectRow({ line, raw, reasons });
  }

  /** What a NEM12 record completed: a day's readings (its null intervals left out), or a rejected record. */
  private emitted(emit: Nem12Emit): void {
    this.skippedRows += emit.nullIntervals;
    this.outcomes(emit.line, emit.raw, emit.outcomes);
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

  private accept(meter: string, startMs: number, kwhMicro: number, quality = '', channel?: Channel): void {
    this.acceptedRows += 1;
    this.builder.add(meter, startMs, kwhMicro, quality, channel);
    if (quality !== '') this.qualityMarks.set(quality, (this.qualityMarks.get(quality) ?? 0) + 1);
    const of = channel ?? DEFAULT_CHANNEL;
    // Rows come in runs of one meter's channel: the last one's tally is kept at hand.
    let seen = this.lastChannel;
    if (seen === null || seen.channel !== of) {
      const key = `${of.kind}\u0000${of.id}`;
      seen = this.channels.get(key) ?? null;
      if (seen === null) {
        seen = { channel: of, readings: 0, meters: new Set(), lastMeter: '' };
        this.channels.set(key, seen);
      }
      this.lastChannel = seen;
    }
    seen.readings += 1;
    if (seen.lastMeter !== meter) {
      seen.meters.add(meter);
      seen.lastMeter = meter;
    }
  }

  private reject(row: RejectedRow): void {
    this.rejectedRows += 1;
    this.rejectRow(row);
  }

  /** Keeps a rejected row for the next batch (its readings counted by the caller). */
  private rejectRow(row: RejectedRow): void {
    if (this.listedRejectedRows >= (this.options.maxListedRejectedRows ?? Number.POSITIVE_INFINITY)) {
      this.unlistedRejectedRows += 1; // counted, not kept: the listing of one file is bounded
      return;
    }
    this.listedRejectedRows += 1;
    const kept = boundedReasons(row);
    this.rejected.push(kept);
    this.rejectedBytes += kept.raw.length;
    for (const reason of kept.reasons) this.rejectedBytes += REASON_OVERHEAD + reason.message.length;
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
    if (this.nem12 !== null) for (const emit of this.nem12.finish()) this.emitted(emit);
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
      unlistedRejectedRows: this.unlistedRejectedRows,
      meters: intervals.size,
      firstIntervalStart: range?.first ?? null,
      lastIntervalStart: range?.last ?? null,
      format: plan.format,
      meterIntervals: [...intervals].map(([meter, interval]) => ({ meter, ...interval })),
      qualityMarks: [...this.qualityMarks]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([mark, readings]) => ({ mark, readings })),
      channels: [...this.channels.values()]
        .map(({ channel, readings, meters }) => ({
          channel: channel.id,
          kind: channel.kind,
          unit: unitOfKind(channel.kind),
          meters: meters.size,
          readings,
        }))
        .sort(
          (a, b) =>
            CHANNEL_KINDS.indexOf(a.kind) - CHANNEL_KINDS.indexOf(b.kind) ||
            (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0),
        ),
      seriesIntervals: this.validator.seriesIntervals(
        intervals,
        plan.format.intervalMinutes,
        this.options.defaultIntervalMinutes ?? FINEST_INTERVAL_MINUTES,
      ),
      skippedSeries: [...(this.mappedRows?.skippedSeries ?? [])]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([series, rows]) => ({ series, rows })),
    };
  }
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
    plan.filter === null &&
    plan.channel.source === 'FIXED' &&
    plan.channel.channel.kind === DEFAULT_CHANNEL.kind &&
    plan.channel.channel.id === DEFAULT_CHANNEL.id
  );
}

const encodingReason: RejectionReason = {
  code: 'ENCODING_INVALID',
  message:
    'the row is not valid UTF-8 text; if the file is in another encoding, upload it with format: { encoding: "windows-1252" } (or "iso-8859-1", "iso-8859-15")',
};

/**
 * The row with each reason's message and field cut to `REASON_LIMIT`: a reason quotes what the file
 * wrote (a cell, a header's column name), so without a cut one long name would be copied into every
 * rejected row's reason.
 */
function boundedReasons(row: RejectedRow): RejectedRow {
  const long = (text: string | undefined) => text !== undefined && text.length > REASON_LIMIT;
  if (!row.reasons.some((reason) => long(reason.message) || long(reason.field))) return row;
  const cut = (text: string) => (text.length > REASON_LIMIT ? `${text.slice(0, REASON_LIMIT)}…` : text);
  return {
    ...row,
    reasons: row.reasons.map((reason) => ({
      ...reason,
      message: cut(reason.message),
      ...(reason.field === undefined ? {} : { field: cut(reason.field) }),
    })),
  };
}

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
      ? written.replace(/(?<![\r\n])[\r\n]+$/, '') // only from a run's start: 60,000 bare CRs mid-row are read once
      : fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',');
  return text.length > RAW_LIMIT ? text.slice(0, RAW_LIMIT) : text;
}
