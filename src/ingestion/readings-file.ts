import { createReadStream } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import type { ReadingTuple, RejectedRow, RejectionReason } from '../domain/readings/events';
import { resolveHeader } from '../domain/readings/header';
import { RowValidator, type RowOutcome, type ValidationRules } from '../domain/readings/row-validator';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { FileProblem } from './spool';

export interface ValidationSink {
  accepted(readings: ReadingTuple[]): Promise<void>;
  rejected(rows: RejectedRow[]): Promise<void>;
}

export type FileValidationResult =
  | { kind: 'rejected'; problem: FileProblem }
  | {
      kind: 'validated';
      totalRows: number;
      acceptedRows: number;
      rejectedRows: number;
      meters: number;
      firstIntervalStart: number | null;
      lastIntervalStart: number | null;
    };

export interface BatchLimits {
  readingsPerEvent: number;
  rejectedRowsPerEvent: number;
  /** Raw text of rejected rows per event, so an event stays far below 1 MiB. */
  rejectedBytesPerEvent: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  readingsPerEvent: 5_000,
  rejectedRowsPerEvent: 500,
  rejectedBytesPerEvent: 256 * 1024,
};

const RAW_LIMIT = 1024;

/** Marker the parser's skip hook puts in the record stream, in order with the records. */
interface SkippedRecord {
  skipped: true;
  message: string;
  code: string;
  lines: number | undefined;
}

/**
 * Streams a landed CSV file through csv-parse and the row rules, handing accepted readings and rejected
 * rows to the sink in batches. Memory stays bounded by one batch plus the per-file duplicate index.
 */
export async function validateReadingsFile(
  path: string,
  options: { clock: ZonedClock; rules: ValidationRules; batch?: BatchLimits; maxRecordBytes: number },
  sink: ValidationSink,
): Promise<FileValidationResult> {
  const batch = options.batch ?? DEFAULT_BATCH_LIMITS;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_records_with_error: true,
    max_record_size: options.maxRecordBytes,
    on_skip: (error: CsvError | undefined) => {
      const marker: SkippedRecord = {
        skipped: true,
        message: error?.message ?? 'unreadable CSV record',
        code: error?.code ?? 'CSV_ERROR',
        lines: typeof error?.lines === 'number' ? error.lines : undefined,
      };
      parser.push(marker);
      return undefined;
    },
  });
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  let validator: RowValidator | null = null;
  let line = 1;
  let totalRows = 0;
  let acceptedRows = 0;
  let rejectedRows = 0;
  let readings: ReadingTuple[] = [];
  let rejected: RejectedRow[] = [];
  let rejectedBytes = 0;

  const reject = async (row: RejectedRow): Promise<void> => {
    rejected.push(row);
    rejectedRows += 1;
    rejectedBytes += row.raw.length + 200;
    if (rejected.length >= batch.rejectedRowsPerEvent || rejectedBytes >= batch.rejectedBytesPerEvent) {
      const full = rejected;
      rejected = [];
      rejectedBytes = 0;
      await sink.rejected(full);
    }
  };

  try {
    for await (const item of parser as AsyncIterable<string[] | SkippedRecord>) {
      if (!Array.isArray(item)) {
        if (validator === null) {
          return {
            kind: 'rejected',
            problem: { code: 'MALFORMED_CSV', line, reason: `line ${line}: ${item.message}` },
          };
        }
        totalRows += 1;
        await reject({ line, raw: '', reasons: [{ code: 'MALFORMED_CSV', message: item.message }] });
        line = item.lines !== undefined && item.lines >= line ? item.lines + 1 : line + 1;
        continue;
      }
      const fields = item;
      const rowLine = line;
      line += 1 + embeddedNewlines(fields);
      if (fields.length === 1 && (fields[0] ?? '').trim() === '') continue; // blank line
      if (validator === null) {
        const header = resolveHeader(fields);
        if (!header.ok)
          return { kind: 'rejected', problem: { code: header.code, line: rowLine, reason: header.reason } };
        validator = new RowValidator(header.columns, options.rules, options.clock);
        continue;
      }
      totalRows += 1;
      const outcome: RowOutcome = fields.some(hasReplacementCharacter)
        ? { accepted: false, reasons: [encodingReason] }
        : validator.validate(rowLine, fields);
      if (outcome.accepted) {
        acceptedRows += 1;
        readings.push(outcome.reading);
        if (readings.length >= batch.readingsPerEvent) {
          const full = readings;
          readings = [];
          await sink.accepted(full);
        }
      } else {
        await reject({ line: rowLine, raw: toRaw(fields), reasons: outcome.reasons });
      }
    }
  } catch (error) {
    // csv-parse gave up on the rest of the file: what was accepted stands, the rest is one rejected row.
    const message = error instanceof Error ? error.message : String(error);
    if (validator === null) {
      return { kind: 'rejected', problem: { code: 'MALFORMED_CSV', line, reason: `line ${line}: ${message}` } };
    }
    totalRows += 1;
    await reject({
      line,
      raw: '',
      reasons: [{ code: 'MALFORMED_CSV', message: `the file could not be read from line ${line} on: ${message}` }],
    });
  } finally {
    input.destroy();
  }

  if (validator === null) {
    return { kind: 'rejected', problem: { code: 'EMPTY_FILE', line: null, reason: 'the file has no header line' } };
  }
  if (readings.length > 0) await sink.accepted(readings);
  if (rejected.length > 0) await sink.rejected(rejected);
  const range = validator.intervalRange;
  return {
    kind: 'validated',
    totalRows,
    acceptedRows,
    rejectedRows,
    meters: validator.meterCount,
    firstIntervalStart: range?.first ?? null,
    lastIntervalStart: range?.last ?? null,
  };
}

const encodingReason: RejectionReason = {
  code: 'ENCODING_INVALID',
  message: 'the row is not valid UTF-8 text',
};

function hasReplacementCharacter(field: string): boolean {
  return field.includes('\uFFFD');
}

function embeddedNewlines(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) count += 1;
  }
  return count;
}

/** The row written back as CSV (quoted where needed), cut to 1 KiB. */
function toRaw(fields: readonly string[]): string {
  const text = fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',');
  return text.length > RAW_LIMIT ? text.slice(0, RAW_LIMIT) : text;
}
