import type { RejectionReason } from '../domain/readings/events';
import type { UploadStatusDoc } from '../domain/readings/upload-status';
import type { Page } from './pagination';

export type { Page } from './pagination';

export interface RejectedRowRecord {
  uploadId: string;
  line: number;
  raw: string;
  reasons: RejectionReason[];
}

/** Queries on the upload-status read model. */
export interface UploadQueries {
  getUpload(uploadId: string): Promise<UploadStatusDoc | null>;
  /** Newest first. */
  listUploads(first: number, after: string | null): Promise<Page<UploadStatusDoc>>;
  listRejectedRows(uploadId: string, first: number, after: string | null): Promise<Page<RejectedRowRecord>>;
  /** The validated upload (not itself a duplicate) with this content hash, if any. */
  findValidatedBySha256(sha256: string): Promise<UploadStatusDoc | null>;
  /** Uploads still RECEIVED (being processed, or left so by a server that stopped), oldest first, at most 1,000. */
  unfinishedUploads(): Promise<UploadStatusDoc[]>;
}

/** Writes of the upload-status projection: one atomic commit per batch of events, with the checkpoint. */
export interface UploadProjectionStore {
  getCheckpoint(): Promise<string | null>;
  loadUploads(uploadIds: readonly string[]): Promise<Map<string, UploadStatusDoc>>;
  commit(changes: {
    uploads: readonly UploadStatusDoc[];
    rejectedRows: readonly RejectedRowRecord[];
    checkpoint: string;
  }): Promise<void>;
  /** Empties the read model and its checkpoint, for a rebuild from position zero. */
  reset(): Promise<void>;
}
