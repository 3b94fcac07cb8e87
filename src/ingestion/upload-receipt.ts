import type { AppliedFormat } from '../domain/readings/format/request';
import type { UploadStatusDoc } from '../domain/readings/upload-status';

/**
 * What `uploadReadings` answers: the upload's summary as its status document holds it when the upload
 * ends (the same fields the `uploads` query shows), with the defaults of older documents filled in.
 * GraphQL and the metrics map it at their edge.
 */
export type UploadReceipt = Pick<
  UploadStatusDoc,
  'uploadId' | 'fileName' | 'status' | 'totalRows' | 'acceptedRows' | 'rejectedRows' | 'duplicateOf' | 'message'
> &
  Required<Pick<UploadStatusDoc, 'roundedRows' | 'skippedRows' | 'intervals' | 'qualityMarks' | 'channels'>> & {
    /** The format applied (null when the file was refused before its header was read, or is a duplicate). */
    format: AppliedFormat | null;
    /** The log position of the upload's last event: wait for it to read what the upload changed. */
    position: string;
    /** Rejected rows counted in `rejectedRows` but not listed (beyond MAX_LISTED_REJECTED_ROWS). */
    unlistedRejectedRows: number;
  };

export function receiptOf(doc: UploadStatusDoc): UploadReceipt {
  return {
    uploadId: doc.uploadId,
    fileName: doc.fileName,
    status: doc.status,
    totalRows: doc.totalRows,
    acceptedRows: doc.acceptedRows,
    rejectedRows: doc.rejectedRows,
    roundedRows: doc.roundedRows ?? 0,
    skippedRows: doc.skippedRows ?? 0,
    unlistedRejectedRows: doc.unlistedRejectedRows ?? 0,
    format: doc.format ?? null,
    intervals: doc.intervals ?? [],
    qualityMarks: doc.qualityMarks ?? [],
    channels: doc.channels ?? [],
    duplicateOf: doc.duplicateOf,
    position: doc.position,
    message: doc.message,
  };
}
