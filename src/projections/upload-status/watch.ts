import { toUploadEvent, uploadStreamName } from '../../domain/readings/events';
import type { EventStore } from '../../ports/event-store';
import type { UploadStatusDoc } from './evolve';
import { evolveUploadStatus, isFinished } from './evolve';

/**
 * Follows one upload's stream from its first event: yields the folded status after every event and
 * ends after the final one. Reads the event store, not a local bus, so any API instance can serve it.
 */
export function watchUploadValidation(
  eventStore: EventStore,
  uploadId: string,
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

  const iterator: AsyncIterableIterator<UploadStatusDoc> = {
    [Symbol.asyncIterator]: () => iterator,
    async next(): Promise<IteratorResult<UploadStatusDoc>> {
      while (!finished) {
        const step = await events.next();
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
