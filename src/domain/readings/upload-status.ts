import type { ChannelSummary, IntervalSummary, QualityMarkCount, UploadEvent } from './events';
import type { AppliedFormat } from './format/request';
import { describeValidated } from './upload-messages';

/**
 * RECEIVED while rows are validated; then VALIDATED (its readings take effect), REJECTED (the file is
 * unusable), FAILED (the event log refused a write) or INTERRUPTED (the server stopped mid-file). Only
 * a VALIDATED upload's readings are billed.
 */
export type UploadStatus = 'RECEIVED' | 'VALIDATED' | 'REJECTED' | 'FAILED' | 'INTERRUPTED';

export interface UploadStatusDoc {
  uploadId: string;
  fileName: string;
  status: UploadStatus;
  byteSize: number;
  sha256: string | null;
  uploadedBy: string | null;
  receivedAt: string;
  finishedAt: string | null;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  /** Rejected rows counted but not listed (the listing of one file is bounded); absent: 0. */
  unlistedRejectedRows?: number;
  /** Accepted rows whose kWh was rounded to 6 decimals (absent in documents of older versions: 0). */
  roundedRows?: number;
  /** Rows the format's filter left out; the format applied; the meters' intervals (absent in older documents). */
  skippedRows?: number;
  format?: AppliedFormat | null;
  intervals?: IntervalSummary[];
  qualityMarks?: QualityMarkCount[];
  /** The channels of the accepted readings (absent in older documents: IMPORT only). */
  channels?: ChannelSummary[];
  meters: number;
  firstIntervalStart: string | null;
  lastIntervalStart: string | null;
  duplicateOf: string | null;
  message: string | null;
  /** Revision of the last event of the upload stream folded in: redelivered events are skipped. */
  revision: number;
  /** Global position of the last event folded in. */
  position: string;
}

export interface PositionedUploadEvent {
  event: UploadEvent;
  revision: number;
  position: string;
}

/**
 * Folds one event of an upload stream into the upload's status. Pure; an event at or below the
 * revision already folded in leaves the document unchanged, so replays and redeliveries are harmless.
 */
export function evolveUploadStatus(
  doc: UploadStatusDoc | null,
  { event, revision, position }: PositionedUploadEvent,
): UploadStatusDoc | null {
  if (doc !== null && revision <= doc.revision) return doc;
  if (doc === null) {
    if (event.type !== 'FileReceived') return null; // a stream always starts with FileReceived
    return {
      uploadId: event.data.uploadId,
      fileName: event.data.fileName,
      status: 'RECEIVED',
      byteSize: event.data.byteSize,
      sha256: event.data.sha256,
      uploadedBy: event.data.uploadedBy,
      receivedAt: event.data.receivedAt,
      finishedAt: null,
      totalRows: 0,
      acceptedRows: 0,
      rejectedRows: 0,
      meters: 0,
      firstIntervalStart: null,
      lastIntervalStart: null,
      duplicateOf: null,
      message: null,
      revision,
      position,
    } satisfies UploadStatusDoc;
  }
  const next: UploadStatusDoc = { ...doc, revision, position };
  switch (event.type) {
    case 'FileReceived':
      return next;
    case 'ReadingsAccepted':
      next.acceptedRows += event.data.count;
      next.totalRows += event.data.count;
      return next;
    case 'RowsRejected':
      next.rejectedRows += event.data.rows.length;
      next.totalRows += event.data.rows.length;
      return next;
    case 'FileValidated':
      return {
        ...next,
        status: 'VALIDATED',
        totalRows: event.data.totalRows,
        acceptedRows: event.data.acceptedRows,
        rejectedRows: event.data.rejectedRows,
        roundedRows: event.data.roundedRows ?? 0,
        skippedRows: event.data.skippedRows ?? 0,
        ...(event.data.unlistedRejectedRows === undefined
          ? {}
          : { unlistedRejectedRows: event.data.unlistedRejectedRows }),
        format: event.data.format ?? null,
        intervals: event.data.intervals ?? [],
        qualityMarks: event.data.qualityMarks ?? [],
        channels: event.data.channels ?? [],
        meters: event.data.meters,
        firstIntervalStart: event.data.firstIntervalStart,
        lastIntervalStart: event.data.lastIntervalStart,
        duplicateOf: event.data.duplicateOf,
        finishedAt: event.data.validatedAt,
        message: describeValidated(event.data),
      };
    case 'FileRejected':
      // Logs written before UploadInterrupted existed marked an interrupted upload this way.
      return {
        ...next,
        status: event.data.code === 'INTERRUPTED' ? 'INTERRUPTED' : 'REJECTED',
        finishedAt: event.data.rejectedAt,
        message: event.data.reason,
      };
    case 'UploadFailed':
      return { ...next, status: 'FAILED', finishedAt: event.data.failedAt, message: event.data.reason };
    case 'UploadInterrupted':
      return { ...next, status: 'INTERRUPTED', finishedAt: event.data.interruptedAt, message: event.data.reason };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled upload event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Whether the upload has reached its final state. */
export const isFinished = (doc: UploadStatusDoc): boolean => doc.status !== 'RECEIVED';
