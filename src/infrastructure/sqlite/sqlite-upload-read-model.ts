import type { ProjectorFence } from '../../ports/projection-state';
import type { RejectionReason } from '../../domain/readings/events';
import type { UploadStatusDoc } from '../../domain/readings/upload-status';
import { UPLOAD_STATUS_PROJECTION } from '../../ports/projection-names';
import { decodeCursor, encodeCursor } from '../../ports/pagination';
import type { Page, RejectedRowRecord, UploadProjectionStore, UploadQueries } from '../../ports/upload-read-model';
import type { SqliteDatabase } from './database';
import { TableSet } from './table-set';

const PROJECTION = UPLOAD_STATUS_PROJECTION;
const TABLES = ['rm_uploads', 'rm_rejected_rows'];

/** The upload-status read model: one row per upload, one per rejected line. */
export class SqliteUploadReadModel implements UploadQueries, UploadProjectionStore {
  private readonly tables: TableSet;
  private readonly uploads: string;
  private readonly rejected: string;

  constructor(
    private readonly db: SqliteDatabase,
    suffix = '',
    fence: ProjectorFence | null = null,
  ) {
    this.tables = new TableSet(
      db,
      PROJECTION,
      TABLES,
      suffix,
      [{ table: 'rm_uploads', name: '_sha256', columns: 'sha256' }],
      fence,
    );
    this.uploads = this.tables.name('rm_uploads');
    this.rejected = this.tables.name('rm_rejected_rows');
    this.createTables();
  }

  private createTables(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${this.uploads} (
        upload_id    TEXT PRIMARY KEY,
        -- listing order: assigned once, on the first event of the upload, so a rebuild gives the same order
        seq          INTEGER NOT NULL UNIQUE,
        sha256       TEXT,
        status       TEXT NOT NULL,
        duplicate_of TEXT,
        doc          TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${this.rejected} (
        upload_id TEXT    NOT NULL,
        line      INTEGER NOT NULL,
        raw       TEXT    NOT NULL,
        reasons   TEXT    NOT NULL,
        PRIMARY KEY (upload_id, line)
      ) WITHOUT ROWID;
    `);
    this.tables.createIndexes();
  }

  getCheckpoint(): Promise<string | null> {
    return this.tables.checkpoints.get(this.tables.checkpointName);
  }

  loadUploads(uploadIds: readonly string[]): Promise<Map<string, UploadStatusDoc>> {
    return this.tables.docsByKey<UploadStatusDoc>('rm_uploads', 'upload_id', uploadIds);
  }

  commit(changes: {
    uploads: readonly UploadStatusDoc[];
    rejectedRows: readonly RejectedRowRecord[];
    checkpoint: string;
  }): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO ${this.uploads} (upload_id, seq, sha256, status, duplicate_of, doc)
       VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM ${this.uploads}), ?, ?, ?, ?)
       ON CONFLICT (upload_id) DO UPDATE SET sha256 = excluded.sha256, status = excluded.status,
         duplicate_of = excluded.duplicate_of, doc = excluded.doc`,
    );
    // A redelivered batch inserts nothing: the (upload, line) key already holds the row.
    const insertRow = this.db.prepare(
      `INSERT OR IGNORE INTO ${this.rejected} (upload_id, line, raw, reasons) VALUES (?, ?, ?, ?)`,
    );
    return this.tables.write(() => {
      for (const doc of changes.uploads) {
        upsert.run(doc.uploadId, doc.sha256, doc.status, doc.duplicateOf, JSON.stringify(doc));
      }
      for (const row of changes.rejectedRows) {
        insertRow.run(row.uploadId, row.line, row.raw, JSON.stringify(row.reasons));
      }
      this.tables.checkpoints.set(this.tables.checkpointName, changes.checkpoint);
    });
  }

  reset(): Promise<void> {
    this.tables.reset(() => this.createTables());
    return Promise.resolve();
  }

  /** Makes this (rebuild) copy the live one, with its checkpoint. */
  promote(): void {
    this.tables.promote();
  }

  /** Everything in the model, in key order, for comparing a rebuild with the live model. */
  dump(): Record<string, unknown[]> {
    return {
      uploads: this.db
        .prepare(`SELECT seq, upload_id, sha256, status, duplicate_of, doc FROM ${this.uploads} ORDER BY seq`)
        .all(),
      rejectedRows: this.db.prepare(`SELECT * FROM ${this.rejected} ORDER BY upload_id, line`).all(),
    };
  }

  getUpload(uploadId: string): Promise<UploadStatusDoc | null> {
    const row = this.db
      .prepare<[string], { doc: string }>(`SELECT doc FROM ${this.uploads} WHERE upload_id = ?`)
      .get(uploadId);
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as UploadStatusDoc));
  }

  listUploads(first: number, after: string | null): Promise<Page<UploadStatusDoc>> {
    const before = after === null ? Number.MAX_SAFE_INTEGER : decodeCursor(after);
    const rows = this.db
      .prepare<[number, number], { seq: number; doc: string }>(
        `SELECT seq, doc FROM ${this.uploads} WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
      )
      .all(before, first + 1);
    const total = this.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${this.uploads}`).get()?.n ?? 0;
    return Promise.resolve({
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((row) => ({
        cursor: encodeCursor(row.seq),
        node: JSON.parse(row.doc) as UploadStatusDoc,
      })),
    });
  }

  listRejectedRows(uploadId: string, first: number, after: string | null): Promise<Page<RejectedRowRecord>> {
    const afterLine = after === null ? 0 : decodeCursor(after);
    const rows = this.db
      .prepare<[string, number, number], { line: number; raw: string; reasons: string }>(
        `SELECT line, raw, reasons FROM ${this.rejected} WHERE upload_id = ? AND line > ? ORDER BY line LIMIT ?`,
      )
      .all(uploadId, afterLine, first + 1);
    const total =
      this.db
        .prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${this.rejected} WHERE upload_id = ?`)
        .get(uploadId)?.n ?? 0;
    return Promise.resolve({
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((row) => ({
        cursor: encodeCursor(row.line),
        node: { uploadId, line: row.line, raw: row.raw, reasons: JSON.parse(row.reasons) as RejectionReason[] },
      })),
    });
  }

  unfinishedUploads(): Promise<UploadStatusDoc[]> {
    return Promise.resolve(
      this.db
        .prepare<[], { doc: string }>(
          `SELECT doc FROM ${this.uploads} WHERE status = 'RECEIVED' ORDER BY seq LIMIT 1000`,
        )
        .all()
        .map((row) => JSON.parse(row.doc) as UploadStatusDoc),
    );
  }

  findValidatedBySha256(sha256: string): Promise<UploadStatusDoc | null> {
    const row = this.db
      .prepare<[string], { doc: string }>(
        `SELECT doc FROM ${this.uploads} WHERE sha256 = ? AND status = 'VALIDATED' AND duplicate_of IS NULL
         ORDER BY seq LIMIT 1`,
      )
      .get(sha256);
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as UploadStatusDoc));
  }
}
