import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { isDamage } from './errors';

/** What an embedded file holds decides what to do when it is damaged. */
export type EmbeddedFileRole = 'log' | 'read-models';

/** A damaged database file at start: the message names it and says how to mend it. */
export class DamagedFileError extends Error {
  constructor(readonly files: ReadonlyArray<{ file: string; role: EmbeddedFileRole; problem: string }>) {
    super(files.map(advice).join(' Also: '));
    this.name = 'DamagedFileError';
  }
}

const siblings = (file: string): string => {
  const name = basename(file);
  return `${name}, ${name}-wal and ${name}-shm`;
};

function advice({ file, role, problem }: { file: string; role: EmbeddedFileRole; problem: string }): string {
  if (role === 'read-models') {
    return (
      `the read-model file ${file} is damaged (${problem}). It holds nothing of its own, only what is rebuilt ` +
      `from the event log: delete ${siblings(file)} and start again; they are rebuilt from the log (on a long log ` +
      'this takes a while before /readyz says ready). A damaged file often means a failing disk: check it first.'
    );
  }
  return (
    `the event log ${file} is damaged (${problem}). It is the service's record and cannot be rebuilt: keep a copy ` +
    `of ${siblings(file)}, then restore ${basename(file)} from your latest backup (without the old -wal and -shm ` +
    'files, and with webhook-secret.key from the same backup) and delete read-models.sqlite with its -wal and -shm, ' +
    `which are rebuilt from the restored log. \`sqlite3 ${basename(file)} .recover\` may salvage what is still ` +
    'readable into a new file. A damaged file often means a failing disk: check it first.'
  );
}

/** SQLite's words for a damaged file, also when they come only as text (from a worker thread). */
const DAMAGE_TEXT = /database disk image is malformed|file is not a database/;

export function looksLikeDamage(error: unknown): boolean {
  return isDamage(error) || (error instanceof Error && DAMAGE_TEXT.test(error.message));
}

/**
 * Which of these files is damaged, by SQLite's own structural check, read-only (nothing is changed):
 * run only after a start failed on a damaged file, since it reads every page.
 */
export function findDamagedFiles(
  files: ReadonlyArray<{ file: string; role: EmbeddedFileRole }>,
): DamagedFileError | null {
  const damaged: Array<{ file: string; role: EmbeddedFileRole; problem: string }> = [];
  for (const { file, role } of files) {
    if (!existsSync(file)) continue;
    const problem = checkFile(file);
    if (problem !== null) damaged.push({ file, role, problem });
  }
  return damaged.length === 0 ? null : new DamagedFileError(damaged);
}

/** SQLite's first complaint about the file, or null when its structure is whole. */
function checkFile(file: string): string | null {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.prepare<[], { quick_check: string }>('PRAGMA quick_check(1)').all();
    const first = rows[0]?.quick_check ?? 'ok';
    if (first === 'ok') return null;
    // Its report is "*** in database main ***\nTree 2 page 2: ...": one line, without the banner.
    return `database disk image is malformed: ${first
      .replace(/\*\*\* in database \w+ \*\*\*/, '')
      .replace(/\s+/g, ' ')
      .trim()}`;
  } catch (error) {
    return isDamage(error) ? (error as Error).message : null;
  } finally {
    db?.close();
  }
}
