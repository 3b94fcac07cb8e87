/** Messages between the upload service and its validation workers (structured-cloned; readings transferred). */
import type { RejectedRow } from '../domain/readings/events';
import type { ReadingsFormatRequest } from '../domain/readings/format/request';
import type { ReadingsColumns } from '../domain/readings/readings-batch';
import type { ValidationRules } from '../domain/readings/row-validator';
import type { BatchLimits, FileValidationResult } from './validation-types';
import type { FileLayout } from './spool';

export type ToWorker =
  | {
      kind: 'validate';
      job: number;
      path: string;
      timeZone: string;
      rules: ValidationRules;
      maxRecordBytes: number;
      layout?: FileLayout;
      batch?: BatchLimits;
      format?: ReadingsFormatRequest;
      defaultIntervalMinutes?: number;
      maxListedRejectedRows?: number;
    }
  /** The service has written batch `seq` (or could not: `error`). */
  | { kind: 'ack'; job: number; seq: number; error: string | null };

export type FromWorker =
  | { kind: 'accepted'; job: number; seq: number; readings: ReadingsColumns }
  | { kind: 'rejected'; job: number; seq: number; rows: RejectedRow[] }
  | { kind: 'done'; job: number; result: FileValidationResult }
  /** `sinkFailed`: the validation stopped because the service could not write a batch. */
  | { kind: 'failed'; job: number; message: string; sinkFailed: boolean };

/** Batches a worker may send ahead of the service's writes: parsing overlaps writing, memory stays bounded. */
export const BATCHES_IN_FLIGHT = 3;
