/**
 * The two things every command of the invoicing service does with a stream: fold its events into the
 * state a decision needs (with the revision to append at), and append the decided events under ids
 * derived from the stream, revision and content, so a retried append is recognised as the same write.
 */
import { nameBasedUuid } from '../common/name-based-uuid';
import type { EventStore, ExpectedRevision, RecordedEvent } from '../ports/event-store';

export interface StreamState<T> {
  state: T;
  revision: ExpectedRevision;
}

/** A stream's events folded from `initial` by `evolve`, and its revision ('no_stream' when it has none). */
export async function foldStream<T>(
  eventStore: EventStore,
  stream: string,
  initial: T,
  evolve: (state: T, event: RecordedEvent) => T,
): Promise<StreamState<T>> {
  let state = initial;
  let revision: ExpectedRevision = 'no_stream';
  for await (const event of eventStore.readStream(stream)) {
    state = evolve(state, event);
    revision = event.revision;
  }
  return { state, revision };
}

/** Appends events at the expected revision; answers the log position of the write. */
export async function appendEvents(
  eventStore: EventStore,
  stream: string,
  revision: ExpectedRevision,
  events: ReadonlyArray<{ type: string; data: unknown }>,
): Promise<string> {
  const next = typeof revision === 'number' ? revision + 1 : 0;
  const result = await eventStore.appendToStream(
    stream,
    events.map((event, i) => ({
      id: nameBasedUuid(`${stream}/${next + i}/${JSON.stringify(event.data)}`),
      type: event.type,
      data: event.data,
    })),
    { expectedRevision: revision },
  );
  return result.position;
}
