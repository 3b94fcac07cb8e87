import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FileRejectionCode } from '../domain/readings/events';
import type { TextEncodingName } from '../domain/readings/format/request';

export interface FileProblem {
  code: FileRejectionCode;
  reason: string;
  line: number | null;
}

/**
 * How the file is laid out, for choosing the ingestion path: a file without quote characters and with
 * one kind of line end has exactly one record per line, which the fast scanner reads.
 */
export interface FileLayout {
  /** 'fields': every quote belongs to a quoted field that opens and closes on its line ("a, b", "x""y"). */
  quotes: 'none' | 'fields' | 'irregular';
  lineEnding: 'LF' | 'CRLF' | 'mixed';
}

export interface SpooledFile {
  path: string;
  byteSize: number;
  sha256: string;
  /** Set when the whole file is unusable; found before any row is read. */
  problem: FileProblem | null;
  layout: FileLayout;
  /** The file's first whole lines (about 64 KB), for checking a format against its header and first rows. */
  headText: string;
}

/** The upload could not be stored on the server's disk (full, read-only, gone). */
export class SpoolWriteError extends Error {
  constructor(override readonly cause: Error & { code?: string }) {
    super(
      `the server could not store the upload: ${cause.code === 'ENOSPC' ? 'no space left on its disk' : cause.message}` +
        `${cause.code === undefined ? '' : ` (${cause.code})`}; nothing was recorded, try again later`,
    );
    this.name = 'SpoolWriteError';
  }
}

/** The upload's own bytes could not be read (a malformed multipart part, a request cut short): the caller's fault. */
export class UploadReadError extends Error {
  constructor(override readonly cause: unknown) {
    super(
      `the uploaded file could not be read (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); ` +
        'send it as a well-formed multipart/form-data part; nothing was recorded',
    );
    this.name = 'UploadReadError';
  }
}

/**
 * What to throw for a failure of the multipart parser on the file: over its size limit (a 413) stays as
 * it is, anything else is an `UploadReadError`.
 */
export function uploadFailure(error: unknown): unknown {
  return (error as { status?: unknown } | null)?.status === 413 ? error : new UploadReadError(error);
}

/** The file's bytes stopped arriving for `idleMs`. */
export class UploadIdleError extends Error {
  constructor(readonly idleMs: number) {
    super(
      `no byte of the file arrived for ${idleMs} ms (UPLOAD_IDLE_TIMEOUT_MS): the upload was dropped, send it again`,
    );
    this.name = 'UploadIdleError';
  }
}

