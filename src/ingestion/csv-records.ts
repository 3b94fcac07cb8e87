/**
 * The slow path of reading a readings file: csv-parse streams its records (quotes, embedded line breaks,
 * mixed line ends) into the same record handler as the fast scanner, and a record it cannot read is
 * rejected as the one line it starts on before reading starts again at the next.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parse, type CsvError, type Parser } from 'csv-parse';
import { SinkFailure } from './sink-failure';
import type { FileProblem } from './spool';

/** What the csv path hands its records to (readings-file's record handler). */
export interface CsvRecordTarget<R> {
  /** Whether the header has been read. */
  readonly started: boolean;
  /** Handles one record; a problem when it was meant as the header and is not one. */
  record(line: number, fields: readonly string[], text: string): FileProblem | null;
  /** A record that could not be read: rejected with the text of the line it starts on. */
  unreadable(line: number, message: string, text: string): void;
  /** Whether a batch is due to be handed on. */
  readonly due: boolean;
  flush(): Promise<void>;
  result(): Promise<R>;
}

const LF = 0x0a;
/**
 * The most records a file may have that csv-parse cannot read (a stray or unclosed quote) before the file
 * is refused whole: each costs a new parser (about 3 ms), so a 2 MB file of `x"` lines would hold a
 * validation worker for half an hour, and a file with this many is not a readings file as written.
 */
export const MAX_UNREADABLE_RECORDS = 1_000;
/** The most of a bad line kept as its text (the handler cuts it to 1 KiB). */
const LINE_TEXT_BYTES = 4 * 1024;

/** Marker the parser's skip hook puts in the record stream, in order with the records. */
interface SkippedRecord {
  skipped: true;
  message: string;
}

/** A record as csv-parse gives it with `raw: true`: its fields and its text as the file wrote it. */
interface ParsedRecord {
  record: string[];
  raw: string;
}

/**
 * Any file: csv-parse streams the records (quotes, embedded line breaks, mixed line ends). A record it
 * cannot read (a stray or unclosed quote) is rejected as the one line it starts on, with that line's
 * text, and reading starts again at the next line: csv-parse's own recovery stays inside the bad quote,
 * taking every later row with it, or shifting their line numbers.
 */
export async function parseWithCsv<R extends { kind: string }>(
  path: string,
  maxRecordBytes: number,
  records: CsvRecordTarget<R>,
  delimiter: string,
): Promise<R | { kind: 'rejected'; problem: FileProblem }> {
  let start = 0; // the byte the parser starts at
  let line = 1; // the line it starts on
  let unreadable = 0; // records csv-parse could not read so far
  // One handle for every restart: a file of many bad lines starts a parser for each.
  const file = await open(path, 'r');
  try {
    for (;;) {
      const stop = await parseFrom(file, start, line, maxRecordBytes, records, delimiter);
      if (stop.kind === 'end') return await records.result();
      if (stop.kind === 'rejected') return stop;
      if (!records.started) {
        return {
          kind: 'rejected',
          problem: { code: 'MALFORMED_CSV', line: stop.line, reason: `line ${stop.line}: ${stop.message}` },
        };
      }
      unreadable += 1;
      if (unreadable > MAX_UNREADABLE_RECORDS) {
        return {
          kind: 'rejected',
          problem: {
            code: 'MALFORMED_CSV',
            line: stop.line,
            reason:
              `line ${stop.line}: more than ${MAX_UNREADABLE_RECORDS} records could not be read as CSV (this one: ${stop.message}); ` +
              'a field holding a quote character must be quoted as a whole with the quote doubled ("a ""b"" c"): fix the file, or export it again',
          },
        };
      }
      const bad = await physicalLine(file, start, line, stop.line);
      records.unreadable(stop.line, stop.message, bad.text);
      if (records.due) await records.flush();
      if (bad.next === null) return await records.result();
      start = bad.next;
      line = stop.line + 1;
    }
  } finally {
    await file.close();
  }
}

type ParseStop =
  { kind: 'end' } | { kind: 'rejected'; problem: FileProblem } | { kind: 'unreadable'; line: number; message: string };

