import type { RejectionReason } from '../../domain/readings/events';
import type { UploadStatusDoc } from '../../projections/upload-status/evolve';
import { decodeCursor, encodeCursor } from '../../ports/pagination';
import type { Page, RejectedRowRecord, UploadProjectionStore, UploadQueries } from '../../ports/upload-read-model';
import type { SqliteDatabase } from './database';
import { SqliteCheckpoints } from './sqlite-checkpoints';

const PROJECTION = 'upload-status';

/** The upload-status read model: one row per upload, one per rejected line. */
export class SqliteUploadReadModel implements UploadQueries, UploadProjectionStore {
  private readonly checkpoints: SqliteCheckpoints;

  constructor(private readonly db: SqliteDatabase) {
    this.checkpoints = new SqliteCheckpoints(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS rm_uploads (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        upload_id    TEXT NOT NULL UNIQUE,
        sha256       TEXT,
        status       TEXT NOT NULL,
        duplicate_of TEXT,
        doc          TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS rm_uploads_sha256 ON rm_uploads (sha256);
      CREATE TABLE IF NOT EXISTS rm_rejected_rows (
        upload_id TEXT    NOT NULL,
        line      INTEGER NOT NULL,
        raw       TEXT    NOT NULL,
        reasons   TEXT    NOT NULL,
        PRIMARY KEY (upload_id, line)
      ) WITHOUT ROWID;
    `);
  }

  getCheckpoint(): Promise<string | null> {
    return Promise.resolve(this.checkpoints.get(PROJECTION));
  }

  loadUploads(uploadIds: readonly string[]): Promise<Map<string, UploadStatusDoc>> {
    const select = this.db.prepare<[string], { doc: string }>('SELECT doc FROM rm_uploads WHERE upload_id = ?');
    const found = new Map<string, UploadStatusDoc>();
    for (const id of new Set(uploadIds)) {
      const row = select.get(id);
      if (row !== undefined) found.set(id, JSON.parse(row.doc) as UploadStatusDoc);
    }
    return Promise.resolve(found);
  }

  commit(changes: {
    uploads: readonly UploadStatusDoc[];
    rejectedRows: readonly RejectedRowRecord[];
    checkpoint: string;
  }): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO rm_uploads (upload_id, sha256, status, duplicate_of, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (upload_id) DO UPDATE SET sha256 = excluded.sha256, status = excluded.status,
         duplicate_of = excluded.duplicate_of, doc = excluded.doc`,
    );
    // A redelivered batch inserts nothing: the (upload, line) key already holds the row.
    const insertRow = this.db.prepare(
      'INSERT OR IGNORE INTO rm_rejected_rows (upload_id, line, raw, reasons) VALUES (?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const doc of changes.uploads) {
        upsert.run(doc.uploadId, doc.sha256, doc.status, doc.duplicateOf, JSON.stringify(doc));
      }
      for (const row of changes.rejectedRows) {
        insertRow.run(row.uploadId, row.line, row.raw, JSON.stringify(row.reasons));
      }
      this.checkpoints.set(PROJECTION, changes.checkpoint);
    })();
    return Promise.resolve();
  }

  reset(): Promise<void> {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM rm_uploads; DELETE FROM rm_rejected_rows;');
      this.db.prepare("DELETE FROM sqlite_sequence WHERE name = 'rm_uploads'").run();
      this.checkpoints.delete(PROJECTION);
    })();
    return Promise.resolve();
  }

  getUpload(uploadId: string): Promise<UploadStatusDoc | null> {
    const row = this.db
      .prepare<[string], { doc: string }>('SELECT doc FROM rm_uploads WHERE upload_id = ?')
      .get(uploadId);
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as UploadStatusDoc));
  }

  listUploads(first: number, after: string | null): Promise<Page<UploadStatusDoc>> {
    const before = after === null ? Number.MAX_SAFE_INTEGER : decodeCursor(after);
    const rows = this.db
      .prepare<[number, number], { seq: number; doc: string }>(
        'SELECT seq, doc FROM rm_uploads WHERE seq < ? ORDER BY seq DESC LIMIT ?',
      )
      .all(before, first + 1);
    const total = this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM rm_uploads').get()?.n ?? 0;
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
        'SELECT line, raw, reasons FROM rm_rejected_rows WHERE upload_id = ? AND line > ? ORDER BY line LIMIT ?',
      )
      .all(uploadId, afterLine, first + 1);
    const total =
      this.db
        .prepare<[string], { n: number }>('SELECT count(*) AS n FROM rm_rejected_rows WHERE upload_id = ?')
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

  findValidatedBySha256(sha256: string): Promise<UploadStatusDoc | null> {
    const row = this.db
      .prepare<[string], { doc: string }>(
        `SELECT doc FROM rm_uploads WHERE sha256 = ? AND status = 'VALIDATED' AND duplicate_of IS NULL
         ORDER BY seq LIMIT 1`,
      )
      .get(sha256);
    return Promise.resolve(row === undefined ? null : (JSON.parse(row.doc) as UploadStatusDoc));
  }
}
