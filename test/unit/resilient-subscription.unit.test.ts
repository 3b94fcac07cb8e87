import type { RecordedEvent } from '../../src/ports/event-store';
import { resilientSubscription, type SubscriptionSource } from '../../src/infrastructure/resilient-subscription';

const recorded = (n: number): RecordedEvent => ({
  id: `e${n}`,
  type: 'T',
  data: { n },
  metadata: {},
  streamName: 's',
  revision: n,
  position: String(n),
  created: new Date(0),
});

/** A source over a fixed log that fails after `failAfter` events of this connection. */
function flakySource(
  log: RecordedEvent[],
  from: number,
  failAfter: number | null,
  cancelled: { count: number },
): SubscriptionSource {
  async function* events(): AsyncGenerator<RecordedEvent> {
    let sent = 0;
    for (const event of log.slice(from)) {
      if (failAfter !== null && sent === failAfter) throw new Error('connection reset');
      sent += 1;
      yield event;
    }
  }
  return { events: events(), cancel: () => Promise.resolve(void (cancelled.count += 1)) };
}

describe('resilientSubscription', () => {
  it('resubscribes after the last delivered event with growing backoff, skipping and repeating nothing', async () => {
    const log = Array.from({ length: 10 }, (_, i) => recorded(i));
    const opened: Array<string | null> = [];
    const waits: number[] = [];
    const cancelled = { count: 0 };
    const failures = [3, 0, 2, null];
    const subscription = resilientSubscription(
      (last) => {
        opened.push(last?.position ?? null);
        const from = last === null ? 0 : last.revision + 1;
        return flakySource(log, from, failures.shift() ?? null, cancelled);
      },
      { initialBackoffMs: 100, maxBackoffMs: 150, sleep: (ms) => Promise.resolve(void waits.push(ms)) },
    );
    const seen: number[] = [];
    for await (const event of subscription) {
      seen.push(event.revision);
      if (seen.length === 10) break;
    }
    await subscription.close();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(opened).toEqual([null, '2', '2', '4']);
    // Backoff doubles while failures follow each other, capped, and resets once an event arrives.
    expect(waits).toEqual([100, 150, 100]);
    expect(cancelled.count).toBeGreaterThanOrEqual(3);
  });

  it('resumes a subscription the server ended (a catch-up subscription has no end) from the last event', async () => {
    const log = Array.from({ length: 4 }, (_, i) => recorded(i));
    const opened: Array<string | null> = [];
    const drops: string[] = [];
    // The first connection ends quietly after two events; the next one goes on from the third.
    const subscription = resilientSubscription(
      (last) => {
        opened.push(last?.position ?? null);
        const from = last === null ? 0 : last.revision + 1;
        const events = opened.length === 1 ? log.slice(0, 2) : log.slice(from);
        return {
          events: (async function* () {
            yield* events;
          })(),
          cancel: () => Promise.resolve(),
        };
      },
      {
        onDrop: (error, attempt) => drops.push(`${attempt}: ${(error as Error).message}`),
        sleep: () => Promise.resolve(),
      },
    );
    const seen: number[] = [];
    for await (const event of subscription) {
      seen.push(event.revision);
      if (seen.length === 4) break;
    }
    await subscription.close();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(opened).toEqual([null, '1']);
    expect(drops).toEqual(['1: the server ended the subscription']);
  });

  it('ends with a fatal error at once, without resubscribing, so its consumer fails visibly', async () => {
    let opens = 0;
    const cancelled = { count: 0 };
    const subscription = resilientSubscription(
      () => {
        opens += 1;
        return {
          events: (async function* () {
            yield recorded(0);
            throw Object.assign(new Error('access denied'), { type: 'access-denied' });
          })(),
          cancel: () => Promise.resolve(void (cancelled.count += 1)),
        };
      },
      {
        isTransient: (error) => (error as { type?: string }).type === 'unavailable',
        fatal: (error) => new Error(`mapped: ${(error as Error).message}`),
        sleep: () => Promise.resolve(),
      },
    );
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const event of subscription) seen.push(event.revision);
      })(),
    ).rejects.toThrow('mapped: access denied');
    expect(seen).toEqual([0]);
    expect(opens).toBe(1);
    expect(cancelled.count).toBe(1);
  });

  it('tells about each drop and ends promptly when closed during a backoff', async () => {
    const drops: string[] = [];
    let wake: (() => void) | null = null;
    const failing = resilientSubscription(
      () => ({
        events: flakySource([recorded(0)], 0, 0, { count: 0 }).events,
        cancel: () => Promise.resolve(),
      }),
      {
        onDrop: (error, attempt) => drops.push(`${attempt}: ${(error as Error).message}`),
        sleep: (_ms, signal) =>
          new Promise<void>((resolve) => {
            signal.wake = resolve;
            wake = resolve;
          }),
      },
    );
    const pending = failing[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(drops).toEqual(['1: connection reset']);
    await failing.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(wake).not.toBeNull();
  });
});
