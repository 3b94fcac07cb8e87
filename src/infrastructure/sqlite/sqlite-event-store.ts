import { EventEmitter } from 'node:events';
import type {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  JsonValue,
  ReadAllOptions,
  RecordedEvent,
} from '../../ports/event-store';
import {
  EventStoreUnavailableError,
  StorageUnavailableError,
  WrongExpectedRevisionError,
} from '../../ports/event-store';
import { prefixEnd, statement, type SqliteDatabase } from './database';
import { isStorageFault, storageFaultText } from './errors';

interface EventRow {
  position: number;
  event_id: string;
  stream_name: string;
  revision: number;
  type: string;
  /** JSON text, or a BLOB for a binary payload. */
  data: string | Buffer;
  metadata: string;
  created_ms: number;
}

/** Events fetched per query. */
const PAGE_SIZE = 64;
/** Events per query after a page of big payloads (readings events are about 500 KB each). */
const BIG_PAYLOAD_PAGE_SIZE = 4;
const BIG_PAGE_BYTES = 4 * 1024 * 1024;

export interface SqliteEventStoreOptions {
  /** How often a subscription looks for events appended by other processes (this one wakes it at once). */
  pollIntervalMs?: number;
  now?: () => number;
}

/** The event log in one SQLite table: the rowid is the global position, (stream, revision) is unique. */
export class SqliteEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly subscriptions = new Set<EventSubscription>();
  /** Subscriptions waiting for more events: woken by an append here, or by the one shared poll. */
  private readonly waiting = new Set<() => void>();
  private poll: NodeJS.Timeout | null = null;
  private polledHead: number | null = null;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
    this.appended.setMaxListeners(0);
    this.appended.on('appended', () => this.wakeAll());
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position    INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT    NOT NULL UNIQUE,
        stream_name TEXT    NOT NULL,
        revision    INTEGER NOT NULL,
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        metadata    TEXT    NOT NULL,
        created_ms  INTEGER NOT NULL,
        UNIQUE (stream_name, revision)
      );
    `);
  }

  appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    try {
      const result = this.appendTransaction(streamName, events, expectedRevision);
      if (events.length > 0) this.appended.emit('appended');
      return Promise.resolve(result);
    } catch (error) {
      if (isStorageFault(error)) {
        // The transaction was rolled back: nothing of this append is in the log.
        const refused = `the event log could not store the write: ${storageFaultText(error)}`;
        return Promise.reject(new StorageUnavailableError(refused, { cause: error }));
      }
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private readonly appendTransaction = (
    streamName: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): AppendResult =>
    this.db
      .transaction((): AppendResult => {
        const current = this.currentRevision(streamName);
        const first = events[0];
        if (first !== undefined) {
          const replay = this.findRetriedAppend(streamName, events);
          if (replay !== null) return replay;
        }
        this.checkExpected(streamName, expected, current);
        let revision = current ?? -1;
        let position = -1;
        const insert = statement(
          this.db,
          `INSERT INTO events (event_id, stream_name, revision, type, data, metadata, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        const created = this.now();
        for (const event of events) {
          revision += 1;
          const info = insert.run(
            event.id,
            streamName,
            revision,
            event.type,
            event.data instanceof Uint8Array ? event.data : JSON.stringify(event.data),
            JSON.stringify(event.metadata ?? {}),
            created,
          );
          position = Number(info.lastInsertRowid);
        }
        if (position < 0) position = this.headPositionSync() ?? 0;
        return { nextExpectedRevision: revision, position: String(position) };
      })
      .immediate();

  /**
   * A retry of an append already stored (same ids, same stream, same order, same types) returns the
   * original result. A known id on another kind of event is no retry: refused loudly, never dropped.
   */
  private findRetriedAppend(streamName: string, events: readonly EventToAppend[]): AppendResult | null {
    const lookup = statement<[string], { stream_name: string; revision: number; position: number; type: string }>(
      this.db,
      'SELECT stream_name, revision, position, type FROM events WHERE event_id = ?',
    );
    const first = lookup.get(events[0]!.id);
    if (first === undefined) return null;
    let last = first;
    for (let i = 0; i < events.length; i++) {
      const found = lookup.get(events[i]!.id);
      if (
        found === undefined ||
        found.stream_name !== streamName ||
        found.revision !== first.revision + i ||
        found.type !== events[i]!.type
      ) {
        throw new Error(`event id ${events[i]!.id} was already appended with other events; ids must be unique`);
      }
      last = found;
    }
    return { nextExpectedRevision: last.revision, position: String(last.position) };
  }

  private checkExpected(streamName: string, expected: ExpectedRevision, current: number | null): void {
    const actual = current ?? 'no_stream';
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === null) ||
      (expected === 'stream_exists' && current !== null) ||
      (typeof expected === 'number' && current === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamName, expected, actual);
  }

  private currentRevision(streamName: string): number | null {
    const row = statement<[string], { revision: number | null }>(
      this.db,
      'SELECT max(revision) AS revision FROM events WHERE stream_name = ?',
    ).get(streamName);
    return row?.revision ?? null;
  }

  async *readStream(streamName: string, options: { fromRevision?: number; maxCount?: number } = {}) {
    let from = options.fromRevision ?? 0;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    const page = this.db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?',
    );
    while (remaining > 0) {
      const rows = page.all(streamName, from, Math.min(PAGE_SIZE, remaining));
      for (const row of rows) yield toRecorded(row);
      if (rows.length < PAGE_SIZE) return;
      remaining -= rows.length;
      from = rows[rows.length - 1]!.revision + 1;
    }
  }

  async *readAll(options: ReadAllOptions = {}) {
    let after = parsePosition(options.after);
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const rows = this.pageAfter(after, Math.min(PAGE_SIZE, remaining), options.streamPrefixes);
      for (const row of rows) yield toRecorded(row);
      if (rows.length === 0) return;
      remaining -= rows.length;
      after = rows[rows.length - 1]!.position;
    }
  }

  headPosition(options: { streamPrefixes?: readonly string[]; atOrBefore?: string } = {}): Promise<string | null> {
    const prefixes = options.streamPrefixes ?? [];
    if (prefixes.length === 0 && options.atOrBefore === undefined) {
      const head = this.headPositionSync();
      return Promise.resolve(head === null ? null : String(head));
    }
    const { ranges, bounds } = prefixes.length === 0 ? { ranges: '1', bounds: [] } : prefixRanges(prefixes);
    const limit = options.atOrBefore === undefined ? Number.MAX_SAFE_INTEGER : parsePosition(options.atOrBefore);
    const row = this.db
      .prepare<unknown[], { head: number | null }>(
        `SELECT max(position) AS head FROM events WHERE ${ranges} AND position <= ?`,
      )
      .get(...bounds, limit);
    return Promise.resolve(row?.head === null || row?.head === undefined ? null : String(row.head));
  }

  ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(
        new EventStoreUnavailableError('the embedded event store cannot be read', { cause: error }),
      );
    }
  }

  private headPositionSync(): number | null {
    return this.db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events').get()?.head ?? null;
  }

  subscribeToAll(options: Omit<ReadAllOptions, 'maxCount'> = {}): EventSubscription {
    let after = parsePosition(options.after);
    let limit = PAGE_SIZE;
    return this.subscribe(() => {
      const rows = this.pageAfter(after, limit, options.streamPrefixes);
      const last = rows[rows.length - 1];
      if (last !== undefined) after = last.position;
      // A page of readings events is tens of MB: while they come, read few at a time.
      limit = payloadBytes(rows) > BIG_PAGE_BYTES ? BIG_PAYLOAD_PAGE_SIZE : PAGE_SIZE;
      return rows;
    });
  }

  subscribeToStream(streamName: string, options: { fromRevision?: number } = {}): EventSubscription {
    let from = options.fromRevision ?? 0;
    const page = this.db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?',
    );
    return this.subscribe(() => {
      const rows = page.all(streamName, from, PAGE_SIZE);
      const last = rows[rows.length - 1];
      if (last !== undefined) from = last.revision + 1;
      return rows;
    });
  }

  comparePositions(a: string, b: string): number {
    return parsePosition(a) - parsePosition(b);
  }

  /** Subscriptions open now (each polls while it waits): a closed one is no longer counted. */
  get openSubscriptions(): number {
    return this.subscriptions.size;
  }

  /** Calls `listener` after each append through this connection (to wake readers on other connections). */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  /** Another connection to the same file appended: subscriptions look now instead of at their next poll. */
  wake(): void {
    this.appended.emit('appended');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }

  private pageAfter(after: number, limit: number, prefixes: readonly string[] | undefined): EventRow[] {
    if (prefixes === undefined || prefixes.length === 0) {
      return statement<[number, number], EventRow>(
        this.db,
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ).all(after, limit);
    }
    const { ranges, bounds } = prefixRanges(prefixes);
    return statement<unknown[], EventRow>(
      this.db,
      `SELECT * FROM events WHERE position > ? AND (${ranges}) ORDER BY position LIMIT ?`,
    ).all(after, ...bounds, limit);
  }

  /** A catch-up subscription: pages until empty, then waits for an append here or the next poll. */
  /**
   * Resolves when there may be more events. Appends through this connection wake every waiting
   * subscription at once; appends by another process (a CLI tool, the projector thread's own connection)
   * are found by one poll of the log's head for all of them, every `pollIntervalMs` while any waits, not
   * a query a subscription: 2,000 idle subscriptions cost one small query a poll.
   */
  private waitForMore(): { done: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiting.add(wake);
    if (this.poll === null) {
      this.polledHead = this.headPositionSync();
      this.poll = setInterval(() => {
        const head = this.headPositionSync();
        if (head !== this.polledHead) {
          this.polledHead = head;
          this.wakeAll();
        }
      }, this.pollIntervalMs);
      this.poll.unref();
    }
    return {
      done,
      cancel: () => {
        this.waiting.delete(wake);
        wake();
        this.stopPollingWhenIdle();
      },
    };
  }

  private wakeAll(): void {
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const wake of woken) wake();
    this.stopPollingWhenIdle();
  }

  private stopPollingWhenIdle(): void {
    if (this.waiting.size > 0 || this.poll === null) return;
    clearInterval(this.poll);
    this.poll = null;
  }

  private subscribe(nextPage: () => EventRow[]): EventSubscription {
    let closed = false;
    let pending: { cancel: () => void } | null = null;
    const waitForMore = () => this.waitForMore();

    async function* iterate(): AsyncGenerator<RecordedEvent> {
      while (!closed) {
        const rows = nextPage();
        if (rows.length === 0) {
          const wait = waitForMore();
          pending = wait;
          await wait.done;
          pending = null;
          continue;
        }
        for (const row of rows) {
          if (closed) return;
          yield toRecorded(row);
        }
      }
    }

    const iterator = iterate();
    const subscription: EventSubscription = {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        if (closed) return;
        closed = true;
        this.subscriptions.delete(subscription);
        pending?.cancel();
        await iterator.return(undefined);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }
}

/** Prefix ranges use the stream index instead of LIKE, which SQLite cannot index here. */
function prefixRanges(prefixes: readonly string[]): { ranges: string; bounds: string[] } {
  return {
    ranges: `(${prefixes.map(() => '(stream_name >= ? AND stream_name < ?)').join(' OR ')})`,
    bounds: prefixes.flatMap((prefix) => [prefix, prefixEnd(prefix)]),
  };
}

function parsePosition(position: string | undefined): number {
  if (position === undefined) return 0;
  const value = Number(position);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`'${position}' is not a position of this event store`);
  return value;
}

function payloadBytes(rows: readonly EventRow[]): number {
  let bytes = 0;
  for (const row of rows) bytes += row.data.length;
  return bytes;
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as unknown) : new Uint8Array(row.data),
    metadata: JSON.parse(row.metadata) as Record<string, JsonValue>,
    streamName: row.stream_name,
    revision: row.revision,
    position: String(row.position),
    created: new Date(row.created_ms),
  };
}
