import { accessSync, chmodSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** DATA_DIR cannot be used: the message says which directory and why, in words. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** Who holds DATA_DIR, as its lock file says. */
export interface DataDirOwner {
  pid: number;
  host: string;
  /** `server` (npm start, any ROLE) or `replay` (npm run replay). */
  kind: string;
  /** When it took the directory (ISO 8601). */
  since: string;
}

/** Another process holds DATA_DIR: this one stops before it changes anything there. */
export class DataDirInUseError extends DataDirError {
  constructor(
    readonly dir: string,
    readonly holder: DataDirOwner | null,
  ) {
    super(
      `DATA_DIR ${dir} is in use by ${
        holder === null
          ? 'another energy-billing process'
          : `another energy-billing ${holder.kind} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
      }: one process owns a data directory; stop that one first, or give this one its own DATA_DIR. Nothing was changed`,
    );
    this.name = 'DataDirInUseError';
  }
}

const REASONS = new Map<string, string>([
  ['EROFS', 'the file system is read-only'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['ENOSPC', 'no space left on the disk'],
  ['ENOTDIR', 'a part of the path is a file, not a directory'],
]);

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return `${REASONS.get(code) ?? (error instanceof Error ? error.message : String(error))}${code === '' ? '' : ` (${code})`}`;
}

/** The nearest existing ancestor of a path. */
function existingAncestor(path: string): string {
  let at = path;
  for (;;) {
    try {
      accessSync(at, constants.F_OK);
      return at;
    } catch {
      const parent = dirname(at);
      if (parent === at) return at;
      at = parent;
    }
  }
}

/**
 * Makes DATA_DIR (and its parents) when missing, private to this user (0700), and proves it writable
 * with a probe file, so a start on a read-only, full or foreign directory fails at once saying so, not
 * later with a driver's message.
 */
export function prepareDataDir(dir: string): void {
  try {
    // The service's own user only: the log and read models hold billing data and API key digests.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const ancestor = existingAncestor(dir);
    let why = reasonOf(error);
    try {
      accessSync(ancestor, constants.W_OK);
    } catch (denied) {
      why = reasonOf(denied);
    }
    throw new DataDirError(`DATA_DIR ${dir} cannot be created in ${ancestor}: ${why}`);
  }
  const probe = `${dir}/.write-check-${process.pid}`;
  try {
    writeFileSync(probe, 'ok');
  } catch (error) {
    throw new DataDirError(`DATA_DIR ${dir} is not writable: ${reasonOf(error)}`);
  } finally {
    rmSync(probe, { force: true });
  }
  try {
    chmodSync(dir, 0o700); // one made by an earlier version, or by hand, with the default 0755
  } catch (error) {
    throw new DataDirError(`DATA_DIR ${dir} cannot be made private to this user (chmod 700): ${reasonOf(error)}`);
  }
}
