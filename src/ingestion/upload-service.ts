import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type {
  FileReceived,
  FileRejected,
  FileValidated,
  ReadingTuple,
  RejectedRow,
  UploadEvent,
} from '../domain/readings/events';
import { uploadStreamName } from '../domain/readings/events';
import type { ValidationRules } from '../domain/readings/row-validator';
import { describeValidated } from '../domain/readings/upload-messages';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { ConsistencyWaiter } from '../ports/consistency';
import type { EventStore, ExpectedRevision } from '../ports/event-store';
import { WrongExpectedRevisionError } from '../ports/event-store';
import type { UploadQueries } from '../ports/upload-read-model';
import { uploadEventId } from './event-ids';
import { validateReadingsFile } from './readings-file';
import { spoolUpload } from './spool';

export type UploadStatusName = 'RECEIVED' | 'VALIDATED' | 'REJECTED';

export interface UploadReceipt {
  uploadId: string;
  fileName: string;
  status: UploadStatusName;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  duplicateOf: string | null;
  position: string;
  message: string | null;
}

export interface UploadCommand {
  fileName: string;
  content: Readable;
  uploadedBy: string | null;
  /** Chosen by the client so it can subscribe to `fileValidation` before the upload starts. */
  uploadId?: string;
}

export class UploadIdInUseError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload id ${uploadId} is already used by another upload`);
    this.name = 'UploadIdInUseError';
  }
}

export interface UploadServiceDeps {
  eventStore: EventStore;
  uploads: UploadQueries;
  consistency: ConsistencyWaiter;
  clock: ZonedClock;
  rules: ValidationRules;
  spoolDir: string;
  maxUploadBytes: number;
  maxLineBytes: number;
  now: () => Date;
  newId: () => string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Told of every finished upload (metrics). */
  onFinished?: (receipt: UploadReceipt) => void;
}

/** Handles `uploadReadings`: lands the file, validates it row by row and records what it found. */
export class UploadService {
  constructor(private readonly deps: UploadServiceDeps) {}

  async uploadReadings(command: UploadCommand): Promise<UploadReceipt> {
    const receipt = await this.handle(command);
    this.deps.onFinished?.(receipt);
    return receipt;
  }

  private async handle(command: UploadCommand): Promise<UploadReceipt> {
    const { deps } = this;
    const uploadId = command.uploadId ?? deps.newId();
    const writer = new UploadStreamWriter(deps.eventStore, uploadId);
    if (await writer.exists()) throw new UploadIdInUseError(uploadId);

    const spoolPath = join(deps.spoolDir, `${uploadId}.csv`);
    try {
      const spooled = await spoolUpload(command.content, spoolPath, {
        maxLineBytes: deps.maxLineBytes,
        maxUploadBytes: deps.maxUploadBytes,
      });
      await writer.append({
        type: 'FileReceived',
        data: {
          uploadId,
          fileName: command.fileName,
          byteSize: spooled.byteSize,
          sha256: spooled.sha256,
          resolutionMinutes: deps.rules.resolutionMinutes,
          timeZone: deps.clock.timeZone,
          uploadedBy: command.uploadedBy,
          receivedAt: deps.now().toISOString(),
        },
      } satisfies FileReceived);

      if (spooled.problem !== null) {
        return await this.finishRejected(writer, command.fileName, spooled.problem);
      }

      // The duplicate check reads the upload-status model: let it catch up with the log first.
      await deps.consistency.waitForPosition(null, 10_000);
      const original = await deps.uploads.findValidatedBySha256(spooled.sha256);
      if (original !== null) {
        return await this.finishValidated(writer, command.fileName, {
          totalRows: 0,
          acceptedRows: 0,
          rejectedRows: 0,
          meters: 0,
          firstIntervalStart: null,
          lastIntervalStart: null,
          duplicateOf: original.uploadId,
        });
      }

      let batch = 0;
      const result = await validateReadingsFile(
        spoolPath,
        { clock: deps.clock, rules: deps.rules, maxRecordBytes: deps.maxLineBytes },
        {
          accepted: async (readings: ReadingTuple[]) => {
            await writer.append({ type: 'ReadingsAccepted', data: { uploadId, batch: batch++, readings } });
          },
          rejected: async (rows: RejectedRow[]) => {
            await writer.append({ type: 'RowsRejected', data: { uploadId, batch: batch++, rows } });
          },
        },
      );
      if (result.kind === 'rejected') return await this.finishRejected(writer, command.fileName, result.problem);
      return await this.finishValidated(writer, command.fileName, {
        totalRows: result.totalRows,
        acceptedRows: result.acceptedRows,
        rejectedRows: result.rejectedRows,
        meters: result.meters,
        firstIntervalStart: isoOrNull(result.firstIntervalStart),
        lastIntervalStart: isoOrNull(result.lastIntervalStart),
        duplicateOf: null,
      });
    } catch (error) {
      await this.markInterrupted(writer, error);
      throw error;
    } finally {
      await rm(spoolPath, { force: true });
    }
  }

  private async finishValidated(
    writer: UploadStreamWriter,
    fileName: string,
    summary: Omit<FileValidated['data'], 'uploadId' | 'validatedAt'>,
  ): Promise<UploadReceipt> {
    const event: FileValidated = {
      type: 'FileValidated',
      data: { uploadId: writer.uploadId, ...summary, validatedAt: this.deps.now().toISOString() },
    };
    const position = await writer.append(event);
    return {
      uploadId: writer.uploadId,
      fileName,
      status: 'VALIDATED',
      totalRows: summary.totalRows,
      acceptedRows: summary.acceptedRows,
      rejectedRows: summary.rejectedRows,
      duplicateOf: summary.duplicateOf,
      position,
      message: describeValidated(summary),
    };
  }

  private async finishRejected(
    writer: UploadStreamWriter,
    fileName: string,
    problem: { code: FileRejected['data']['code']; reason: string; line: number | null },
  ): Promise<UploadReceipt> {
    const position = await writer.append({
      type: 'FileRejected',
      data: {
        uploadId: writer.uploadId,
        code: problem.code,
        reason: problem.reason,
        line: problem.line,
        rejectedAt: this.deps.now().toISOString(),
      },
    });
    return {
      uploadId: writer.uploadId,
      fileName,
      status: 'REJECTED',
      totalRows: 0,
      acceptedRows: 0,
      rejectedRows: 0,
      duplicateOf: null,
      position,
      message: problem.reason,
    };
  }

  /** Best effort: a stream left without a final event would stay RECEIVED for ever. */
  private async markInterrupted(writer: UploadStreamWriter, error: unknown): Promise<void> {
    if (!writer.started) return;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      await writer.append({
        type: 'FileRejected',
        data: {
          uploadId: writer.uploadId,
          code: 'INTERRUPTED',
          reason: `processing stopped: ${reason}; readings already accepted are kept, upload the file again for the rest`,
          line: null,
          rejectedAt: this.deps.now().toISOString(),
        },
      });
    } catch (appendError) {
      this.deps.log('could not record the interrupted upload', {
        uploadId: writer.uploadId,
        error: String(appendError),
      });
    }
  }
}

/** Appends the events of one upload in order, with exact expected revisions and deterministic ids. */
class UploadStreamWriter {
  private revision: ExpectedRevision = 'no_stream';
  private appended = 0;

  constructor(
    private readonly eventStore: EventStore,
    readonly uploadId: string,
  ) {}

  get started(): boolean {
    return this.appended > 0;
  }

  async exists(): Promise<boolean> {
    for await (const event of this.eventStore.readStream(uploadStreamName(this.uploadId), { maxCount: 1 })) {
      return event !== undefined;
    }
    return false;
  }

  async append(event: UploadEvent): Promise<string> {
    try {
      const result = await this.eventStore.appendToStream(
        uploadStreamName(this.uploadId),
        [{ id: uploadEventId(this.uploadId, this.appended), type: event.type, data: event.data }],
        { expectedRevision: this.revision },
      );
      this.revision = result.nextExpectedRevision;
      this.appended += 1;
      return result.position;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && this.appended === 0)
        throw new UploadIdInUseError(this.uploadId);
      throw error;
    }
  }
}

function isoOrNull(instant: number | null): string | null {
  return instant === null ? null : new Date(instant).toISOString();
}
