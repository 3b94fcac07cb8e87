/**
 * The contract of the EventStore port. Every adapter runs this same suite: the embedded SQLite one
 * always, EventStoreDB when EVENTSTORE_URL is set. Stream names are unique per test, so the suite also
 * runs against a shared server that holds other data.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '../../src/ports/event-store';
import { WrongExpectedRevisionError } from '../../src/ports/event-store';

export interface EventStoreFixture {
  store: EventStore;
  dispose(): Promise<void>;
}

const event = (type: string, data: Record<string, unknown> = {}) => ({ id: randomUUID(), type, data });

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

async function take(iterable: AsyncIterable<RecordedEvent>, count: number, where: (e: RecordedEvent) => boolean) {
  const out: RecordedEvent[] = [];
  for await (const e of iterable) {
    if (!where(e)) continue;
    out.push(e);
    if (out.length === count) break;
  }
  return out;
}

export function eventStoreContract(adapter: string, create: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${adapter}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;
    let prefix: string;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
      prefix = `contract${randomUUID().replaceAll('-', '')}-`;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('appends to a new stream and reads it back in order with revisions', async () => {
      const stream = `${prefix}a`;
      const result = await store.appendToStream(stream, [event('A', { n: 1 }), event('B', { n: 2 })], {
        expectedRevision: 'no_stream',
      });
      expect(result.nextExpectedRevision).toBe(1);
      const read = await collect(store.readStream(stream));
      expect(read.map((e) => [e.type, e.revision, e.data])).toEqual([
        ['A', 0, { n: 1 }],
        ['B', 1, { n: 2 }],
      ]);
      expect(read[1]?.position).toBe(result.position);
      expect(read.every((e) => e.streamName === stream && e.created instanceof Date)).toBe(true);
    });

    it('reads an absent stream as empty', async () => {
      expect(await collect(store.readStream(`${prefix}missing`))).toEqual([]);
    });

    it('enforces the expected revision with a typed error', async () => {
      const stream = `${prefix}b`;
      await store.appendToStream(stream, [event('A')], { expectedRevision: 'no_stream' });
      await expect(
        store.appendToStream(stream, [event('B')], { expectedRevision: 'no_stream' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(store.appendToStream(stream, [event('B')], { expectedRevision: 5 })).rejects.toMatchObject({
        streamName: stream,
        expected: 5,
        actual: 0,
      });
      await expect(
        store.appendToStream(`${prefix}none`, [event('B')], { expectedRevision: 'stream_exists' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.appendToStream(stream, [event('B')], { expectedRevision: 0 });
      await store.appendToStream(stream, [event('C')], { expectedRevision: 'any' });
      expect((await collect(store.readStream(stream))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('stores a retried append (same event ids) once', async () => {
      const stream = `${prefix}c`;
      const events = [event('A'), event('B')];
      const first = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
      const retry = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
      expect(retry.nextExpectedRevision).toBe(first.nextExpectedRevision);
      expect(await collect(store.readStream(stream))).toHaveLength(2);
    });

    it('orders all events by an increasing global position and reads after a position', async () => {
      const a = `${prefix}d1`;
      const b = `${prefix}d2`;
      await store.appendToStream(a, [event('A1')], { expectedRevision: 'any' });
      const mid = await store.appendToStream(b, [event('B1')], { expectedRevision: 'any' });
      await store.appendToStream(a, [event('A2')], { expectedRevision: 'any' });
      const all = await collect(store.readAll({ streamPrefixes: [prefix] }));
      expect(all.map((e) => e.type)).toEqual(['A1', 'B1', 'A2']);
      for (let i = 1; i < all.length; i++) {
        expect(store.comparePositions(all[i]!.position, all[i - 1]!.position)).toBeGreaterThan(0);
      }
      const after = await collect(store.readAll({ after: mid.position, streamPrefixes: [prefix] }));
      expect(after.map((e) => e.type)).toEqual(['A2']);
      const head = await store.headPosition();
      expect(head !== null && store.comparePositions(head, mid.position) > 0).toBe(true);
    });

    it('gives the head position of some stream prefixes, and answers a ping', async () => {
      await store.ping();
      expect(await store.headPosition({ streamPrefixes: [`${prefix}none-`] })).toBeNull();
      const kept = await store.appendToStream(`${prefix}head-a`, [event('A')], { expectedRevision: 'any' });
      const other = await store.appendToStream(`${prefix}other-b`, [event('B')], { expectedRevision: 'any' });
      expect(await store.headPosition({ streamPrefixes: [`${prefix}head-`] })).toBe(kept.position);
      expect(await store.headPosition({ streamPrefixes: [`${prefix}head-`, `${prefix}other-`] })).toBe(other.position);
      // At or before a position: the last event of those prefixes up to it (a consistency wait's target).
      const later = await store.appendToStream(`${prefix}head-c`, [event('C')], { expectedRevision: 'any' });
      expect(await store.headPosition({ streamPrefixes: [`${prefix}head-`], atOrBefore: other.position })).toBe(
        kept.position,
      );
      expect(await store.headPosition({ streamPrefixes: [`${prefix}head-`], atOrBefore: later.position })).toBe(
        later.position,
      );
      expect(await store.headPosition({ streamPrefixes: [`${prefix}other-`], atOrBefore: kept.position })).toBeNull();
    });

    it('filters readAll by stream prefix', async () => {
      await store.appendToStream(`${prefix}keep-1`, [event('K')], { expectedRevision: 'any' });
      await store.appendToStream(`${prefix}drop-1`, [event('D')], { expectedRevision: 'any' });
      const kept = await collect(store.readAll({ streamPrefixes: [`${prefix}keep-`] }));
      expect(kept.map((e) => e.type)).toEqual(['K']);
    });

    it('subscribes to all: catches up, then delivers live appends', async () => {
      await store.appendToStream(`${prefix}e`, [event('Old')], { expectedRevision: 'any' });
      const subscription = store.subscribeToAll({ streamPrefixes: [prefix] });
      const received = take(subscription, 3, (e) => e.streamName.startsWith(prefix));
      await store.appendToStream(`${prefix}e`, [event('New1'), event('New2')], { expectedRevision: 'any' });
      expect((await received).map((e) => e.type)).toEqual(['Old', 'New1', 'New2']);
      await subscription.close();
    });

    it('subscribes to one stream before it exists and ends when closed', async () => {
      const stream = `${prefix}f`;
      const subscription = store.subscribeToStream(stream);
      const received = take(subscription, 2, () => true);
      await store.appendToStream(`${prefix}other`, [event('Other')], { expectedRevision: 'any' });
      await store.appendToStream(stream, [event('F1')], { expectedRevision: 'no_stream' });
      await store.appendToStream(stream, [event('F2')], { expectedRevision: 0 });
      expect((await received).map((e) => [e.type, e.revision])).toEqual([
        ['F1', 0],
        ['F2', 1],
      ]);
      await subscription.close();

      const idle = store.subscribeToStream(`${prefix}never`);
      const drained = collect(idle);
      await idle.close();
      expect(await drained).toEqual([]);
    });

    it('appends a batch of large events in one call', async () => {
      const stream = `${prefix}g`;
      const big = Array.from({ length: 20 }, (_, i) =>
        event('Batch', { i, readings: Array(5000).fill(['MP1', 0, 0.1234]) }),
      );
      const result = await store.appendToStream(stream, big, { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(19);
      const read = await collect(store.readStream(stream, { fromRevision: 18 }));
      expect(read.map((e) => (e.data as { i: number }).i)).toEqual([18, 19]);
    });
  });
}
