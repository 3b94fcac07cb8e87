import { hostname } from 'node:os';
import {
  type ProjectionCheckpoints,
  type ProjectionVersions,
  type ProjectorFence,
  type ProjectorLease,
  requireGrant,
} from '../../ports/projection-state';
import { columnNames, statement, type SqliteDatabase } from './database';

/** Projection checkpoints, written in the same transaction as the read-model rows they cover. */
export class SqliteCheckpoints implements ProjectionCheckpoints {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
      projection TEXT PRIMARY KEY,
      position   TEXT NOT NULL,
      updated_ms INTEGER NOT NULL
    )`);
  }

  get(projection: string): Promise<string | null> {
    return Promise.resolve(this.getSync(projection));
  }

  getSync(projection: string): string | null {
    return (
      statement<[string], { position: string }>(
        this.db,
        'SELECT position FROM projection_checkpoints WHERE projection = ?',
      ).get(projection)?.position ?? null
    );
  }

  /**
   * Call inside the transaction that writes the rows this position covers. Never moves the checkpoint
   * back (the log's positions are integers): an older position changes nothing.
   */
  set(projection: string, position: string): void {
    statement(
      this.db,
      `INSERT INTO projection_checkpoints (projection, position, updated_ms) VALUES (?, ?, ?)
       ON CONFLICT (projection) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms
       WHERE CAST(excluded.position AS INTEGER) > CAST(projection_checkpoints.position AS INTEGER)`,
    ).run(projection, position, Date.now());
  }

  /** Hands a rebuilt copy's checkpoint to the live name, replacing it (call inside the swapping transaction). */
  move(from: string, to: string): void {
    const position = this.getSync(from);
    if (position !== null) {
      this.db
        .prepare('INSERT OR REPLACE INTO projection_checkpoints (projection, position, updated_ms) VALUES (?, ?, ?)')
        .run(to, position, Date.now());
    }
    this.delete(from);
  }

  delete(projection: string): void {
    this.db.prepare('DELETE FROM projection_checkpoints WHERE projection = ?').run(projection);
  }
}

/** The version each projection's read model was built with. */
export class SqliteProjectionVersions implements ProjectionVersions {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS projection_versions (projection TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
  }

  get(name: string): Promise<number | null> {
    const row = this.db
      .prepare<[string], { version: number }>('SELECT version FROM projection_versions WHERE projection = ?')
      .get(name);
    return Promise.resolve(row?.version ?? null);
  }

  set(name: string, version: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO projection_versions (projection, version) VALUES (?, ?)
         ON CONFLICT (projection) DO UPDATE SET version = excluded.version`,
      )
      .run(name, version);
    return Promise.resolve();
  }
}

/**
 * The projector lease in the embedded database. One process normally owns the file, but the CLI tools
 * (replay, backfill) run beside it, so the same lease rule applies as with MongoDB. The row is never
 * deleted (a release or a dead holder only ends its time), so its token only grows.
 */
export class SqliteProjectorLease implements ProjectorLease {
  constructor(private readonly db: SqliteDatabase) {
    ensureLeaseTable(db);
  }

  tryAcquire(holder: string, ttlMs: number, now: number): Promise<number | null> {
    const take = this.db.transaction((): number | null => {
      const current = this.db
        .prepare(`SELECT holder, expires_ms AS expiresMs, token FROM projector_lease WHERE name = 'projector'`)
        .get() as { holder: string; expiresMs: number; token: number } | undefined;
      // The embedded file is local, so is its holder: one that died (a kill -9, a crash) gives the lease
      // up at once instead of blocking the projections of the next start until the lease runs out.
      const free =
        current === undefined ||
        current.expiresMs < now ||
        (current.holder !== holder && localHolderIsGone(current.holder));
      if (current !== undefined && current.holder !== holder && !free) return null;
      // A renewal keeps the token; a new tenure (taken over, or this holder's own lease ran out) gets the next.
      const token = current === undefined ? 1 : free ? current.token + 1 : current.token;
      this.db
        .prepare(
          `INSERT INTO projector_lease (name, holder, expires_ms, token) VALUES ('projector', ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms,
             token = excluded.token`,
        )
        .run(holder, now + ttlMs, token);
      return token;
    });
    return settle(() => take.immediate());
  }

  release(holder: string): Promise<void> {
    // A failure (a full disk) is the promise's, so a stopping process can ignore it and go on.
    return settle(() => {
      this.db.prepare(`UPDATE projector_lease SET expires_ms = 0 WHERE name = 'projector' AND holder = ?`).run(holder);
    });
  }
}

/** The result of a synchronous call as a promise: a throw becomes its rejection. */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

export function ensureLeaseTable(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS projector_lease (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL, token INTEGER NOT NULL DEFAULT 0)`);
  // Tables of versions before fencing had no token.
  if (!columnNames(db, 'projector_lease').includes('token')) {
    db.exec(`ALTER TABLE projector_lease ADD COLUMN token INTEGER NOT NULL DEFAULT 0`);
  }
}

/**
 * Refuses a projector write unless `fence` holds the lease's current tenure. Called inside the write's
 * own (immediate) transaction, which no take-over can interleave with.
 */
export function checkFence(db: SqliteDatabase, fence: ProjectorFence | null): void {
  if (fence === null) return;
  const lease = statement<[], { holder: string; token: number }>(
    db,
    `SELECT holder, token FROM projector_lease WHERE name = 'projector'`,
  ).get();
  requireGrant(fence, lease);
}

/**
 * Whether a lease holder named `host:pid:tag` ran on this host as a process that no longer exists. A
 * holder of another host, or of a live process (even one that reused the pid), counts as alive: its
 * lease then runs out as usual.
 */
export function localHolderIsGone(holder: string): boolean {
  const match = /^(.+):(\d+):[^:]+$/.exec(holder);
  if (match === null || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
