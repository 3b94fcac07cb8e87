export interface Page<T> {
  totalCount: number;
  items: Array<{ cursor: string; node: T }>;
  hasNextPage: boolean;
}

export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`'${cursor}' is not a cursor returned by this query`);
    this.name = 'InvalidCursorError';
  }
}

/** Cursors are opaque to clients; inside they carry a sortable integer key. */
export function encodeCursor(value: number): string {
  return Buffer.from(`c:${value}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const value = Number(text.slice(2));
  if (!text.startsWith('c:') || text.length < 3 || !Number.isSafeInteger(value)) throw new InvalidCursorError(cursor);
  return value;
}
