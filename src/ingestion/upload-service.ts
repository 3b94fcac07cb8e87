import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileRejected, RejectedRow } from '../domain/readings/events';
import { toUploadEvent, uploadStreamName } from '../domain/readings/events';
import { checkFormat, encodingOf, type Delimiter, type ReadingsFormatRequest } from '../domain/readings/format/request';
import { checkFormatOnSample } from '../domain/readings/format/sample-check';
import { jsonDictionary } from '../domain/json-dictionary';
import { encodeReadingsBatch, type ReadingsColumns } from '../domain/readings/readings-batch';
import type { ValidationRules } from '../domain/readings/row-validator';
import { intervalsOf, type ValidationSummary } from '../domain/readings/upload-decider';
import type { UploadStatusDoc } from '../domain/readings/upload-status';
import { evolveUploadStatus, isFinished } from '../domain/readings/upload-status';
import { ZonedClock } from '../domain/time/zoned-time';
import type { EventStore } from '../ports/event-store';
import { WrongExpectedRevisionError } from '../ports/event-store';
import type { UploadQueries } from '../ports/upload-read-model';
import { watchUploadValidation } from '../projections/upload-status/watch';
import { FileClaims } from './file-claim-store';
import { sampleOfHead } from './file-sample';
import { SinkFailure } from './sink-failure';
import { spoolUpload, type SpooledFile } from './spool';
import { IdenticalUploadInProgressError, TooManyUploadsError, UploadIdInUseError } from './upload-errors';
import { receiptOf, type UploadReceipt } from './upload-receipt';
import { UploadStream } from './upload-stream';
import { validateInProcess, type FileValidator } from './validation-workers';

export interface UploadCommand {
  fileName: string;
  content: Readable;
  uploadedBy: string | null;
  /** Chosen by the client so it can subscribe to `fileValidation` before the upload starts. */
  uploadId?: string;
  /** How the file is laid out; the header decides the dialect when absent (`checkFormat` it first). */
  format?: ReadingsFormatRequest;
}

export interface UploadServiceDeps {
  eventStore: EventStore;
  uploads: UploadQueries;
  clock: ZonedClock;
  rules: ValidationRules;
  spoolDir: string;
  maxUploadBytes: number;
  maxLineBytes: number;
  /** A file that sends no byte for this long is dropped: a stalled client holds no upload slot. */
  uploadIdleMs?: number;
  now: () => Date;
  newId: () => string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Told of every finished upload (metrics). */
  onFinished?: (receipt: UploadReceipt) => void;
  /** How long an upload waits for an identical one in progress before giving up (default 10 minutes). */
  identicalUploadWaitMs?: number;
  /**
   * This service is the log's only writer of uploads (the embedded store: one process owns the file), so
   * an unfinished upload it is not processing now was cut off and can be marked INTERRUPTED at once.
   */
  singleWriter?: boolean;
  /** Reads a landed file through the rules (default: on this thread; the server uses worker threads). */
  validateFile?: FileValidator;
  /** Uploads processed at once; one more is refused with `TooManyUploadsError` before its file is read. */
  maxConcurrentUploads?: number;
  /** Rejected rows of one file kept with their reasons; the rest are counted (`unlistedRejectedRows`). */
  maxListedRejectedRows?: number;
}

/**
 * Handles `uploadReadings`: lands the file, claims its content hash, validates it row by row and records
 * what it found, each step decided by the upload's decider (`UploadStream`). The upload's readings take
 * effect (are billed) only once `FileValidated` is in the log; an upload that fails or is interrupted
 * records so, gives its claim back, and takes no effect.
 */
