/**
 * Facts recorded in the stream of one upload (`upload-<uploadId>`). Payloads are plain JSON, except the
 * readings of `ReadingsAccepted`, which are columnar binary (see `readings-batch.ts`); `toUploadEvent`
 * reads a stored event of any version into this union.
 */
import type { ChannelKind } from './channels';
import type { AppliedFormat } from './format/request';
import { ownValue, type JsonDictionary } from '../json-dictionary';
import { readingsHeaderOf } from './readings-batch';

import type { IntervalSource, RejectedRow } from './vocabulary';

export type { RejectedRow, RejectionCode, RejectionReason } from './vocabulary';

export type FileRejectionCode =
  | 'EMPTY_FILE'
  | 'NOT_TEXT'
  | 'NO_HEADER'
  | 'MISSING_COLUMNS'
  | 'WRONG_DELIMITER'
  | 'LINE_TOO_LONG'
  | 'MALFORMED_CSV'
  | 'INTERRUPTED';

export interface FileReceived {
  type: 'FileReceived';
  data: {
    uploadId: string;
    fileName: string;
    byteSize: number;
    sha256: string | null;
    resolutionMinutes: number;
    timeZone: string;
    uploadedBy: string | null;
    receivedAt: string;
  };
}

/**
 * A batch of accepted readings. The union carries its summary; the readings themselves are in the stored
 * payload (`decodeReadingsBatch`), read only by the projections that bill them.
 */
export interface ReadingsAccepted {
  type: 'ReadingsAccepted';
  data: {
    uploadId: string;
    batch: number;
    count: number;
  };
}

export interface RowsRejected {
  type: 'RowsRejected';
  data: {
    uploadId: string;
    batch: number;
    rows: RejectedRow[];
  };
}

export interface FileValidated {
  type: 'FileValidated';
  data: {
    uploadId: string;
    totalRows: number;
    acceptedRows: number;
    rejectedRows: number;
    /** Accepted rows whose kWh had more than 6 decimals, rounded half up to 6 (absent in older events: 0). */
    roundedRows?: number;
    /** Rows the format's filter left out: other data series of an export (absent in older events: 0). */
    skippedRows?: number;
    /** Rejected rows counted in `rejectedRows` but not listed, beyond the listing's bound (absent: 0). */
    unlistedRejectedRows?: number;
    /** The format applied (absent in older events: the base format). */
    format?: AppliedFormat;
    /**
     * The interval of the upload's meters: `intervalMinutes` for all but those in `otherIntervals`
     * (absent in older events: the server's resolution for all).
     */
    intervalMinutes?: number;
    otherIntervals?: JsonDictionary<number>;
    /** How many meters got each interval, and how it was found. */
    intervals?: IntervalSummary[];
    /** Accepted readings by the export's status or quality mark (`format.qualityColumn`), when it has one. */
    qualityMarks?: QualityMarkCount[];
    /** The channels of the accepted readings (absent in older events: IMPORT only). */
    channels?: ChannelSummary[];
    /** A register's interval where it differs from its meter's, by series key (`MP1#EXPORT#B1`). */
    seriesIntervals?: JsonDictionary<number>;
    /** The series an export's rows were skipped for (absent in older events). */
    skippedSeries?: SkippedSeries[];
    meters: number;
    firstIntervalStart: string | null;
    lastIntervalStart: string | null;
    /** Set when the file is byte-identical to an upload already validated: no readings were appended. */
    duplicateOf: string | null;
    validatedAt: string;
  };
}

/** A channel of an upload's accepted readings. */
export interface ChannelSummary {
  channel: string;
  kind: ChannelKind;
  unit: string;
  meters: number;
  readings: number;
}

/** A series of an export that the service does not keep (volts, amps, power), and its rows. */
export interface SkippedSeries {
  series: string;
  rows: number;
}

export interface QualityMarkCount {
  mark: string;
  readings: number;
}

export interface IntervalSummary {
  minutes: number;
  how: IntervalSource;
  meters: number;
}

/**
 * The interval of a meter's readings in an upload, from its `FileValidated` (`fallback` for older events).
 * Meter ids are outside data (`constructor` is a valid one): only the dictionary's own keys count.
 */
export function meterIntervalOf(data: FileValidated['data'], meter: string, fallback: number): number {
  return ownValue(data.otherIntervals, meter) ?? data.intervalMinutes ?? fallback;
}

/** A register's interval where it differs from its meter's, by series key; undefined for the others. */
export function seriesIntervalOf(data: FileValidated['data'], seriesKey: string): number | undefined {
  return ownValue(data.seriesIntervals, seriesKey);
}

export interface FileRejected {
  type: 'FileRejected';
  data: {
    uploadId: string;
    code: FileRejectionCode;
    reason: string;
    /** Line the problem was found on, when it is one line. */
    line: number | null;
    rejectedAt: string;
  };
}

/** The event log refused a write while the file was being processed: nothing of the upload takes effect. */
export interface UploadFailed {
  type: 'UploadFailed';
  data: {
    uploadId: string;
    reason: string;
    failedAt: string;
  };
}

/** The upload never finished (the server stopped mid-file): found at the next start; nothing takes effect. */
export interface UploadInterrupted {
  type: 'UploadInterrupted';
  data: {
    uploadId: string;
    reason: string;
    interruptedAt: string;
  };
}

export type UploadEvent =
  FileReceived | ReadingsAccepted | RowsRejected | FileValidated | FileRejected | UploadFailed | UploadInterrupted;
export type UploadEventType = UploadEvent['type'];

export const uploadEventTypes: readonly UploadEventType[] = [
  'FileReceived',
  'ReadingsAccepted',
  'RowsRejected',
  'FileValidated',
  'FileRejected',
  'UploadFailed',
  'UploadInterrupted',
];

export const UPLOAD_STREAM_PREFIX = 'upload-';
export const uploadStreamName = (uploadId: string): string => `${UPLOAD_STREAM_PREFIX}${uploadId}`;

export function isUploadEventType(type: string): type is UploadEventType {
  return (uploadEventTypes as readonly string[]).includes(type);
}

/**
 * A stored upload event as a member of the union, whatever version wrote it (the readings of
 * `ReadingsAccepted` are summarised, not decoded). Null for an event type this service does not know.
 */
export function toUploadEvent(stored: { type: string; data: unknown }): UploadEvent | null {
  if (!isUploadEventType(stored.type)) return null;
  if (stored.type === 'ReadingsAccepted') return { type: 'ReadingsAccepted', data: readingsHeaderOf(stored.data) };
  return { type: stored.type, data: stored.data } as UploadEvent;
}
