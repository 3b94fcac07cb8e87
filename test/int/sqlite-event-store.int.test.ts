import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
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
