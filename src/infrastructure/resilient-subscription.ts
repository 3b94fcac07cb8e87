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
  /** Waits; replaced in tests. */
  sleep?: (ms: number, signal: { cancelled: boolean; wake: () => void }) => Promise<void>;
}

/**
 * A subscription that survives dropped connections: when the source fails it waits (with exponential
 * backoff) and opens a new one from the last event it delivered, so no event is skipped or delivered twice.
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
      try {
        for await (const event of source.events) {
          if (closed) return;
          failures = 0;
          last = event;
          yield event;
        }
        return; // the source ended on its own: closed by us
      } catch (error) {
        if (closed) return;
        failures += 1;
        const wait = Math.min(max, initial * 2 ** (failures - 1));
        options.onDrop?.(error, failures, wait);
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
