import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileClaimEvent } from '../domain/readings/file-claims';
import { claimHolder, fileClaimStreamName } from '../domain/readings/file-claims';
import type {
  FileReceived,
  FileRejected,
  FileValidated,
  IntervalSummary,
  QualityMarkCount,
  RejectedRow,
  UploadEvent,
} from '../domain/readings/events';
import {
  encodingOf,
  type AppliedFormat,
  type Delimiter,
  type ReadingsFormatRequest,
} from '../domain/readings/format/request';
import { checkFormatOnSample } from '../domain/readings/format/sample-check';
import { toUploadEvent, uploadStreamName } from '../domain/readings/events';
import { encodeReadingsBatch, type ReadingsColumns } from '../domain/readings/readings-batch';
import type { ValidationRules } from '../domain/readings/row-validator';
import { describeValidated } from '../domain/readings/upload-messages';
import { ZonedClock } from '../domain/time/zoned-time';
import type { EventStore, ExpectedRevision } from '../ports/event-store';
import { WrongExpectedRevisionError } from '../ports/event-store';
import type { UploadQueries } from '../ports/upload-read-model';
import type { UploadStatusDoc } from '../domain/readings/upload-status';
import { evolveUploadStatus, isFinished } from '../domain/readings/upload-status';
import { watchUploadValidation } from '../projections/upload-status/watch';
import { uploadEventId } from './event-ids';
import { SinkFailure } from './readings-file';
import { validateInProcess, type FileValidator } from './validation-workers';
import { sampleOfHead } from './file-sample';
import { spoolUpload } from './spool';

export type UploadStatusName = 'RECEIVED' | 'VALIDATED' | 'REJECTED' | 'FAILED' | 'INTERRUPTED';

export interface UploadReceipt {
  uploadId: string;
  fileName: string;
  status: UploadStatusName;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  /** Accepted rows whose kWh had more than 6 decimals, rounded half up. */
  roundedRows: number;
  /** Rows the format's filter left out (other data series of an export). */
  skippedRows: number;
  /** The format applied (null when the file was refused before its header was read, or is a duplicate). */
  format: AppliedFormat | null;
  intervals: IntervalSummary[];
  /** Accepted readings by the export's status or quality mark. */
  qualityMarks: QualityMarkCount[];
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
  /** How the file is laid out; the header decides the dialect when absent (`checkFormat` it first). */
  format?: ReadingsFormatRequest;
}

export class UploadIdInUseError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload id ${uploadId} is already used by another upload`);
    this.name = 'UploadIdInUseError';
  }
}

/** As many uploads as the service takes at once are running: the client tries again later. */
export class TooManyUploadsError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} uploads are being processed already (MAX_CONCURRENT_UPLOADS); try again when one has finished`);
    this.name = 'TooManyUploadsError';
  }
}

/** A byte-identical file is being processed by another upload and did not finish in time. */
export class IdenticalUploadInProgressError extends Error {
  constructor(readonly otherUploadId: string) {
    super(`a byte-identical file is still being processed as upload ${otherUploadId}; try again when it has finished`);
    this.name = 'IdenticalUploadInProgressError';
  }
}

export interface UploadServiceDeps {
  eventStore: EventStore;
  uploads: UploadQueries;
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
}