export class UploadService {
  private readonly claims: FileClaims;
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: UploadServiceDeps) {
    this.claims = new FileClaims(deps.eventStore, deps.now);
  }

  async uploadReadings(command: UploadCommand): Promise<UploadReceipt> {
    const receipt = await this.handle(command);
    this.deps.onFinished?.(receipt);
    return receipt;
  }

  /**
   * Marks every upload left unfinished (its server stopped mid-file) as INTERRUPTED and gives its claim
   * back. Call at start, when no upload can be in flight (one process owns the embedded event log).
   */
  async interruptUnfinishedUploads(): Promise<string[]> {
    const marked: string[] = [];
    for (const doc of await this.deps.uploads.unfinishedUploads()) {
      if (!this.inFlight.has(doc.uploadId) && (await this.interrupt(doc))) marked.push(doc.uploadId);
    }
    return marked;
  }

  /** Marks an unfinished upload INTERRUPTED and gives its claim back; false when it moved on meanwhile. */
  private async interrupt(doc: UploadStatusDoc): Promise<boolean> {
    const stream = new UploadStream(this.deps.eventStore, doc.uploadId, this.deps.now, doc);
    try {
      await stream.record({ type: 'Interrupt' });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
    if (doc.sha256 !== null) await this.claims.release(doc.sha256, doc.uploadId, 'upload interrupted');
    return true;
  }

  /** The upload's status as its stream tells it now (null when it has no stream). */
  private async currentStatusOf(uploadId: string): Promise<UploadStatusDoc | null> {
    let doc: UploadStatusDoc | null = null;
    for await (const recorded of this.deps.eventStore.readStream(uploadStreamName(uploadId))) {
      const event = toUploadEvent(recorded);
      if (event !== null)
        doc = evolveUploadStatus(doc, { event, revision: recorded.revision, position: recorded.position });
    }
    return doc;
  }

  private async handle(command: UploadCommand): Promise<UploadReceipt> {
    const limit = this.deps.maxConcurrentUploads ?? Number.POSITIVE_INFINITY;
    if (this.inFlight.size >= limit) throw new TooManyUploadsError(limit);
    const uploadId = command.uploadId ?? this.deps.newId();
    this.inFlight.add(uploadId);
    try {
      return await this.process(uploadId, command);
    } finally {
      this.inFlight.delete(uploadId);
    }
  }

  /** The steps: land the file, claim its content, validate its rows, finish. */
  private async process(uploadId: string, command: UploadCommand): Promise<UploadReceipt> {
    const { deps } = this;
    // The resolver checks the format too; checked here as well, since the service expands its pattern.
    if (command.format !== undefined) checkFormat(command.format, (zone) => ZonedClock.isValidTimeZone(zone));
    const stream = new UploadStream(deps.eventStore, uploadId, deps.now);
    if (await stream.exists()) throw new UploadIdInUseError(uploadId);

    const spoolPath = join(deps.spoolDir, `${uploadId}.csv`);
    let claimed: string | null = null;
    try {
      const { spooled, clock } = await this.land(stream, spoolPath, command);
      if (spooled.problem !== null) return await this.finishRejected(stream, spooled.problem);

      // The same bytes read with another format are another upload: the claim is on both.
      const claimKey =
        command.format === undefined
          ? spooled.sha256
          : createHash('sha256')
              .update(`${spooled.sha256}\n${JSON.stringify(command.format)}`)
              .digest('hex');
      const original = await this.claimOrFindOriginal(claimKey, uploadId);
      if (original !== null) {
        return await this.finishValidated(stream, {
          totalRows: 0,
          acceptedRows: 0,
          rejectedRows: 0,
          roundedRows: 0,
          meters: 0,
          firstIntervalStart: null,
          lastIntervalStart: null,
          duplicateOf: original,
        });
      }
      claimed = claimKey;

      const result = await this.validate(stream, spoolPath, spooled, clock, command);
      if (result.kind === 'rejected') {
        await this.claims.release(claimed, uploadId, 'file rejected');
        claimed = null;
        return await this.finishRejected(stream, result.problem);
      }
      const receipt = await this.finishValidated(stream, {
        totalRows: result.totalRows,
        acceptedRows: result.acceptedRows,
        rejectedRows: result.rejectedRows,
        roundedRows: result.roundedRows,
        skippedRows: result.skippedRows,
        ...(result.unlistedRejectedRows > 0 ? { unlistedRejectedRows: result.unlistedRejectedRows } : {}),
        format: result.format,
        ...intervalsOf(result.meterIntervals),
        ...(result.qualityMarks.length > 0 ? { qualityMarks: result.qualityMarks } : {}),
        ...(result.channels.length > 0 ? { channels: result.channels } : {}),
        ...(result.skippedSeries.length > 0 ? { skippedSeries: result.skippedSeries } : {}),
        ...(result.seriesIntervals.size > 0 ? { seriesIntervals: jsonDictionary(result.seriesIntervals) } : {}),
        meters: result.meters,
        firstIntervalStart: isoOrNull(result.firstIntervalStart),
        lastIntervalStart: isoOrNull(result.lastIntervalStart),
        duplicateOf: null,
      });
      claimed = null; // a validated upload keeps the claim: identical files are its duplicates
      return receipt;
    } catch (error) {
      if (!stream.started) throw error;
      return await this.finishFailed(stream, claimed, error);
    } finally {
      await rm(spoolPath, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Lands the file on the server's disk and records it received. A format that cannot apply to this
   * file is the caller's mistake: refused before any event.
   */
  private async land(
    stream: UploadStream,
    spoolPath: string,
    command: UploadCommand,
  ): Promise<{ spooled: SpooledFile; clock: ZonedClock }> {
    const { deps } = this;
    const spooled = await spoolUpload(
      command.content,
      spoolPath,
      { maxLineBytes: deps.maxLineBytes, maxUploadBytes: deps.maxUploadBytes, idleMs: deps.uploadIdleMs },
      encodingOf(command.format?.encoding ?? 'utf-8') ?? 'utf-8',
    );
    const clock = command.format?.timeZone === undefined ? deps.clock : new ZonedClock(command.format.timeZone);
    if (command.format !== undefined && spooled.problem === null) {
      const delimiter = (command.format.delimiter ?? ',') as Delimiter;
      const sample = sampleOfHead(spooled.headText, delimiter);
      if (sample !== null) checkFormatOnSample(command.format, sample, { timeZone: clock.timeZone, delimiter }, clock);
    }
    await stream.record({
      type: 'Land',
      file: {
        uploadId: stream.uploadId,
        fileName: command.fileName,
        byteSize: spooled.byteSize,
        sha256: spooled.sha256,
        resolutionMinutes: deps.rules.resolutionMinutes,
        timeZone: deps.clock.timeZone,
        uploadedBy: command.uploadedBy,
      },
    });
    return { spooled, clock };
  }

  /** Reads the landed file through the rules, recording its accepted and rejected rows batch by batch. */
  private validate(
    stream: UploadStream,
    spoolPath: string,
    spooled: SpooledFile,
    clock: ZonedClock,
    command: UploadCommand,
  ) {
    const { deps } = this;
    const uploadId = stream.uploadId;
    let batch = 0;
    return (deps.validateFile ?? validateInProcess)(
      spoolPath,
      {
        clock,
        rules: deps.rules,
        maxRecordBytes: deps.maxLineBytes,
        layout: spooled.layout,
        defaultIntervalMinutes: deps.rules.resolutionMinutes,
        ...(deps.maxListedRejectedRows === undefined ? {} : { maxListedRejectedRows: deps.maxListedRejectedRows }),
        ...(command.format === undefined ? {} : { format: command.format }),
      },
      {
        // Each batch is written in a turn of its own, so requests are served between two writes however
        // many batches a file makes (a worker's messages are otherwise handled a thousand at a time).
        accepted: async (readings: ReadingsColumns) => {
          await nextTurn();
          const payload = encodeReadingsBatch({ uploadId, batch, ...readings });
          await stream.record({ type: 'AcceptReadings', batch, count: readings.meter.length }, payload);
          batch += 1;
        },
        rejected: async (rows: RejectedRow[]) => {
          await nextTurn();
          await stream.record({ type: 'RejectRows', batch, rows });
          batch += 1;
        },
      },
    );
  }

  /**
   * Claims the file's hash for this upload; or, when an identical file was validated already, returns
   * that upload's id. An identical upload in progress is waited for: if it ends validated this one is
   * its duplicate, else this one claims the file.
   */
  private async claimOrFindOriginal(sha256: string, uploadId: string): Promise<string | null> {
    const deadline = Date.now() + (this.deps.identicalUploadWaitMs ?? 600_000);
    for (;;) {
      const claim = await this.claims.read(sha256);
      if (claim.holder === null) {
        if (!(await this.claims.take(sha256, uploadId, claim.revision))) continue; // someone was faster
        // Uploads validated before claims existed hold no claim: the read model knows them.
        const legacy = await this.deps.uploads.findValidatedBySha256(sha256);
        if (legacy !== null && legacy.uploadId !== uploadId) {
          await this.claims.release(sha256, uploadId, `duplicate of ${legacy.uploadId}`);
          return legacy.uploadId;
        }
        return null;
      }
      if (this.deps.singleWriter === true && !this.inFlight.has(claim.holder)) {
        // Nobody processes it: it was cut off (a stop, or a log that refused even the FAILED marker).
        const current = await this.currentStatusOf(claim.holder);
        if (current !== null && !isFinished(current)) {
          await this.interrupt(current);
          continue;
        }
      }
      const holder = await this.finalStatusOf(claim.holder, deadline);
      if (holder === null) throw new IdenticalUploadInProgressError(claim.holder);
      if (holder.status === 'VALIDATED') return holder.duplicateOf ?? holder.uploadId;
      // It ended without effect but kept the claim (it stopped before giving it back): release it for it.
      await this.claims.release(sha256, claim.holder, `upload ${holder.status.toLowerCase()}`, claim.revision);
    }
  }

  /** The holder's final status, waiting for it to finish until the deadline (null when it did not). */
  private async finalStatusOf(uploadId: string, deadline: number): Promise<UploadStatusDoc | null> {
    const updates = watchUploadValidation(this.deps.eventStore, uploadId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
    });
    try {
      const final = (async (): Promise<UploadStatusDoc | null> => {
        let last: UploadStatusDoc | null = null;
        for await (const doc of updates) last = doc;
        return last !== null && isFinished(last) ? last : null;
      })();
      return await Promise.race([final, timeout]);
    } finally {
      clearTimeout(timer);
      await updates.return?.();
    }
  }

  private async finishValidated(stream: UploadStream, summary: ValidationSummary): Promise<UploadReceipt> {
    await stream.record({ type: 'FinishValidated', summary });
    return receiptOf(stream.state!);
  }

  /** A rejected file accepted nothing: its receipt counts no rows, however far they were read. */
  private async finishRejected(
    stream: UploadStream,
    problem: { code: FileRejected['data']['code']; reason: string; line: number | null },
  ): Promise<UploadReceipt> {
    await stream.record({ type: 'FinishRejected', problem });
    return { ...receiptOf(stream.state!), totalRows: 0, acceptedRows: 0, rejectedRows: 0 };
  }

  /**
   * The event log refused a write (or processing broke): the upload ends FAILED, takes no effect and
   * gives its claim back. The receipt counts what the log holds of it. When even the FAILED marker
   * cannot be written, the upload stays unfinished in the log and is marked INTERRUPTED at the next start.
   */
  private async finishFailed(stream: UploadStream, claimed: string | null, error: unknown): Promise<UploadReceipt> {
    const cause = error instanceof SinkFailure ? error.cause : error;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const reason = `the upload failed: ${detail}; none of its readings take effect: upload the file again`;
    this.deps.log('upload failed', { uploadId: stream.uploadId, error: detail });
    try {
      await stream.record({ type: 'FinishFailed', reason });
    } catch (markerError) {
      this.deps.log('could not record the failed upload; it is marked interrupted at the next start', {
        uploadId: stream.uploadId,
        error: String(markerError),
      });
    }
    if (claimed !== null) {
      await this.claims.release(claimed, stream.uploadId, 'upload failed').catch((releaseError: unknown) =>
        this.deps.log('could not give the file claim back', {
          uploadId: stream.uploadId,
          error: String(releaseError),
        }),
      );
    }
    return { ...receiptOf(stream.state!), status: 'FAILED', position: stream.position, message: reason };
  }
}

/** Resolves in the event loop's next turn, after the I/O that is waiting (requests, other uploads). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isoOrNull(instant: number | null): string | null {
  return instant === null ? null : new Date(instant).toISOString();
}
