/**
 * Facts recorded in the stream of one upload (`upload-<uploadId>`). Payloads are plain JSON.
 * A reading is a tuple to keep large batches compact: [meter id, interval start (epoch ms, UTC), kWh].
 */

export type ReadingTuple = [meter: string, startMs: number, kwh: number];

export interface RejectionReason {
  code: RejectionCode;
  message: string;
  field?: string;
}

export interface RejectedRow {
  line: number;
  /** The row as it appeared in the file, cut to 1 KiB. */
  raw: string;
  reasons: RejectionReason[];
}

export type RejectionCode =
  | 'FIELD_COUNT'
  | 'METER_ID_MISSING'
  | 'METER_ID_INVALID'
  | 'TIMESTAMP_MISSING'
  | 'TIMESTAMP_INVALID'
  | 'TIMESTAMP_NONEXISTENT'
  | 'TIMESTAMP_AMBIGUOUS'
  | 'TIMESTAMP_OFF_GRID'
  | 'KWH_MISSING'
  | 'KWH_INVALID'
  | 'KWH_NEGATIVE'
  | 'KWH_TOO_LARGE'
  | 'KWH_PRECISION'
  | 'DUPLICATE_READING'
  | 'ENCODING_INVALID'
  | 'MALFORMED_CSV'
  | 'LINE_TOO_LONG';

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

export interface ReadingsAccepted {
  type: 'ReadingsAccepted';
  data: {
    uploadId: string;
    batch: number;
    readings: ReadingTuple[];
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
    meters: number;
    firstIntervalStart: string | null;
    lastIntervalStart: string | null;
    /** Set when the file is byte-identical to an upload already validated: no readings were appended. */
    duplicateOf: string | null;
    validatedAt: string;
  };
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

export type UploadEvent = FileReceived | ReadingsAccepted | RowsRejected | FileValidated | FileRejected;
export type UploadEventType = UploadEvent['type'];

export const uploadEventTypes: readonly UploadEventType[] = [
  'FileReceived',
  'ReadingsAccepted',
  'RowsRejected',
  'FileValidated',
  'FileRejected',
];

export const UPLOAD_STREAM_PREFIX = 'upload-';
export const uploadStreamName = (uploadId: string): string => `${UPLOAD_STREAM_PREFIX}${uploadId}`;

export function isUploadEvent(event: { type: string }): event is UploadEvent {
  return (uploadEventTypes as readonly string[]).includes(event.type);
}