/**
 * Handles `uploadReadings`: lands the file, claims its content hash, validates it row by row and records
 * what it found. The upload's readings take effect (are billed) only once `FileValidated` is in the log;
 * an upload that fails or is interrupted records so, gives its claim back, and takes no effect.
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
    const writer = new UploadStreamWriter(this.deps.eventStore, doc.uploadId, doc.revision);
    try {
      await writer.append({
        type: 'UploadInterrupted',
        data: {
          uploadId: doc.uploadId,
          reason:
            'processing stopped before the end of the file (the server stopped, or the log refused a write); none of its readings take effect: upload the file again',
          interruptedAt: this.deps.now().toISOString(),
        },
      });
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

  private async process(uploadId: string, command: UploadCommand): Promise<UploadReceipt> {
    const { deps } = this;
    const writer = new UploadStreamWriter(deps.eventStore, uploadId);
    if (await writer.exists()) throw new UploadIdInUseError(uploadId);

    const spoolPath = join(deps.spoolDir, `${uploadId}.csv`);
    let claimed: string | null = null;
    try {
      const spooled = await spoolUpload(
        command.content,
        spoolPath,
        { maxLineBytes: deps.maxLineBytes, maxUploadBytes: deps.maxUploadBytes },
        encodingOf(command.format?.encoding ?? 'utf-8') ?? 'utf-8',
      );
      const clock = command.format?.timeZone === undefined ? deps.clock : new ZonedClock(command.format.timeZone);
      if (command.format !== undefined && spooled.problem === null) {
        // A format that cannot apply to this file is the caller's mistake: refused before any event.
        const delimiter = (command.format.delimiter ?? ',') as Delimiter;
        const sample = sampleOfHead(spooled.headText, delimiter);
        if (sample !== null)
          checkFormatOnSample(command.format, sample, { timeZone: clock.timeZone, delimiter }, clock);
      }
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

      // The same bytes read with another format are another upload: the claim is on both.
      const claimKey =
        command.format === undefined
          ? spooled.sha256
          : createHash('sha256')
              .update(`${spooled.sha256}\n${JSON.stringify(command.format)}`)
              .digest('hex');
      const original = await this.claimOrFindOriginal(claimKey, uploadId);
      if (original !== null) {
        return await this.finishValidated(writer, command.fileName, {
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

      let batch = 0;
      const result = await (deps.validateFile ?? validateInProcess)(
        spoolPath,
        {
          clock,
          rules: deps.rules,
          maxRecordBytes: deps.maxLineBytes,
          layout: spooled.layout,
          defaultIntervalMinutes: deps.rules.resolutionMinutes,
          ...(command.format === undefined ? {} : { format: command.format }),
        },
        {
          accepted: async (readings: ReadingsColumns) => {
            const data = encodeReadingsBatch({ uploadId, batch, ...readings });
            await writer.append(
              { type: 'ReadingsAccepted', data: { uploadId, batch, count: readings.meter.length } },
              data,
            );
            batch += 1;
          },
          rejected: async (rows: RejectedRow[]) => {
            await writer.append({ type: 'RowsRejected', data: { uploadId, batch, rows } });
            batch += 1;
          },
        },
      );
      if (result.kind === 'rejected') {
        await this.claims.release(claimed, uploadId, 'file rejected');
        claimed = null;
        return await this.finishRejected(writer, command.fileName, result.problem);
      }
      const receipt = await this.finishValidated(writer, command.fileName, {
        totalRows: result.totalRows,
        acceptedRows: result.acceptedRows,
        rejectedRows: result.rejectedRows,
        roundedRows: result.roundedRows,
        skippedRows: result.skippedRows,
        format: result.format,
        ...intervalsOf(result.meterIntervals),
        ...(result.qualityMarks.length > 0 ? { qualityMarks: result.qualityMarks } : {}),
        meters: result.meters,
        firstIntervalStart: isoOrNull(result.firstIntervalStart),
        lastIntervalStart: isoOrNull(result.lastIntervalStart),
        duplicateOf: null,
      });
      claimed = null; // a validated upload keeps the claim: identical files are its duplicates
      return receipt;
    } catch (error) {
      if (!writer.started) throw error;
      return await this.finishFailed(writer, command.fileName, claimed, error);
    } finally {
      await rm(spoolPath, { force: true }).catch(() => undefined);
    }
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
      roundedRows: summary.roundedRows ?? 0,
      skippedRows: summary.skippedRows ?? 0,
      format: summary.format ?? null,
      intervals: summary.intervals ?? [],
      qualityMarks: summary.qualityMarks ?? [],
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
    return { ...emptyReceipt(writer.uploadId, fileName, position), status: 'REJECTED', message: problem.reason };
  }

  /**
   * The event log refused a write (or processing broke): the upload ends FAILED, takes no effect and
   * gives its claim back. The receipt counts what the log holds of it. When even the FAILED marker
   * cannot be written, the upload stays unfinished in the log and is marked INTERRUPTED at the next start.
   */
  private async finishFailed(
    writer: UploadStreamWriter,
    fileName: string,
    claimed: string | null,
    error: unknown,
  ): Promise<UploadReceipt> {
    const cause = error instanceof SinkFailure ? error.cause : error;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const reason = `the upload failed: ${detail}; none of its readings take effect: upload the file again`;
    this.deps.log('upload failed', { uploadId: writer.uploadId, error: detail });
    let position = writer.position;
    try {
      position = await writer.append({
        type: 'UploadFailed',
        data: { uploadId: writer.uploadId, reason, failedAt: this.deps.now().toISOString() },
      });
    } catch (markerError) {
      this.deps.log('could not record the failed upload; it is marked interrupted at the next start', {
        uploadId: writer.uploadId,
        error: String(markerError),
      });
    }
    if (claimed !== null) {
      await this.claims.release(claimed, writer.uploadId, 'upload failed').catch((releaseError: unknown) =>
        this.deps.log('could not give the file claim back', {
          uploadId: writer.uploadId,
          error: String(releaseError),
        }),
      );
    }
    return {
      ...emptyReceipt(writer.uploadId, fileName, position),
      status: 'FAILED',
      totalRows: writer.acceptedRows + writer.rejectedRows,
      acceptedRows: writer.acceptedRows,
      rejectedRows: writer.rejectedRows,
      message: reason,
    };
  }
}

function emptyReceipt(uploadId: string, fileName: string, position: string): UploadReceipt {
  return {
    uploadId,
    fileName,
    status: 'RECEIVED',
    totalRows: 0,
    acceptedRows: 0,
    rejectedRows: 0,
    roundedRows: 0,
    skippedRows: 0,
    format: null,
    intervals: [],
    qualityMarks: [],
    duplicateOf: null,
    position,
    message: null,
  };
}

/** Appends the events of one upload in order, with exact expected revisions and deterministic ids. */
class UploadStreamWriter {
  private revision: ExpectedRevision;
  private appended: number;
  position = '';
  /** Rows the log holds, by kind. */
  acceptedRows = 0;
  rejectedRows = 0;

