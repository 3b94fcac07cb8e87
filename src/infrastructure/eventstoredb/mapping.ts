/**
 * Pure translations between the event-store port and EventStoreDB's client types: revisions, positions,
 * filters, recorded events and errors. Kept apart from the adapter so each rule is unit-tested without a
 * server.
 */
import {
  ANY,
  excludeSystemEvents,
  NO_STREAM,
  STREAM_EXISTS,
  streamNameFilter,
  type AppendExpectedRevision,
  type CurrentRevision,
  type Filter,
  type Position,
} from '@eventstore/db-client';
import type { EventToAppend, ExpectedRevision, JsonValue, RecordedEvent } from '../../ports/event-store';
import { AppendTooLargeError, EventStoreUnavailableError, WrongExpectedRevisionError } from '../../ports/event-store';

/** EventStoreDB refuses appends over 1 MiB by default (`MaxAppendSize`); stay under it with room for framing. */
export const DEFAULT_MAX_APPEND_BYTES = 960 * 1024;

const HEX_DIGITS = 16;

/**
 * A position as the port's opaque string: commit and prepare positions in fixed-width hex, so the
 * strings also sort in log order.
 */
export function encodePosition(position: Position): string {
  return `${position.commit.toString(16).padStart(HEX_DIGITS, '0')}-${position.prepare
    .toString(16)
    .padStart(HEX_DIGITS, '0')}`;
}

export function decodePosition(text: string): Position {
  const match = /^([0-9a-f]{1,16})-([0-9a-f]{1,16})$/.exec(text);
  if (match === null) throw new Error(`'${text}' is not a position of this event store`);
  return { commit: BigInt(`0x${match[1]!}`), prepare: BigInt(`0x${match[2]!}`) };
}

export function comparePositions(a: string, b: string): number {
  const left = decodePosition(a);
  const right = decodePosition(b);
  if (left.commit !== right.commit) return left.commit < right.commit ? -1 : 1;
  if (left.prepare !== right.prepare) return left.prepare < right.prepare ? -1 : 1;
  return 0;
}

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) throw new Error(`invalid expected revision ${expected}`);
      return BigInt(expected);
  }
}

export function fromEsdbExpectedRevision(expected: AppendExpectedRevision): ExpectedRevision {
  if (expected === ANY) return 'any';
  if (expected === NO_STREAM) return 'no_stream';
  if (expected === STREAM_EXISTS) return 'stream_exists';
  return Number(expected);
}

export function fromEsdbCurrentRevision(current: CurrentRevision): number | 'no_stream' {
  return current === NO_STREAM ? 'no_stream' : Number(current);
}

/**
 * An append is one atomic write or none: one over the server's limit for a single append is refused
 * whole, never split into several writes (which a failure half-way would leave half done, and whose
 * wrong-version errors would name a chunk's revision). The service's own appends stay far below it
 * (readings batches of 50,000 at about 600 KB, rejected rows up to 256 KB).
 */
export function checkAppendSize(events: readonly EventToAppend[], maxBytes: number = DEFAULT_MAX_APPEND_BYTES): void {
  let total = 0;
  for (const event of events) total += appendSizeOf(event);
  if (total > maxBytes) {
    const what =
      events.length === 1 ? `event ${events[0]!.id} (${events[0]!.type})` : `an append of ${events.length} events`;
    throw new AppendTooLargeError(
      `${what} is ${total} bytes, over the event store's append limit of ${maxBytes} bytes`,
    );
  }
}

/** Bytes the server counts for an event: its data (JSON or binary) and metadata, its type and id. */
export function appendSizeOf(event: EventToAppend): number {
  return (
    (event.data instanceof Uint8Array ? event.data.byteLength : Buffer.byteLength(JSON.stringify(event.data ?? null))) +
    Buffer.byteLength(JSON.stringify(event.metadata ?? {})) +
    Buffer.byteLength(event.type) +
    36
  );
}

/**
 * The server-side filter of a subscription to $all: the service's stream prefixes (which never start
 * with `$`, so system streams fall out too), or every non-system event when no prefixes are given.
 */
export function allStreamFilter(streamPrefixes: readonly string[] | undefined): Filter {
  if (streamPrefixes === undefined || streamPrefixes.length === 0) return excludeSystemEvents();
  const system = streamPrefixes.filter((prefix) => prefix.startsWith('$'));
  if (system.length > 0) throw new Error(`stream prefixes ${system.join(', ')} name system streams`);
  return streamNameFilter({ prefixes: [...streamPrefixes] });
}

/** The same rule applied to an event read from $all (reads take no server-side filter). */
export function matchesAllFilter(
  event: { streamId: string; type: string },
  streamPrefixes: readonly string[] | undefined,
): boolean {
  if (event.type.startsWith('$') || event.streamId.startsWith('$')) return false;
  if (streamPrefixes === undefined || streamPrefixes.length === 0) return true;
  return streamPrefixes.some((prefix) => event.streamId.startsWith(prefix));
}

/** What the adapter needs of a recorded event of the client, whatever its generic type. */
export interface EsdbRecordedEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

export function toRecordedEvent(event: EsdbRecordedEvent, fallbackPosition?: Position): RecordedEvent {
  const position = event.position ?? fallbackPosition;
  if (position === undefined) throw new Error(`event ${event.id} of ${event.streamId} came without a position`);
  return {
    id: event.id,
    type: event.type,
    data: event.isJson ? event.data : decodeBinary(event),
    metadata: isJsonObject(event.metadata) ? event.metadata : {},
    streamName: event.streamId,
    revision: Number(event.revision),
    position: encodePosition(position),
    created: event.created,
  };
}

/**
 * A binary event's payload: the bytes as they were appended (the readings batches are binary), or, for
 * an event another tool wrote as binary that holds a JSON object or array, that JSON.
 */
export function decodeBinary(event: Pick<EsdbRecordedEvent, 'data'>): unknown {
  if (!(event.data instanceof Uint8Array)) return event.data;
  const first = event.data[0];
  if (first === 0x7b || first === 0x5b) {
    try {
      return JSON.parse(Buffer.from(event.data).toString('utf8')) as unknown;
    } catch {
      // not JSON after all: the bytes as they are
    }
  }
  return event.data;
}

function isJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Error kinds of the client, by their `type` field (the client's ErrorType values). */
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'cancelled', 'not-leader', 'timeout']);

/** Errors a resubscription can outlive: the server unreachable or changing leader, a deadline. */
export function isTransientEsdbError(error: unknown): boolean {
  return mapEsdbError(error, {}) instanceof EventStoreUnavailableError;
}

/** The port's errors for what the client throws; anything unknown passes through unchanged. */
export function mapEsdbError(error: unknown, context: { streamName?: string; expected?: ExpectedRevision }): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const type = (error as { type?: unknown }).type;
  if (type === 'wrong-expected-version') {
    const details = error as {
      streamName?: string;
      expectedVersion?: AppendExpectedRevision;
      actualVersion?: CurrentRevision;
    };
    return new WrongExpectedRevisionError(
      details.streamName ?? context.streamName ?? '',
      details.expectedVersion === undefined
        ? (context.expected ?? 'any')
        : fromEsdbExpectedRevision(details.expectedVersion),
      details.actualVersion === undefined ? 'no_stream' : fromEsdbCurrentRevision(details.actualVersion),
    );
  }
  if (typeof type === 'string' && UNAVAILABLE_TYPES.has(type)) {
    return new EventStoreUnavailableError(`EventStoreDB is unavailable: ${(error as Error).message}`, { cause: error });
  }
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') {
    return new EventStoreUnavailableError(`EventStoreDB refused the connection: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error;
}
