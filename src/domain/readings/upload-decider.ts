/**
 * An upload as a decider: what each step of `uploadReadings` records, given the upload's state as its
 * stream folds it (`evolveUploadStatus`, which the upload-status projection folds with too). Landing the
 * file and claiming its hash are I/O and stay in the service; this says which event each step writes and
 * refuses a step the upload's state does not allow. Pure: the time of each step comes in.
 */
import type { FileReceived, FileRejected, FileValidated, IntervalSummary, RejectedRow, UploadEvent } from './events';
import { jsonDictionary } from '../json-dictionary';
import { isFinished, type UploadStatusDoc } from './upload-status';

/** What the validation found, as the finishing step takes it. */
export type ValidationSummary = Omit<FileValidated['data'], 'uploadId' | 'validatedAt'>;

/** Why the upload ended without effect, as the reason it records says. */
export const INTERRUPTED_REASON =
  'processing stopped before the end of the file (the server stopped, or the log refused a write); none of its readings take effect: upload the file again';

export type UploadStep =
  /** The file is landed: its name, size and hash, and the rules it will be read with. */
  | { type: 'Land'; file: Omit<FileReceived['data'], 'receivedAt'> }
  /** A batch of rows passed validation. */
  | { type: 'AcceptReadings'; batch: number; count: number }
  /** A batch of rows failed it, each with its reasons. */
  | { type: 'RejectRows'; batch: number; rows: RejectedRow[] }
  /** Every row was read (or the file is a duplicate): the accepted readings take effect. */
  | { type: 'FinishValidated'; summary: ValidationSummary }
  /** The file as a whole cannot be read. */
  | { type: 'FinishRejected'; problem: Pick<FileRejected['data'], 'code' | 'reason' | 'line'> }
  /** Processing broke (the log refused a write). */
  | { type: 'FinishFailed'; reason: string }
  /** Processing was cut off by a stop, found afterwards. */
  | { type: 'Interrupt' };

/** A step the upload's state does not allow (a second landing, a step after the upload finished). */
export class UploadStepRefusedError extends Error {
  constructor(
    readonly uploadId: string,
    readonly step: UploadStep['type'],
    readonly status: UploadStatusDoc['status'] | null,
  ) {
    super(
      status === null
        ? `upload ${uploadId} cannot ${step}: it was never landed`
        : `upload ${uploadId} cannot ${step}: it is ${status}`,
    );
    this.name = 'UploadStepRefusedError';
  }
}

export function decideUpload(
  step: UploadStep,
  state: UploadStatusDoc | null,
  uploadId: string,
  now: Date,
): UploadEvent {
  if (step.type === 'Land') {
    if (state !== null) throw new UploadStepRefusedError(uploadId, step.type, state.status);
    return { type: 'FileReceived', data: { ...step.file, uploadId, receivedAt: now.toISOString() } };
  }
  if (state === null || isFinished(state)) throw new UploadStepRefusedError(uploadId, step.type, state?.status ?? null);
  const at = now.toISOString();
  switch (step.type) {
    case 'AcceptReadings':
      return { type: 'ReadingsAccepted', data: { uploadId, batch: step.batch, count: step.count } };
    case 'RejectRows':
      return { type: 'RowsRejected', data: { uploadId, batch: step.batch, rows: step.rows } };
    case 'FinishValidated':
      return { type: 'FileValidated', data: { uploadId, ...step.summary, validatedAt: at } };
    case 'FinishRejected':
      return { type: 'FileRejected', data: { uploadId, ...step.problem, rejectedAt: at } };
    case 'FinishFailed':
      return { type: 'UploadFailed', data: { uploadId, reason: step.reason, failedAt: at } };
    case 'Interrupt':
      return { type: 'UploadInterrupted', data: { uploadId, reason: INTERRUPTED_REASON, interruptedAt: at } };
    default: {
      const unknown: never = step;
      throw new Error(`unknown upload step ${JSON.stringify(unknown)}`);
    }
  }
}

/** The meters' intervals as `FileValidated` records them: the most common one, the others by meter, and a summary. */
export function intervalsOf(
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
  const others = meterIntervals.filter(({ minutes }) => minutes !== common);
  return {
    intervalMinutes: common,
    otherIntervals: jsonDictionary(others.map(({ meter, minutes }) => [meter, minutes])),
    intervals: [...summary.values()].sort((a, b) => a.minutes - b.minutes || a.how.localeCompare(b.how)),
  };
}
