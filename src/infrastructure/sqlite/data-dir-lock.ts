import Database from 'better-sqlite3';
import { chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirError, DataDirInUseError, type DataDirOwner } from '../data-dir';
import { isDamage } from './errors';

/** The lock's file in DATA_DIR: a small SQLite database whose write lock is the directory's ownership. */
export const OWNER_LOCK_FILE = 'owner.lock';

/** What holds the lock: a server (`npm start`, any role) or a tool that must not run beside one. */
export type OwnerKind = 'server' | 'replay';

export interface DataDirLock {
  readonly file: string;
  /** Gives the directory back (a process that ends without calling it gives it back all the same). */
  release(): void;
}

const ATTEMPTS = 3;

/**
 * Takes DATA_DIR for this process, for as long as it runs, or throws `DataDirInUseError` naming the
 * holder, at once and having changed nothing.
 *
 * The lock is SQLite's own write lock on `owner.lock` (an OS file lock, `fcntl`): taken by
 * `BEGIN IMMEDIATE` and held by never ending that transaction. The operating system drops it when the
 * process ends in any way, kill -9 and a crash included, so there is no stale lock to guess about; and
 * SQLite keeps it per connection even inside one process (a second in-process start is refused too).
 * The holder's pid is a row a refused process can still read: a held write lock (RESERVED) leaves
 * readers in. Never delete the file while a process runs: a new file would be a new, free lock.
 */
export function takeDataDirLock(dir: string, kind: OwnerKind, now: () => Date = () => new Date()): DataDirLock {
  const file = join(dir, OWNER_LOCK_FILE);
  const db = new Database(file);
  try {
    chmodSync(file, 0o600);
    // A rollback journal, not WAL: no -wal/-shm beside it, and its locks are the plain file locks above.
    db.pragma('journal_mode = DELETE');
    // FULL, though the row matters little: a power cut in its commit must not leave a damaged file.
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE IF NOT EXISTS owner (one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, kind TEXT NOT NULL, since TEXT NOT NULL)',
    );
    const me: DataDirOwner = { pid: process.pid, host: hostname(), kind, since: now().toISOString() };
    for (let attempt = 1; ; attempt++) {
      // Write who holds it (a short write, between two holds of the lock), then hold the lock for good.
      if (!begin(db)) throw new DataDirInUseError(dir, holderOf(db));
      db.prepare('INSERT OR REPLACE INTO owner (one, pid, host, kind, since) VALUES (1, ?, ?, ?, ?)').run(
        me.pid,
        me.host,
        me.kind,
        me.since,
      );
      commit(db);
      if (!begin(db)) throw new DataDirInUseError(dir, holderOf(db));
      const holder = readOwner(db);
      if (holder?.pid === me.pid && holder.since === me.since && holder.host === me.host) break;
      // Another process wrote itself in between our two holds, and lost the lock to us: write us again.
      db.exec('ROLLBACK');
      if (attempt >= ATTEMPTS) throw new DataDirInUseError(dir, holder);
    }
  } catch (error) {
    db.close();
    if (isDamage(error)) {
      throw new DataDirError(
        `DATA_DIR ${dir}: its lock file ${file} is damaged (${(error as Error).message}); it holds nothing ` +
          `of value: make sure no energy-billing process uses ${dir}, delete ${OWNER_LOCK_FILE} and start again`,
      );
    }
    throw error;
  }
  let released = false;
  return {
    file,
    release: () => {
      if (released) return;
      released = true;
      db.close(); // ends the held transaction (nothing written in it) and with it the lock
    },
  };
}

/** Begins the holding transaction; false when another connection holds the lock (no wait: refused at once). */
function begin(db: Database.Database): boolean {
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

/** Commits the owner row; waits a little for a refused process that is reading it. */
function commit(db: Database.Database): void {
  db.pragma('busy_timeout = 2000');
  db.exec('COMMIT');
}

function readOwner(db: Database.Database): DataDirOwner | null {
  return db.prepare<[], DataDirOwner>('SELECT pid, host, kind, since FROM owner WHERE one = 1').get() ?? null;
}

/** The holder as its row says, read by the refused process (null when it cannot be read just now). */
function holderOf(db: Database.Database): DataDirOwner | null {
  db.pragma('busy_timeout = 1000'); // the holder may be committing its row this instant
  try {
    return readOwner(db);
  } catch {
    return null;
  }
}
