import { UPLOAD_STATUS_PROJECTION } from '../../ports/projection-names';
import type { UploadStatusDoc } from '../../domain/readings/upload-status';
import type { ProjectorFence } from '../../ports/projection-state';
import { decodeCursor, encodeCursor } from '../../ports/pagination';
import type { Page, RejectedRowRecord, UploadProjectionStore, UploadQueries } from '../../ports/upload-read-model';
import { MongoCollectionSet, type Generation } from './collection-set';
import {
  rejectedRowWrites,
  REJECTED_ROWS,
  UPLOAD_COLLECTIONS,
  UPLOADS,
  uploadWrites,
  WITHOUT_ID,
  type UploadDocument,
} from './collections';
import type { MongoReadStore } from './mongo-database';

/** The upload-status read model in MongoDB: `uploads` (one document per upload) and `rejected_rows`. */
export class MongoUploadReadModel implements UploadQueries, UploadProjectionStore {
  private readonly collections: MongoCollectionSet;

  constructor(store: MongoReadStore, suffix = '', fence: ProjectorFence | null = null) {
    this.collections = new MongoCollectionSet(store, UPLOAD_STATUS_PROJECTION, UPLOAD_COLLECTIONS, suffix, fence);
  }

  private async uploads(generation?: Generation) {
    return (generation ?? (await this.collections.generation())).collection<UploadDocument>(UPLOADS);
  }

  private async rejected(generation?: Generation) {
    return (generation ?? (await this.collections.generation())).collection<RejectedRowRecord>(REJECTED_ROWS);
  }

  getCheckpoint(): Promise<string | null> {
    return this.collections.checkpoints.get(this.collections.checkpointName);
  }

  async loadUploads(uploadIds: readonly string[]): Promise<Map<string, UploadStatusDoc>> {
    const found = await (
      await this.uploads()
    )
      .find({ uploadId: { $in: [...new Set(uploadIds)] } }, WITHOUT_ID)
      .toArray();
    return new Map(found.map((d) => [d.uploadId, d.doc]));
  }

  async commit(changes: {
    uploads: readonly UploadStatusDoc[];
    rejectedRows: readonly RejectedRowRecord[];
    checkpoint: string;
  }): Promise<void> {
    // One transaction with the checkpoint: readers see a batch whole, and a fenced-off writer changes nothing.
    await this.collections.transaction(async (session, generation) => {
      if (changes.uploads.length > 0) {
        const uploads = await this.uploads(generation);
        const ids = changes.uploads.map((d) => d.uploadId);
        const existing = new Set(
          (await uploads.find({ uploadId: { $in: ids } }, { projection: { uploadId: 1 }, session }).toArray()).map(
            (d) => d.uploadId,
          ),
        );
        const last = await uploads
          .find({}, { projection: { seq: 1 }, session })
          .sort({ seq: -1 })
          .limit(1)
          .next();
        await uploads.bulkWrite(uploadWrites(changes.uploads, existing, last?.seq ?? 0), { ordered: true, session });
      }
      if (changes.rejectedRows.length > 0) {
        await (
          await this.rejected(generation)
        ).bulkWrite(rejectedRowWrites(changes.rejectedRows), { ordered: false, session });
      }
      await this.collections.checkpoints.set(this.collections.checkpointName, changes.checkpoint, session);
    });
  }

  reset(): Promise<void> {
    return this.collections.reset();
  }

  promote(): Promise<void> {
    return this.collections.promote();
  }

  async getUpload(uploadId: string): Promise<UploadStatusDoc | null> {
    return (await (await this.uploads()).findOne({ uploadId }, WITHOUT_ID))?.doc ?? null;
  }

  async listUploads(first: number, after: string | null): Promise<Page<UploadStatusDoc>> {
    const uploads = await this.uploads();
    const filter = after === null ? {} : { seq: { $lt: decodeCursor(after) } };
    const [rows, total] = await Promise.all([
      uploads
        .find(filter, WITHOUT_ID)
        .sort({ seq: -1 })
        .limit(first + 1)
        .toArray(),
      uploads.countDocuments({}),
    ]);
    return {
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((row) => ({ cursor: encodeCursor(row.seq), node: row.doc })),
    };
  }

  async listRejectedRows(uploadId: string, first: number, after: string | null): Promise<Page<RejectedRowRecord>> {
    const rejected = await this.rejected();
    const afterLine = after === null ? 0 : decodeCursor(after);
    const [rows, total] = await Promise.all([
      rejected
        .find({ uploadId, line: { $gt: afterLine } }, WITHOUT_ID)
        .sort({ line: 1 })
        .limit(first + 1)
        .toArray(),
      rejected.countDocuments({ uploadId }),
    ]);
    return {
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((row) => ({
        cursor: encodeCursor(row.line),
        node: { uploadId, line: row.line, raw: row.raw, reasons: row.reasons },
      })),
    };
  }

  async findValidatedBySha256(sha256: string): Promise<UploadStatusDoc | null> {
    const found = await (
      await this.uploads()
    )
      .find({ sha256, status: 'VALIDATED', duplicateOf: null }, WITHOUT_ID)
      .sort({ seq: 1 })
      .limit(1)
      .next();
    return found?.doc ?? null;
  }

  async unfinishedUploads(): Promise<UploadStatusDoc[]> {
    const rows = await (
      await this.uploads()
    )
      .find({ status: 'RECEIVED' }, WITHOUT_ID)
      .sort({ seq: 1 })
      .limit(1000)
      .toArray();
    return rows.map((row) => row.doc);
  }
}
