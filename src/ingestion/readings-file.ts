import { createReadStream } from 'node:fs';
import { parseWithCsv } from './csv-records';
import { RecordHandler } from './record-handler';
import { splitQuotedLine, type FileProblem } from './spool';
import type { FileValidationResult, ValidationOptions, ValidationSink } from './validation-types';

/**
 * Reads a landed CSV file through the row rules, handing accepted readings and rejected rows to the sink
 * in batches. A file without quotes and with one kind of line end has one record per line, and goes
 * through the fast scanner; any other file, and any row the scanner is not sure of, goes through
 * csv-parse's fields and the same rules, so reasons and line numbers are the same either way. Memory
 * stays bounded by one batch plus the per-file duplicate index. A failed sink write throws `SinkFailure`.
 */
export function validateReadingsFile(
  path: string,
  options: ValidationOptions,
  sink: ValidationSink,
): Promise<FileValidationResult> {
  const records = new RecordHandler(options, sink);
  const layout = options.layout;
  const delimiter = options.format?.delimiter ?? ',';
  const validation =
    delimiter === ',' && layout !== undefined && layout.quotes !== 'irregular' && layout.lineEnding !== 'mixed'
      ? scanLines(path, layout.lineEnding, records)
      : parseWithCsv(path, options.maxRecordBytes, records, delimiter);
  return validation.finally(() => records.validator?.releaseClaims());
}

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * The fast path: one record per line, split at commas (quoted fields, which the spool found to open and
 * close on their line, are unquoted as csv-parse does). Rows the fast reader accepts are claimed in the
 * validator's duplicate index; every other line (and the header) is decoded and handed to the rules.
 */
async function scanLines(
  path: string,
  lineEnding: 'LF' | 'CRLF',
  records: RecordHandler,
): Promise<FileValidationResult> {
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const trim = lineEnding === 'CRLF' ? 1 : 0;
  let line = 1;
  let carry: Buffer | null = null;
  let first = true;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let buffer: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      if (first) {
        first = false;
        if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) buffer = buffer.subarray(3);
      }
      const last = buffer.lastIndexOf(LF);
      if (last === -1) {
        carry = buffer;
        continue;
      }
      let start = 0;
      let quote = buffer.indexOf(QUOTE);
      while (start <= last) {
        let end = start;
        while (buffer[end] !== LF) end++; // lines are short: a loop beats a native call per line
        if (quote !== -1 && quote < start) quote = buffer.indexOf(QUOTE, start);
        const quoted = quote !== -1 && quote < end;
        const problem = handleLine(buffer, start, end - trim, line, records, quoted);
        if (problem !== null) return { kind: 'rejected', problem };
        if (records.due) await records.flush();
        line += 1;
        start = end + 1;
      }
      carry = start < buffer.length ? buffer.subarray(start) : null;
    }
    if (carry !== null && carry.length > 0) {
      const end = trim === 1 && carry[carry.length - 1] === 0x0d ? carry.length - 1 : carry.length;
      const problem = handleLine(carry, 0, end, line, records, carry.includes(QUOTE));
      if (problem !== null) return { kind: 'rejected', problem };
    }
  } finally {
    input.destroy();
  }
  return records.result();
}

function handleLine(
  buffer: Buffer,
  start: number,
  end: number,
  line: number,
  records: RecordHandler,
  quoted: boolean,
): FileProblem | null {
  if (quoted) {
    const text = buffer.toString('utf8', start, end);
    return records.record(line, splitQuotedLine(text), text);
  }
  const fast = records.fast;
  if (fast !== null && fast.read(buffer, start, end)) {
    const validator = records.validator!;
    const claims = (records.fastClaims[fast.meterKey] ??= validator.claimsOf(fast.meter));
    if (validator.claimIn(claims, fast.startMs, line) === 0) {
      records.acceptFast(fast.meter, fast.startMs, fast.kwhMicro);
      return null;
    }
  }
  const text = buffer.toString('utf8', start, end);
  return records.record(line, text.split(','), text);
}
