import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/** Opens (creating when absent) the embedded database file, tuned for one writer and many readers. */
export function openSqliteDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable across application crashes; a power cut may lose the last commits.
  db.pragma('synchronous = NORMAL');
  // Another process (a CLI tool, a replay) may hold the write lock: wait for it. Write transactions
  // begin IMMEDIATE (`.immediate()`), so a writer takes the lock up front and this wait applies, instead
  // of failing at once when a read snapshot it began with went stale.
  db.pragma('busy_timeout = 15000');
  return db;
}
