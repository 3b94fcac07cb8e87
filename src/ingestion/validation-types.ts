/** What reading a landed file takes and gives: its options, batch limits, sink and result. */
import type { ChannelSummary, QualityMarkCount, RejectedRow, SkippedSeries } from '../domain/readings/events';
import type { AppliedFormat, ReadingsFormatRequest } from '../domain/readings/format/request';
import type { ReadingsColumns } from '../domain/readings/readings-batch';
import type { ValidationRules } from '../domain/readings/row-validator';
import type { IntervalSource } from '../domain/readings/vocabulary';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { FileLayout, FileProblem } from './spool';

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
      /** Rejected rows beyond `maxListedRejectedRows`: counted in `rejectedRows`, not listed. */
      unlistedRejectedRows: number;
      meters: number;
      firstIntervalStart: number | null;
      lastIntervalStart: number | null;
      format: AppliedFormat;
      /** Each meter's interval and how it was found. */
      meterIntervals: Array<{ meter: string; minutes: number; how: IntervalSource }>;
      /** Accepted readings by the export's status or quality mark, ascending by mark (empty without marks). */
      qualityMarks: QualityMarkCount[];
      /** The channels of the accepted readings, by kind then id. */
      channels: ChannelSummary[];
      /** The series of an export the service does not keep (volts, amps, power), with their rows. */
      skippedSeries: SkippedSeries[];
      /** A register's interval where it differs from its meter's, by series key. */
      seriesIntervals: Map<string, number>;
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
  /** Rejected rows of one file kept with their reasons (the rest are counted only); unbounded when absent. */
  maxListedRejectedRows?: number;
}
