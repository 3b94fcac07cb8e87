import { toUploadEvent, uploadStreamName } from '../../domain/readings/events';
import type { EventStore, RecordedEvent } from '../../ports/event-store';
import type { UploadStatusDoc } from '../../domain/readings/upload-status';
import { evolveUploadStatus, isFinished } from '../../domain/readings/upload-status';

/** A watched upload that did not start in time (an unknown id, or a client that never sent the file). */
export class UploadNotStartedError extends Error {
  constructor(uploadId: string, waitedMs: number) {
    super(`no upload ${uploadId} started within ${Math.round(waitedMs / 1000)} s`);
    this.name = 'UploadNotStartedError';
  }
}

/**
 * Follows one upload's stream from its first event: yields the folded status after every event and
 * ends after the final one. Reads the event store, not a local bus, so any API instance can serve it.
 * With `startTimeoutMs`, an upload with no event by then ends the watch with `UploadNotStartedError`,
 * so a watch of an id that never comes does not stay open for good.
 */
export function watchUploadValidation(
  eventStore: EventStore,
  uploadId: string,
  options: { startTimeoutMs?: number } = {},
): AsyncIterableIterator<UploadStatusDoc> {
  const subscription = eventStore.subscribeToStream(uploadStreamName(uploadId));
  const events = subscription[Symbol.asyncIterator]();
  let doc: UploadStatusDoc | null = null;
  let finished = false;

  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    finished = true;
    await subscription.close();
    return { done: true, value: undefined };
  };

  const startedAt = Date.now();
  /** The next event while none has come yet: bounded by what is left of the start timeout. */
  const firstEvent = async (): Promise<IteratorResult<RecordedEvent>> => {
    const { startTimeoutMs } = options;
    if (startTimeoutMs === undefined) return events.next();
    const left = startTimeoutMs - (Date.now() - startedAt);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, left));
    });
    const pending = events.next();
    try {
      const first = await Promise.race([pending, timedOut]);
      if (first !== 'timeout') return first;
    } finally {
      clearTimeout(timer);
    }
    await finish();
    throw new UploadNotStartedError(uploadId, startTimeoutMs);
  };

  const iterator: AsyncIterableIterator<UploadStatusDoc> = {
    [Symbol.asyncIterator]: () => iterator,
    async next(): Promise<IteratorResult<UploadStatusDoc>> {
      while (!finished) {
        const step = doc === null ? await firstEvent() : await events.next();
        if (step.done === true) return finish();
        const recorded = step.value;
        const event = toUploadEvent(recorded);
        if (event === null) continue;
        const next = evolveUploadStatus(doc, { event, revision: recorded.revision, position: recorded.position });
        if (next === null || next === doc) continue;
        doc = next;
        if (isFinished(doc)) await finish();
        return { done: false, value: doc };
      }
      return { done: true, value: undefined };
    },
    // Called when the client unsubscribes: closing the subscription ends a pending wait at once.
    return: finish,
  };
  return iterator;
}
