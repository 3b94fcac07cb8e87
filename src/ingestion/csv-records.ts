/**
 * The slow path of reading a readings file: csv-parse streams its records (quotes, embedded line breaks,
 * mixed line ends) into the same record handler as the fast scanner, and a record it cannot read is
 * rejected as the one line it starts on before reading starts again at the next.
 */
import { createReadStream } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
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
  for (;;) {
    const stop = await parseFrom(path, start, line, maxRecordBytes, records, delimiter);
    if (stop.kind === 'end') return records.result();
    if (stop.kind === 'rejected') return stop;
    if (!records.started) {
      return {
        kind: 'rejected',
        problem: { code: 'MALFORMED_CSV', line: stop.line, reason: `line ${stop.line}: ${stop.message}` },
      };
    }
    const bad = await physicalLine(path, start, line, stop.line);
    records.unreadable(stop.line, stop.message, bad.text);
    if (records.due) await records.flush();
    if (bad.next === null) return records.result();
    start = bad.next;
    line = stop.line + 1;
  }
}

type ParseStop =
  { kind: 'end' } | { kind: 'rejected'; problem: FileProblem } | { kind: 'unreadable'; line: number; message: string };

/** Reads records from byte `start` (line `firstLine`) until the file ends or a record cannot be read. */
async function parseFrom<R>(
  path: string,
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
      // csv-parse counts lines from where this parser started: the row's own line number says where.
      const message = (error?.message ?? 'unreadable CSV record').replace(/ at line \d+/g, '');
      const marker: SkippedRecord = { skipped: true, message };
      parser.push(marker);
      return undefined;
    },
  });
  const input = createReadStream(path, { start, highWaterMark: 256 * 1024 });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

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
    input.unpipe(parser);
    input.destroy();
    parser.destroy();
  }
  return { kind: 'end' };
}

/**
 * The text of line `target`, reading from byte `start` (which begins line `startLine`), and the byte
 * the line after it begins at (null at the end of the file).
 */
async function physicalLine(
  path: string,
  start: number,
  startLine: number,
  target: number,
): Promise<{ text: string; next: number | null }> {
  const input = createReadStream(path, { start, highWaterMark: 64 * 1024 });
  let line = startLine;
  let offset = start;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
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
  } finally {
    input.destroy();
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