  constructor(
    private readonly eventStore: EventStore,
    readonly uploadId: string,
    lastRevision: number | null = null,
  ) {
    this.revision = lastRevision ?? 'no_stream';
    this.appended = lastRevision === null ? 0 : lastRevision + 1;
  }

  get started(): boolean {
    return this.appended > 0;
  }

  async exists(): Promise<boolean> {
    for await (const event of this.eventStore.readStream(uploadStreamName(this.uploadId), { maxCount: 1 })) {
      return event !== undefined;
    }
    return false;
  }

  /** Appends the event; `payload`, when given, is what is stored instead of the event's JSON data. */
  async append(event: UploadEvent, payload?: Uint8Array): Promise<string> {
    try {
      const result = await this.eventStore.appendToStream(
        uploadStreamName(this.uploadId),
        [{ id: uploadEventId(this.uploadId, this.appended), type: event.type, data: payload ?? event.data }],
        { expectedRevision: this.revision },
      );
      this.revision = result.nextExpectedRevision;
      this.appended += 1;
      this.position = result.position;
      if (event.type === 'ReadingsAccepted') this.acceptedRows += event.data.count;
      if (event.type === 'RowsRejected') this.rejectedRows += event.data.rows.length;
      return result.position;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && this.appended === 0)
        throw new UploadIdInUseError(this.uploadId);
      throw error;
    }
  }
}

/** The file-hash claims (`filehash-<sha256>` streams): who holds a file's claim, taking and giving it back. */
class FileClaims {
  constructor(
    private readonly eventStore: EventStore,
    private readonly now: () => Date,
  ) {}

  async read(sha256: string): Promise<{ holder: string | null; revision: ExpectedRevision }> {
    const events: FileClaimEvent[] = [];
    let revision: ExpectedRevision = 'no_stream';
    for await (const recorded of this.eventStore.readStream(fileClaimStreamName(sha256))) {
      events.push({ type: recorded.type, data: recorded.data } as FileClaimEvent);
      revision = recorded.revision;
    }
    return { holder: claimHolder(events), revision };
  }

  /** Takes the claim if the stream is still at `revision`; false when another upload changed it first. */
  async take(sha256: string, uploadId: string, revision: ExpectedRevision): Promise<boolean> {
    const event: FileClaimEvent = {
      type: 'FileClaimed',
      data: { sha256, uploadId, claimedAt: this.now().toISOString() },
    };
    return this.write(sha256, event, revision);
  }

  /** Gives the claim back if `uploadId` holds it (re-reading the stream unless the revision is known). */
  async release(sha256: string, uploadId: string, reason: string, knownRevision?: ExpectedRevision): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let revision = knownRevision;
      if (revision === undefined || attempt > 0) {
        const claim = await this.read(sha256);
        if (claim.holder !== uploadId) return;
        revision = claim.revision;
      }
      const event: FileClaimEvent = {
        type: 'FileClaimReleased',
        data: { sha256, uploadId, reason, releasedAt: this.now().toISOString() },
      };
      if (await this.write(sha256, event, revision)) return;
    }
  }

  private async write(sha256: string, event: FileClaimEvent, revision: ExpectedRevision): Promise<boolean> {
    const next = revision === 'no_stream' ? 0 : Number(revision) + 1;
    // The id names the upload the event is about: two uploads racing for one revision write different
    // events (one wins), while a retry of the same write is recognised as such.
    const id = uploadEventId(`filehash/${sha256}/${event.type}/${event.data.uploadId}`, next);
    try {
      await this.eventStore.appendToStream(fileClaimStreamName(sha256), [{ id, type: event.type, data: event.data }], {
        expectedRevision: revision,
      });
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }
}

function isoOrNull(instant: number | null): string | null {
  return instant === null ? null : new Date(instant).toISOString();
}

/** The meters' intervals as `FileValidated` records them: the most common one, the others by meter, and a summary. */
function intervalsOf(
  meterIntervals: ReadonlyArray<{ meter: string; minutes: number; how: IntervalSummary['how'] }>,
): Pick<FileValidated['data'], 'intervalMinutes' | 'otherIntervals' | 'intervals'> {
  if (meterIntervals.length === 0) return { intervals: [] };
  const counts = new Map<number, number>();
  const summary = new Map<string, IntervalSummary>();
  for (const { minutes, how } of meterIntervals) {
    counts.set(minutes, (counts.get(minutes) ?? 0) + 1);
    const key = `${minutes}/${how}`;
    const entry = summary.get(key) ?? { minutes, how, meters: 0 };
    entry.meters += 1;
    summary.set(key, entry);
  }
  const common = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const otherIntervals: Record<string, number> = {};
  for (const { meter, minutes } of meterIntervals) if (minutes !== common) otherIntervals[meter] = minutes;
  return {
    intervalMinutes: common,
    otherIntervals,
    intervals: [...summary.values()].sort((a, b) => a.minutes - b.minutes || a.how.localeCompare(b.how)),
  };
}
