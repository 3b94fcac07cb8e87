import type { UploadReceipt } from '../ingestion/upload-service';
import type { UploadStatusDoc } from '../projections/upload-status/evolve';
import type { RejectedRowRecord } from '../ports/upload-read-model';
import type { FileValidationUpdateType, RejectedRowType, UploadReceiptType } from './types/upload.types';
import { UploadStatus } from './types/upload.types';

export function receiptFromDoc(doc: UploadStatusDoc): UploadReceiptType {
  return {
    uploadId: doc.uploadId,
    fileName: doc.fileName,
    status: UploadStatus[doc.status],
    totalRows: doc.totalRows,
    acceptedRows: doc.acceptedRows,
    rejectedRows: doc.rejectedRows,
    roundedRows: doc.roundedRows ?? 0,
    duplicateOf: doc.duplicateOf,
    position: doc.position,
    message: doc.message,
    byteSize: doc.byteSize,
    sha256: doc.sha256,
    meters: doc.meters,
    firstIntervalStart: doc.firstIntervalStart,
    lastIntervalStart: doc.lastIntervalStart,
    receivedAt: doc.receivedAt,
    finishedAt: doc.finishedAt,
    uploadedBy: doc.uploadedBy,
  };
}

export function receiptFromCommand(receipt: UploadReceipt): UploadReceiptType {
  return {
    ...receipt,
    status: UploadStatus[receipt.status],
    byteSize: null,
    sha256: null,
    meters: null,
    firstIntervalStart: null,
    lastIntervalStart: null,
    receivedAt: null,
    finishedAt: null,
    uploadedBy: null,
  };
}

export function rejectedRowFromRecord(row: RejectedRowRecord): RejectedRowType {
  return {
    line: row.line,
    raw: row.raw,
    reasons: row.reasons.map((reason) => ({ code: reason.code, message: reason.message, field: reason.field ?? null })),
  };
}

export function validationUpdateFromDoc(doc: UploadStatusDoc): FileValidationUpdateType {
  return {
    uploadId: doc.uploadId,
    status: UploadStatus[doc.status],
    processedRows: doc.totalRows,
    acceptedRows: doc.acceptedRows,
    rejectedRows: doc.rejectedRows,
    done: doc.status !== 'RECEIVED',
    message: doc.message,
    duplicateOf: doc.duplicateOf,
  };
}
