import {
  BACKWARDS,
  binaryEvent,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  START,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
} from '../../ports/event-store';
import { EventStoreUnavailableError } from '../../ports/event-store';
import { resilientSubscription, type ResilienceOptions } from '../resilient-subscription';
import {
  allStreamFilter,
  checkAppendSize,
  comparePositions,
  decodePosition,
  DEFAULT_MAX_APPEND_BYTES,
  encodePosition,
  mapEsdbError,
  matchesAllFilter,
  toEsdbExpectedRevision,
  toRecordedEvent,
  type EsdbRecordedEvent,
  isTransientEsdbError,
} from './mapping';

export interface EventStoreDbOptions {
  maxAppendBytes?: number;
  /** Deadline of a health check. */
  pingTimeoutMs?: number;
  resubscribe?: Omit<ResilienceOptions, 'onDrop'>;
  /** Told when a subscription dropped and is about to resubscribe. */
  onSubscriptionDropped?: (target: string, error: unknown, attempt: number, retryInMs: number) => void;
}

/** The event log in EventStoreDB: streams, $all positions and catch-up subscriptions of the server. */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly maxAppendBytes: number;
  private readonly pingTimeoutMs: number;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EventStoreDbOptions = {},
  ) {
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 3_000;
  }

  /** Connects and checks the server answers, so a wrong URL fails the start instead of the first upload. */
  static async connect(
    url: string,
    options: EventStoreDbOptions & { timeoutMs: number },
  ): Promise<EventStoreDbEventStore> {
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(url);
    } catch (error) {
      throw new EventStoreUnavailableError(`EVENTSTORE_URL is not a valid connection string: ${String(error)}`);
    }
    const store = new EventStoreDbEventStore(client, { ...options, pingTimeoutMs: options.timeoutMs });
    try {
      await store.ping();
    } catch (error) {
      // Closing a channel that never connected must not hold the failed start either.
      await Promise.race([
        client.dispose().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1_000)),
      ]);
      throw error;
    }
    return store;
  }

  async appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (events.length === 0) {
      // An empty append changes nothing: answer with where the stream stands.
      const current = await this.lastOf(streamName);
      return {
        nextExpectedRevision: current?.revision ?? -1,
        position: current?.position ?? (await this.headPosition()) ?? '',
      };
    }
    checkAppendSize(events, this.maxAppendBytes);
    let last: EsdbAppendResult;
    try {
      last = await this.client.appendToStream(
        streamName,
        events.map((event) =>
          event.data instanceof Uint8Array
            ? binaryEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata ?? {} })
            : jsonEvent({
                id: event.id,
                type: event.type,
                data: event.data as Record<string, unknown>,
                metadata: event.metadata ?? {},
              }),
        ),
        { expectedRevision: toEsdbExpectedRevision(expectedRevision) },
      );
    } catch (error) {
      throw mapEsdbError(error, { streamName, expected: expectedRevision });
    }
    const revision = Number(last.nextExpectedRevision);
    // Look the position up only when the server left it out.
    const position =
      last.position === undefined ? await this.positionOf(streamName, revision) : encodePosition(last.position);
    return { nextExpectedRevision: revision, position };
  }

  private async positionOf(streamName: string, revision: number): Promise<string> {
    for await (const event of this.readStream(streamName, { fromRevision: revision, maxCount: 1 }))
      return event.position;
    throw new Error(`stream ${streamName} has no revision ${revision} right after appending it`);
  }

  private async lastOf(streamName: string): Promise<RecordedEvent | null> {
    try {
      for await (const resolved of this.client.readStream(streamName, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        if (resolved.event !== undefined) return this.recorded(resolved);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw mapEsdbError(error, { streamName });
    }
    return null;
  }

  async *readStream(streamName: string, options: { fromRevision?: number; maxCount?: number } = {}) {
    const read = this.client.readStream(streamName, {
      direction: FORWARDS,
      fromRevision:
        options.fromRevision === undefined || options.fromRevision === 0 ? START : BigInt(options.fromRevision),
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    try {
      for await (const resolved of read) {
        if (resolved.event !== undefined) yield this.recorded(resolved);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return;
      throw mapEsdbError(error, { streamName });
    }
  }

  /** Reads of $all take no server-side filter in the gRPC client: the same rule is applied here. */
  async *readAll(options: ReadAllOptions = {}) {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const read = this.client.readAll({
      direction: FORWARDS,
      fromPosition: options.after === undefined ? START : decodePosition(options.after),
    });
    try {
      for await (const resolved of read) {
        const event = resolved.event;
        if (event === undefined || !matchesAllFilter(event, options.streamPrefixes)) continue;
        const recorded = this.recorded(resolved);
        // Reading $all from a position includes the event at it; the port's `after` is exclusive.
        if (options.after !== undefined && comparePositions(recorded.position, options.after) <= 0) continue;
        yield recorded;
        remaining -= 1;
        if (remaining <= 0) return;
      }
    } catch (error) {
      throw mapEsdbError(error, {});
    }
  }

  async headPosition(
    options: { streamPrefixes?: readonly string[]; atOrBefore?: string } = {},
  ): Promise<string | null> {
    try {
      // Backwards from the end: a bound asked for is a recent position (one a mutation answered), so the
      // events after it are few.
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END })) {
        const event = resolved.event;
        if (event === undefined || !matchesAllFilter(event, options.streamPrefixes)) continue;
        const { position } = this.recorded(resolved);
        if (options.atOrBefore !== undefined && comparePositions(position, options.atOrBefore) > 0) continue;
        return position;
      }
    } catch (error) {
      throw mapEsdbError(error, {});
    }
    return null;
  }

  subscribeToAll(options: Omit<ReadAllOptions, 'maxCount'> = {}): EventSubscription {
    const filter = allStreamFilter(options.streamPrefixes);
    const subscription = resilientSubscription((last) => {
      const after = last?.position ?? options.after;
      const source = this.client.subscribeToAll({
        fromPosition: after === undefined ? START : decodePosition(after),
        filter,
      });
      return {
        events: this.mapped(source, (e) => after === undefined || comparePositions(e.position, after) > 0),
        cancel: () => source.unsubscribe(),
      };
    }, this.resubscribeOptions('$all'));
    return this.track(subscription);
  }

  subscribeToStream(streamName: string, options: { fromRevision?: number } = {}): EventSubscription {
    const first = options.fromRevision ?? 0;
    const subscription = resilientSubscription((last) => {
      // The server's `fromRevision` is exclusive: it delivers the events after it.
      const next = last === null ? first : last.revision + 1;
      const source = this.client.subscribeToStream(streamName, {
        fromRevision: next === 0 ? START : BigInt(next - 1),
      });
      return { events: this.mapped(source, (e) => e.revision >= next), cancel: () => source.unsubscribe() };
    }, this.resubscribeOptions(streamName));
    return this.track(subscription);
  }

  comparePositions(a: string, b: string): number {
    return comparePositions(a, b);
  }

  /**
   * Reads the last event of the log, raced against `pingTimeoutMs` and cancelled when the time is up:
   * the client gives `readAll` an infinite deadline whatever it is asked, so against a host that accepts
   * the connection and never answers the read would otherwise wait for good (and each `/readyz` would
   * leave one more hung call behind).
   */
  async ping(): Promise<void> {
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new EventStoreUnavailableError(`EventStoreDB did not answer within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    const drained = (async () => {
      for await (const resolved of read) void resolved;
      finished = true;
    })();
    drained.catch(() => undefined); // a read cancelled after the timeout ends with an error nobody waits for
    try {
      await Promise.race([drained, timedOut]);
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) throw error;
      const mapped = mapEsdbError(error, {});
      throw mapped instanceof EventStoreUnavailableError
        ? mapped
        : new EventStoreUnavailableError(`EventStoreDB did not answer: ${String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      if (!finished) await read.cancel().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private async *mapped(
    source: AsyncIterable<ResolvedEvent | AllStreamResolvedEvent>,
    keep: (event: RecordedEvent) => boolean,
  ): AsyncGenerator<RecordedEvent> {
    for await (const resolved of source) {
      // Server-side events ($streamDeleted, $metadata) may pass a stream-name filter: never the service's.
      if (resolved.event === undefined || resolved.event.type.startsWith('$')) continue;
      const recorded = this.recorded(resolved);
      if (keep(recorded)) yield recorded;
    }
  }

  private recorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
    return toRecordedEvent(resolved.event as EsdbRecordedEvent);
  }

  private resubscribeOptions(target: string): ResilienceOptions {
    return {
      ...this.options.resubscribe,
      isTransient: isTransientEsdbError,
      fatal: (error) => mapEsdbError(error, {}),
      onDrop: (error, attempt, retryInMs) => this.options.onSubscriptionDropped?.(target, error, attempt, retryInMs),
    };
  }

  private track(subscription: EventSubscription): EventSubscription {
    this.subscriptions.add(subscription);
    return {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }
}

function isStreamNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'stream-not-found';
}
