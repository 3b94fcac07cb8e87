import type { EventSubscription, RecordedEvent } from '../ports/event-store';

/** One connection of a subscription: its events, and how to stop it. */
export interface SubscriptionSource {
  events: AsyncIterable<RecordedEvent>;
  cancel(): Promise<void>;
}

export interface ResilienceOptions {
  /** First wait before resubscribing; doubled after each failure in a row, up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onDrop?: (error: unknown, attempt: number, retryInMs: number) => void;
  /**
   * Whether an error is worth resubscribing after (the server unreachable, a leader change, a deadline);
   * any other (access denied, a deleted stream, an event that cannot be read) ends the subscription with
   * it, so its consumer fails visibly instead of looping. Default: every error is transient.
   */
  isTransient?: (error: unknown) => boolean;
  /** What a failure that is not transient is thrown as (default: as it came). */
  fatal?: (error: unknown) => unknown;
  /** Waits; replaced in tests. */
  sleep?: (ms: number, signal: { cancelled: boolean; wake: () => void }) => Promise<void>;
}

/** The server ended a catch-up subscription that nobody closed. */
export class SubscriptionEndedError extends Error {
  constructor() {
    super('the server ended the subscription');
    this.name = 'SubscriptionEndedError';
  }
}

/**
 * A subscription that survives dropped connections: when the source fails with a transient error, or
 * ends although nobody closed it, it waits (with exponential backoff) and opens a new one from the last
 * event it delivered, so no event is skipped or delivered twice. Any other error ends it, thrown to the
 * consumer.
 */
export function resilientSubscription(
  open: (lastDelivered: RecordedEvent | null) => SubscriptionSource,
  options: ResilienceOptions = {},
): EventSubscription {
  const initial = options.initialBackoffMs ?? 250;
  const max = options.maxBackoffMs ?? 15_000;
  let closed = false;
  let source: SubscriptionSource | null = null;
  const pause = { cancelled: false, wake: (): void => undefined };
  const sleep =
    options.sleep ??
    ((ms: number, signal: typeof pause) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }));

  async function* iterate(): AsyncGenerator<RecordedEvent> {
    let last: RecordedEvent | null = null;
    let failures = 0;
    while (!closed) {
      source = open(last);
      let dropped: unknown;
      try {
        for await (const event of source.events) {
          if (closed) return;
          failures = 0;
          last = event;
          yield event;
        }
        if (closed) return;
        // A catch-up subscription has no end: one the server ended is resumed like a dropped one.
        dropped = new SubscriptionEndedError();
      } catch (error) {
        if (closed) return;
        if (!(options.isTransient?.(error) ?? true)) {
          await source.cancel().catch(() => undefined);
          throw options.fatal === undefined ? error : options.fatal(error);
        }
        dropped = error;
      }
      {
        failures += 1;
        const wait = Math.min(max, initial * 2 ** (failures - 1));
        options.onDrop?.(dropped, failures, wait);
        await source.cancel().catch(() => undefined);
        await sleep(wait, pause);
      }
    }
  }

  const iterator = iterate();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      if (closed) return;
      closed = true;
      pause.wake();
      await source?.cancel().catch(() => undefined);
      await iterator.return(undefined);
    },
  };
}
