import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { UploadStream } from '../../src/ingestion/upload-stream';
import { WrongExpectedRevisionError } from '../../src/ports/event-store';
import { eventStoreContract } from '../contract/event-store.contract';

eventStoreContract('SQLite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-contract-'));
  const db = openSqliteDatabase(join(dir, 'events.sqlite'));
  const store = new SqliteEventStore(db, { pollIntervalMs: 50 });
  return {
    store,
    dispose: async () => {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('waiting subscriptions of the embedded store', () => {
  it('share one poll of the head (500 idle ones ask it once a poll, not 500 times), and see another connection append', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-poll-'));
    const db = openSqliteDatabase(join(dir, 'events.sqlite'));
    const store = new SqliteEventStore(db, { pollIntervalMs: 10 });
    const other = openSqliteDatabase(join(dir, 'events.sqlite'));
    const writer = new SqliteEventStore(other);
    try {
      const subscriptions = Array.from({ length: 500 }, () => store.subscribeToAll({ streamPrefixes: ['poll-'] }));
      const firsts = subscriptions.map((subscription) => subscription[Symbol.asyncIterator]().next());
      const prepare = jest.spyOn(db, 'prepare');
      await new Promise((r) => setTimeout(r, 200)); // about 20 polls
      const headQueries = prepare.mock.calls.filter(([sql]) => /max\(position\)/.test(String(sql))).length;
      prepare.mockRestore();
      expect(headQueries).toBeGreaterThan(0);
      expect(headQueries).toBeLessThan(60);

      // An append through another connection (as the projector thread's, or a CLI tool's) is found by the poll.
      await writer.appendToStream(
        'poll-1',
        [{ id: '00000000-0000-4000-8000-0000000000aa', type: 'Polled', data: {} }],
        {
          expectedRevision: 'any',
        },
      );
      const delivered = await Promise.all(firsts);
      expect(delivered.every((step) => step.done === false && step.value.type === 'Polled')).toBe(true);
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      expect(store.openSubscriptions).toBe(0);
    } finally {
      await store.close();
      await writer.close();
      db.close();
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('two writers of one upload stream (a second server on the same DATA_DIR, as the fault probe found)', () => {
  it("refuses the first writer's next batch after the second wrote an interrupt at its revision, instead of dropping it as a retry", async () => {
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteEventStore(db);
    const now = () => new Date('2026-11-01T00:00:00Z');
    try {
      const first = new UploadStream(store, 'u-two-writers', now);
      await first.record({
        type: 'Land',
        file: {
          uploadId: 'u-two-writers',
          fileName: 'r.csv',
          byteSize: 10,
          sha256: 'ab'.repeat(32),
          resolutionMinutes: 15,
          timeZone: 'Europe/Sofia',
          uploadedBy: null,
        },
      });
      await first.record({ type: 'AcceptReadings', batch: 0, count: 1 }, new Uint8Array([1, 2, 3]));
      // The second server found the upload unfinished and marked it at the revision the first goes on at.
      const second = new UploadStream(store, 'u-two-writers', now, first.state);
      await second.record({ type: 'Interrupt' });
      await expect(first.record({ type: 'AcceptReadings', batch: 1, count: 1 }, new Uint8Array([4]))).rejects.toThrow(
        WrongExpectedRevisionError,
      );
      const types: string[] = [];
      for await (const event of store.readStream('upload-u-two-writers')) types.push(event.type);
      expect(types).toEqual(['FileReceived', 'ReadingsAccepted', 'UploadInterrupted']);
    } finally {
      await store.close();
      db.close();
    }
  });

  it('refuses a known id on an event of another type, loudly, rather than taking it for a retry', async () => {
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteEventStore(db);
    try {
      await store.appendToStream('s-1', [{ id: '00000000-0000-5000-8000-000000000001', type: 'A', data: {} }], {
        expectedRevision: 'no_stream',
      });
      await expect(
        store.appendToStream('s-1', [{ id: '00000000-0000-5000-8000-000000000001', type: 'B', data: {} }], {
          expectedRevision: 'no_stream',
        }),
      ).rejects.toThrow(/was already appended with other events/);
      // The same event again is a retry: stored once.
      await store.appendToStream('s-1', [{ id: '00000000-0000-5000-8000-000000000001', type: 'A', data: {} }], {
        expectedRevision: 'no_stream',
      });
      let count = 0;
      for await (const event of store.readStream('s-1')) count += event === undefined ? 0 : 1;
      expect(count).toBe(1);
    } finally {
      await store.close();
      db.close();
    }
  });
});
