/**
 * SQLite's failures of the disk under a database, told apart from the rest: a full, read-only or
 * failing disk (the request may be tried again once it is mended) and a damaged file (it must be
 * restored or rebuilt).
 */

const DISK_CODES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN'];
const DAMAGE_CODES = ['SQLITE_CORRUPT', 'SQLITE_NOTADB'];

/** better-sqlite3's code: the primary code, or an extended one (`SQLITE_IOERR_FSYNC`). */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const hasCode = (code: string, codes: readonly string[]): boolean =>
  codes.some((primary) => code === primary || code.startsWith(`${primary}_`));

/** The file is damaged ("database disk image is malformed", "file is not a database"). */
export const isDamage = (error: unknown): boolean => hasCode(codeOf(error), DAMAGE_CODES);

/** The disk refused or failed the operation, or the file is damaged. */
export const isStorageFault = (error: unknown): boolean => hasCode(codeOf(error), DISK_CODES) || isDamage(error);

/** SQLite's message and code, for a client: no path, no stack. */
export function storageFaultText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  return code === '' ? message : `${message} (${code})`;
}
