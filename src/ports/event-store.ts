/**
 * The event log, shaped after EventStoreDB so that its adapter and the embedded SQLite one share this
 * contract: streams with revisions, one global order with opaque positions, caller-chosen event ids.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the caller expects the stream to be before an append. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface EventToAppend {
  /** UUID chosen by the caller: appending the same ids again (a retry) stores nothing twice. */
  id: string;
  type: string;
  /** A JSON value, or a `Uint8Array` for a binary payload (stored and read back as bytes). */
  data: unknown;
  metadata?: Record<string, JsonValue>;
}

export interface RecordedEvent {
  id: string;
  type: string;
  /** The JSON value appended, or a `Uint8Array` when a binary payload was appended. */
  data: unknown;
  metadata: Record<string, JsonValue>;
  streamName: string;
  /** 0-based revision of the event within its stream. */
  revision: number;
  /** Opaque position in the global order; compare with `comparePositions`. */
  position: string;
  created: Date;
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextExpectedRevision: number;
  /** Global position of the last event appended. */
  position: string;
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Omit to start from the beginning. */
  after?: string;
  maxCount?: number;
  /** Keep only events whose stream name starts with one of these prefixes. */
  streamPrefixes?: readonly string[];
}

export interface EventSubscription extends AsyncIterable<RecordedEvent> {
  /** Stops the subscription; the iterator then finishes. */
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${streamName}: expected revision ${String(expected)}, found ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class EventStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/**
 * The log's own disk failed a write: full, read-only, failing or damaged. The append was refused whole
 * (nothing of it is stored); what was stored before it stays.
 */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** An append over what the store takes in one atomic write: refused whole, nothing written. */
export class AppendTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppendTooLargeError';
  }
}

export interface EventStore {
  /**
   * Appends the events in one atomic write (all or none) when the stream is at the expected revision;
   * an append over the store's limit is refused with `AppendTooLargeError`, nothing written.
   */
  appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** Events of one stream in revision order; empty when the stream does not exist. */
  readStream(streamName: string, options?: { fromRevision?: number; maxCount?: number }): AsyncIterable<RecordedEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /**
   * Position of the last event in the log (of these stream prefixes when given; at or before
   * `atOrBefore` when given), or null when there is none.
   */
  headPosition(options?: { streamPrefixes?: readonly string[]; atOrBefore?: string }): Promise<string | null>;
  /** Catches up from `after`, then delivers new events as they are appended. */
  subscribeToAll(options?: Omit<ReadAllOptions, 'maxCount'>): EventSubscription;
  /** Catches up on one stream from `fromRevision` (default 0), then goes live; waits for a stream not yet created. */
  subscribeToStream(streamName: string, options?: { fromRevision?: number }): EventSubscription;
  /** Orders two positions of this store: negative, zero or positive. */
  comparePositions(a: string, b: string): number;
  /** Resolves when the store answers, rejects with EventStoreUnavailableError when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Appends to the embedded log as a signal between connections: one connection's appends wake another's
 * subscriptions (the projector thread's) at once, instead of at their next poll. EventStoreDB pushes.
 */
export interface AppendSignal {
  onAppended(listener: () => void): () => void;
  wake(): void;
}