export class UploadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the file exceeds the upload limit of ${limitBytes} bytes (MAX_UPLOAD_BYTES)`);
    this.name = 'UploadTooLargeError';
  }
}

const HEAD_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Lands the uploaded bytes in a file while hashing them and measuring line lengths, so a duplicate,
 * a binary file or a file without line breaks is known before a single reading is appended. A file in
 * another encoding than UTF-8 is landed as UTF-8 (its hash and size stay those of the bytes sent), so
 * everything after the landing reads one encoding.
 */
export async function spoolUpload(
  source: Readable,
  path: string,
  limits: { maxLineBytes: number; maxUploadBytes: number; idleMs?: number | undefined },
  encoding: TextEncodingName = 'utf-8',
): Promise<SpooledFile> {
  const transcoder = encoding === 'utf-8' ? null : new TextDecoder(encoding);
  const hash = createHash('sha256');
  const out = createWriteStream(path, { mode: 0o600 });
  let writeError: (Error & { code?: string }) | null = null;
  out.on('error', (error) => {
    writeError = error;
  });
  const head: Buffer[] = [];
  let quotes: FileLayout['quotes'] = 'none';
  // The current line's bytes from earlier chunks, each copied once and joined only when a quote needs the
  // whole line: joining at every chunk copied a long line again and again (quadratic in MAX_LINE_BYTES).
  let lineParts: Buffer[] = [];
  let carriageReturns = 0;
  let crlf = 0;
  let previousByte = -1;
  let headBytes = 0;
  let byteSize = 0;
  let line = 1;
  let lineBytes = 0;
  let tooLong: FileProblem | null = null;
  let truncated = false;
  source.once('limit', () => {
    truncated = true; // busboy ends the stream quietly at its size limit: remember it
  });
  // A client that stops sending would hold its upload slot until the HTTP request timeout (5 min):
  // four such held every other upload off.
  let idle: NodeJS.Timeout | undefined;
  const rearm = () => {
    const idleMs = limits.idleMs;
    if (idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => source.destroy(new UploadIdleError(idleMs)), idleMs);
  };
  rearm();
  try {
    for await (const sent of source as AsyncIterable<Buffer>) {
      rearm();
      byteSize += sent.length;
      if (byteSize > limits.maxUploadBytes) throw new UploadTooLargeError(limits.maxUploadBytes);
      hash.update(sent);
      const chunk = transcoder === null ? sent : Buffer.from(transcoder.decode(sent, { stream: true }), 'utf8');
      if (headBytes < HEAD_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      if (tooLong === null) {
        for (let at = chunk.indexOf(CARRIAGE_RETURN); at !== -1; at = chunk.indexOf(CARRIAGE_RETURN, at + 1))
          carriageReturns += 1;
        let quote = quotes === 'irregular' ? -1 : chunk.indexOf(QUOTE);
        let start = 0;
        for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
          lineBytes += at - start;
          if (lineBytes > limits.maxLineBytes) break;
          if ((at > 0 ? chunk[at - 1] : previousByte) === CARRIAGE_RETURN) crlf += 1;
          if (quote !== -1 && quote < at) {
            // Lines with quotes are rare: check each one whole.
            const text = Buffer.concat([...lineParts, chunk.subarray(start, at)]);
            quotes = quotedFieldsOnly(text) ? 'fields' : 'irregular';
            quote = quotes === 'irregular' ? -1 : chunk.indexOf(QUOTE, at + 1);
          }
          lineParts = [];
          line += 1;
          lineBytes = 0;
          start = at + 1;
        }
        if (quotes !== 'irregular' && start < chunk.length) lineParts.push(Buffer.from(chunk.subarray(start)));
        if (lineBytes <= limits.maxLineBytes) lineBytes += chunk.length - start;
        if (lineBytes > limits.maxLineBytes) {
          tooLong = {
            code: 'LINE_TOO_LONG',
            line,
            reason: `line ${line} is longer than ${limits.maxLineBytes} bytes; a readings file has one short row per line`,
          };
        }
      }
      if (chunk.length > 0) previousByte = chunk[chunk.length - 1]!;
      if (writeError !== null) throw new SpoolWriteError(writeError);
      if (!out.write(chunk)) await once(out, 'drain'); // rejects when the write fails meanwhile
    }
    if (truncated) throw new UploadTooLargeError(limits.maxUploadBytes);
    out.end();
    await finished(out);
  } catch (error) {
    out.destroy();
    await finished(out).catch(() => undefined);
    source.resume(); // let the rest of the request body drain so the answer goes out at once
    if (writeError !== null) throw new SpoolWriteError(writeError);
    if (error instanceof UploadTooLargeError || error instanceof SpoolWriteError) throw error;
    // The multipart parser's own size limit ends the file's stream with a 413.
    if ((error as { status?: unknown } | null)?.status === 413) throw new UploadTooLargeError(limits.maxUploadBytes);
    throw new UploadReadError(error); // the only other failure inside the loop is the source's own
  } finally {
    clearTimeout(idle);
  }
  const lineHead = Buffer.concat(lineParts);
  if (lineHead.includes(QUOTE) && quotes !== 'irregular') quotes = quotedFieldsOnly(lineHead) ? 'fields' : 'irregular';
  const headBytesRead = Buffer.concat(head);
  const problem = inspectHead(headBytesRead, byteSize) ?? tooLong;
  // Lines counted are the line breaks: every one preceded by a carriage return, and no other one, is CRLF.
  const lineEnding = carriageReturns === 0 ? 'LF' : carriageReturns === crlf && crlf === line - 1 ? 'CRLF' : 'mixed';
  return {
    path,
    byteSize,
    sha256: hash.digest('hex'),
    problem,
    layout: { quotes, lineEnding },
    headText: wholeLines(headBytesRead, headBytesRead.length === byteSize),
  };
}

/** The head's text up to its last line break (all of it when it is the whole file). */
function wholeLines(head: Buffer, wholeFile: boolean): string {
  if (wholeFile) return head.toString('utf8');
  const lastBreak = head.lastIndexOf(NEWLINE);
  return lastBreak < 0 ? '' : head.subarray(0, lastBreak + 1).toString('utf8');
}

/**
 * Whether every quote of the line belongs to a field that is quoted whole: it opens at the field's start,
 * closes at its end, and doubles the quotes inside. Such a line is one record, read the same by csv-parse
 * and by `splitQuotedLine`; anything else (a line break inside quotes, a stray quote) is left to csv-parse.
 */
export function quotedFieldsOnly(line: Uint8Array): boolean {
  let at = 0;
  const end = line.length;
  for (;;) {
    if (line[at] === QUOTE) {
      at += 1;
      for (;;) {
        if (at >= end) return false; // not closed on this line
        if (line[at] === QUOTE) {
          if (line[at + 1] === QUOTE) at += 2;
          else break;
        } else at += 1;
      }
      at += 1; // the closing quote: the field must end here
      if (at < end && line[at] !== COMMA && !(line[at] === CARRIAGE_RETURN && at === end - 1)) return false;
    } else {
      while (at < end && line[at] !== COMMA) {
        if (line[at] === QUOTE) return false;
        at += 1;
      }
    }
    if (at >= end || line[at] === CARRIAGE_RETURN) return true;
    at += 1; // the comma
  }
}

/** The fields of a line that `quotedFieldsOnly` accepted, as csv-parse gives them. */
export function splitQuotedLine(line: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line.charCodeAt(at) === QUOTE) {
      let value = '';
      at += 1;
      for (;;) {
        const next = line.indexOf('"', at);
        value += line.slice(at, next);
        if (line.charCodeAt(next + 1) === QUOTE) {
          value += '"';
          at = next + 2;
        } else {
          at = next + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', at);
      fields.push(line.slice(at, comma === -1 ? line.length : comma));
      at = comma === -1 ? line.length : comma;
    }
    if (at >= line.length) return fields;
    at += 1;
  }
}

function inspectHead(head: Buffer, byteSize: number): FileProblem | null {
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const withoutBom = head.subarray(bom);
  if (byteSize === 0 || withoutBom.toString('utf8').trim() === '') {
    return { code: 'EMPTY_FILE', line: null, reason: 'the file is empty; expected a header line and readings' };
  }
  const nul = withoutBom.indexOf(0);
  if (nul !== -1) {
    return {
      code: 'NOT_TEXT',
      line: null,
      reason: `the file is not text (a zero byte at offset ${nul}); expected a UTF-8 CSV file`,
    };
  }
  // A character cut at the end of the sampled head is not an error.
  const bad = firstInvalidUtf8(withoutBom, withoutBom.length < head.length || head.length < byteSize);
  if (bad !== -1) {
    const line = countLines(withoutBom, bad);
    const byte = withoutBom[bad]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      code: 'NOT_TEXT',
      line,
      reason:
        `line ${line} is not UTF-8 text (byte 0x${byte} at offset ${bad + bom} of the file); ` +
        `a CSV saved by Excel or another Windows program is usually Windows-1252: upload it with ` +
        `format: { encoding: "windows-1252" } (or "iso-8859-1", "iso-8859-15"), or save it as UTF-8`,
    };
  }
  return null;
}

/** Line number (from 1) of the byte at `offset`. */
function countLines(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(NEWLINE); at !== -1 && at < offset; at = bytes.indexOf(NEWLINE, at + 1)) line += 1;
  return line;
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 character (no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1. With `cutAtEnd`, a character the buffer's end
 * cuts short is not counted as bad.
 */
export function firstInvalidUtf8(bytes: Uint8Array, cutAtEnd = false): number {
  const end = bytes.length;
  let at = 0;
  while (at < end) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    let length: number;
    let min: number;
    let max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      min = lead === 0xe0 ? 0xa0 : 0x80;
      if (lead === 0xed) max = 0x9f; // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      min = lead === 0xf0 ? 0x90 : 0x80;
      if (lead === 0xf4) max = 0x8f;
    } else return at;
    for (let k = 1; k < length; k += 1) {
      if (at + k >= end) return cutAtEnd ? -1 : at;
      const next = bytes[at + k]!;
      if (next < (k === 1 ? min : 0x80) || next > (k === 1 ? max : 0xbf)) return at;
    }
    at += length;
  }
  return -1;
}

/**
 * Makes the directory uploads are landed in, emptied: a file left there was landed by an upload that a
 * stop or crash cut off, and is of no further use.
 */
export function prepareSpoolDir(spoolDir: string): void {
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(spoolDir)) rmSync(join(spoolDir, name), { force: true });
}