/** Reads records from byte `start` (line `firstLine`) until the file ends or a record cannot be read. */
async function parseFrom<R>(
  file: FileHandle,
  start: number,
  firstLine: number,
  maxRecordBytes: number,
  records: CsvRecordTarget<R>,
  delimiter: string,
): Promise<ParseStop> {
  const parser = parse({
    bom: start === 0,
    delimiter,
    raw: true,
    relax_column_count: true,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    on_skip: (error: CsvError | undefined) => {
      if (skipped) return undefined; // reading stops at the first: this parser is done
      skipped = true;
      // csv-parse counts lines from where this parser started: the row's own line number says where.
      const message = (error?.message ?? 'unreadable CSV record').replace(/ at line \d+/g, '');
      const marker: SkippedRecord = { skipped: true, message };
      parser.push(marker);
      return undefined;
    },
  });
  let skipped = false;
  void feed(file, start, parser, () => skipped);

  let line = firstLine;
  try {
    for await (const item of parser as AsyncIterable<ParsedRecord | SkippedRecord>) {
      if ('skipped' in item) return { kind: 'unreadable', line, message: item.message };
      const rowLine = line;
      line += 1 + embeddedNewlines(item.record);
      const problem = records.record(rowLine, item.record, item.raw);
      if (problem !== null) return { kind: 'rejected', problem };
      if (records.due) await records.flush();
    }
  } catch (error) {
    if (error instanceof SinkFailure) throw error;
    return { kind: 'unreadable', line, message: error instanceof Error ? error.message : String(error) };
  } finally {
    parser.destroy();
  }
  return { kind: 'end' };
}

/** Reads start at 4 KiB and double up to 256 KiB: a restart reads about as far as its first bad record. */
const FIRST_READ = 4 * 1024;
const MAX_READ = 256 * 1024;
const FIRST_SLICE = 64;

/**
 * Writes the file from byte `start` to the parser in slices that start small and double, stopping at the
 * first unreadable record: csv-parse reads all of a written chunk before the reader sees that record, and
 * the reader starts a parser again after each, so a file of short bad lines (`x"` on each) was read and
 * parsed to its end (or 256 KiB) once per line: 3 KB took 56 s, 48 KB over 60 s even with small slices.
 */
async function feed(file: FileHandle, start: number, parser: Parser, stopped: () => boolean): Promise<void> {
  const done = () => stopped() || parser.destroyed;
  let slice = FIRST_SLICE;
  let size = FIRST_READ;
  let position = start;
  try {
    while (!done()) {
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await file.read(buffer, 0, size, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      size = Math.min(size * 2, MAX_READ);
      for (let at = 0; at < bytesRead; at += slice, slice = Math.min(slice * 2, MAX_READ)) {
        if (done()) return;
        if (!write(parser, buffer.subarray(at, Math.min(at + slice, bytesRead)))) await drained(parser);
      }
    }
    if (!done()) parser.end();
  } catch (error) {
    parser.destroy(error as Error);
  }
}

/**
 * csv-parse makes an error for every stray quote of a slice, even after the first was skipped; only their
 * messages are used, and without a stack each costs far less (a line of 20,000 `"0` took 2 s).
 */
function write(parser: Parser, slice: Buffer): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parser.write(slice);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Until the parser takes more, or is gone. */
function drained(parser: Parser): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      parser.off('drain', finish);
      parser.off('close', finish);
      resolve();
    };
    parser.on('drain', finish);
    parser.on('close', finish);
  });
}

/**
 * The text of line `target`, reading from byte `start` (which begins line `startLine`), and the byte
 * the line after it begins at (null at the end of the file).
 */
async function physicalLine(
  file: FileHandle,
  start: number,
  startLine: number,
  target: number,
): Promise<{ text: string; next: number | null }> {
  let line = startLine;
  let offset = start;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  for (let size = FIRST_READ; ; size = Math.min(size * 2, MAX_READ)) {
    const buffer = Buffer.allocUnsafe(size);
    const { bytesRead } = await file.read(buffer, 0, size, offset);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(LF, from);
      const end = newline === -1 ? chunk.length : newline;
      if (line === target && keptBytes < LINE_TEXT_BYTES) {
        kept.push(chunk.subarray(from, end));
        keptBytes += end - from;
      }
      if (newline === -1) break;
      if (line === target) {
        return { text: Buffer.concat(kept).toString('utf8'), next: offset + newline + 1 };
      }
      line += 1;
      from = newline + 1;
    }
    offset += chunk.length;
  }
  return { text: Buffer.concat(kept).toString('utf8'), next: null };
}

function embeddedNewlines(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) count += 1;
  }
  return count;
}
