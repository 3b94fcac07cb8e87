import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/** A connection's page cache, in KiB: SQLite's own default, for the log and the projections' writes. */
export const PAGE_CACHE_KIB = 2000;

/**
 * The page cache of the read-model connection that answers queries and exports: the month's daily rows
 * at 1,400 meters (about 5 MB) stay cached, where 2 MB made that export 35 % slower. It fills only as
 * queries read, so an upload's peak hardly sees it.
 */
export const QUERY_PAGE_CACHE_KIB = 16000;

/**
 * How a commit reaches the disk. `answered`: the commit is on the disk (fsync of the WAL) before it
 * returns, so what the service answered survives a power cut: the event log, the truth. `rebuildable`:
 * durable across a crash of the process, but a power cut may lose the last commits: the read models,
 * which are rebuilt from the log (their checkpoints then lag, and they catch up).
 */
export type Durability = 'answered' | 'rebuildable';

/** Opens (creating when absent) the embedded database file, tuned for one writer and many readers. */
export function openSqliteDatabase(
  file: string,
  options: { durability: Durability; pageCacheKiB?: number } = { durability: 'answered' },
): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  // Billing data and key digests: for the service's own user only (SQLite gives its -wal and -shm files
  // the database file's mode).
  if (file !== ':memory:') chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'answered' ? 'FULL' : 'NORMAL'}`);
  // Another process (a CLI tool, a replay) may hold the write lock: wait for it. Write transactions
  // begin IMMEDIATE (`.immediate()`), so a writer takes the lock up front and this wait applies, instead
  // of failing at once when a read snapshot it began with went stale.
  db.pragma('busy_timeout = 15000');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection (SQLITE_DEFAULT_CACHE_SIZE=-16000 in
  // its defines.gypi); the server holds four connections, and at a 4x upload they held 37 MB of its peak.
  // SQLite's own default of 2 MB measured as fast for the writers: a page read again comes from the OS cache.
  db.pragma(`cache_size = -${options.pageCacheKiB ?? PAGE_CACHE_KIB}`);
  return db;
}

/** The column names of a table (none when it does not exist), for moving an older layout forward. */
/** The first key after every key that starts with `prefix`: a range instead of LIKE uses the index, no escaping. */
export const prefixEnd = (prefix: string): string => `${prefix}\uffff`;

export function columnNames(db: SqliteDatabase, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map(
    (column) => column.name,
  );
}

const prepared = new WeakMap<SqliteDatabase, Map<string, Database.Statement>>();

/**
 * The connection's statement for this SQL, prepared on first use: preparing costs more than running the
 * small statements a commit makes (checkpoints, the fence, a page of the log). SQLite prepares a
 * statement again by itself when the schema changes under it.
 */
export function statement<BindParameters extends unknown[] = unknown[], Result = unknown>(
  db: SqliteDatabase,
  sql: string,
): Database.Statement<BindParameters, Result> {
  let ofDb = prepared.get(db);
  if (ofDb === undefined) {
    ofDb = new Map();
    prepared.set(db, ofDb);
  }
  let found = ofDb.get(sql);
  if (found === undefined) {
    found = db.prepare(sql);
    ofDb.set(sql, found);
  }
  return found as unknown as Database.Statement<BindParameters, Result>;
}
