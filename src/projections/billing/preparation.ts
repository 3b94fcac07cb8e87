/**
 * Preparing an upload ahead: its staged batches overlaid on the billed days and priced into pending rows
 * readers do not see, a few batches per commit, so that its `FileValidated` only has to apply them.
 */
import type { FileValidated } from '../../domain/readings/events';
import type { BillingProgram, BillingProjectionStore } from '../../ports/billing-read-model';
import { BatchState } from './batch-state';
import { overlayStaged } from './overlay';
import { ask, atResolution, intervalsOf, type BillingContext, type IntervalOf } from './rules';

/** Lets the event loop run what waits (requests, timers) between two commits of an embedded store. */
export const breather = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Overlays the upload's staged batches not yet in its pending days, a page of them per commit. Ahead
 * (`validated` null: more batches may come) at the server's resolution; at its `FileValidated`, every
 * batch at the intervals validation found, the preparation then complete.
 */
export async function prepareUpload(
  b: BillingContext & { store: BillingProjectionStore },
  uploadId: string,
  validated: FileValidated['data'] | null,
): Promise<void> {
  const intervalOf: IntervalOf = validated === null ? () => b.rules.resolutionMinutes : intervalsOf(b, validated);
  let afterBatch: number | null = null; // null: not started
  for (;;) {
    let next: { afterBatch: number; done: boolean } = { afterBatch: -1, done: true };
    const from = afterBatch;
    // A store may run a program again (a retried transaction): each run starts from `from`.
    await b.store.run(() => {
      next = { afterBatch: from ?? -1, done: false };
      return prepareStep(b, uploadId, validated, intervalOf, from, next);
    });
    if (next.done) return;
    afterBatch = next.afterBatch;
    await breather();
  }
}

function* prepareStep(
  b: BillingContext,
  uploadId: string,
  validated: FileValidated['data'] | null,
  intervalOf: IntervalOf,
  afterBatch: number | null,
  next: { afterBatch: number; done: boolean },
): BillingProgram {
  if (afterBatch === null) {
    if (yield* ask({ op: 'uploadApplied', uploadId })) {
      next.done = true;
      return;
    }
    const preparation = yield* ask({ op: 'preparation', uploadId });
    const usable = preparation !== null && !preparation.stale && (validated === null || atResolution(b, validated));
    if (usable) {
      next.afterBatch = preparation.throughBatch;
    } else if (validated === null && preparation !== null) {
      // Stale: redone from the start once the file is validated, not batch by batch meanwhile.
      next.done = true;
      return;
    } else {
      // Leftovers of a stale preparation, or of one cut short, are prepared again from the start.
      yield* ask({ op: 'dropPending', uploadId });
    }
  }
  const limit = b.limits.batchesPerRead;
  const staged = yield* ask({ op: 'stagedBatches', uploadId, afterBatch: next.afterBatch, limit });
  const offGrid = yield* overlayStaged(b, uploadId, staged, new BatchState(b.rules), uploadId, intervalOf);
  if (offGrid !== null) {
    if (validated !== null) throw new Error(offGrid);
    // A reading off the resolution's grid: this upload is prepared once it is validated, at its intervals.
    yield* ask({ op: 'putPreparation', uploadId, preparation: { throughBatch: -1, complete: false, stale: true } });
    next.done = true;
    return;
  }
  if (staged.length > 0) next.afterBatch = staged[staged.length - 1]!.batch;
  next.done = staged.length < limit;
  yield* ask({
    op: 'putPreparation',
    uploadId,
    preparation: { throughBatch: next.afterBatch, complete: validated !== null && next.done, stale: false },
  });
}
