/**
 * Splitting the service over processes: one projector at a time under the lease (taken over when its
 * holder dies), read-your-writes for processes that do not project, and a projection that recovers by
 * itself when its read store fails for a while. Runs on the embedded SQLite adapters of the same ports.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/infrastructure/sqlite/database';
import {
  SqliteCheckpoints,
  SqliteProjectionVersions,
  SqliteProjectorLease,
} from '../../src/infrastructure/sqlite/sqlite-checkpoints';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import type { RecordedEvent } from '../../src/ports/event-store';
import { CheckpointWaiter } from '../../src/projections/checkpoint-waiter';
import { FencedOffError } from '../../src/ports/read-store-errors';
import { LeaseFence, LeasedProjector, type LeaderWork } from '../../src/projections/leased-projector';
import type { Projection, ProjectionDefinition } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/runner';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Resolves once `condition` holds, checking on every turn of the event loop (never a fixed sleep). */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('projector roles', () => {
  let dir: string;
  let db: SqliteDatabase;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roles-'));
    db = openSqliteDatabase(join(dir, 'db.sqlite'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the projector in one process at a time and hands over when the holder dies', async () => {
    const running = new Set<string>();
    const work = (name: string): LeaderWork => ({
      start: () => Promise.resolve(void running.add(name)),
      stop: () => Promise.resolve(void running.delete(name)),
    });
    const lease = new SqliteProjectorLease(db);
    const first = new LeasedProjector(lease, work('first'), { holder: 'first', ttlMs: 300 }, silent);
    const second = new LeasedProjector(lease, work('second'), { holder: 'second', ttlMs: 300 }, silent);
    await first.start();
    await second.start();
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);
    expect([...running]).toEqual(['first']);

    // Simulate the holder dying: its timer stops and it never releases the lease.
    (first as unknown as { stopped: boolean }).stopped = true;
    await until(() => second.isLeader);
    expect(running.has('second')).toBe(true);

    // The old holder comes back (a paused process): its next renewal fails and it stops its work.
    (first as unknown as { stopped: boolean }).stopped = false;
    await until(() => !running.has('first'));
    expect(first.isLeader).toBe(false);
    expect(second.isLeader).toBe(true);

    // A clean stop releases at once: the other takes over on its next beat.
    await second.stop();
    await until(() => first.isLeader);
    await first.stop();
    expect(running.size).toBe(0);
  });

  it("fences a paused holder's writes with its lease token, and restarts the work when a renewal comes back as a new tenure", async () => {
    const lease = new SqliteProjectorLease(db);
    let now = 1_000_000;
    const starts: string[] = [];
    const work = (name: string): LeaderWork => ({
      start: () => Promise.resolve(void starts.push(name)),
      stop: () => Promise.resolve(),
    });
    const firstFence = new LeaseFence();
    const first = new LeasedProjector(
      lease,
      work('first'),
      { holder: 'first', ttlMs: 300, now: () => now },
      silent,
      firstFence,
    );
    await first.start();
    expect(firstFence.current()).toEqual({ holder: 'first', token: 1 });
    const billing = new SqliteBillingReadModel(db, '', firstFence);
    await billing.run(function* () {
      yield { op: 'checkpoint', position: '10' };
    });

    // The first holder pauses (no beats) past its lease; a second projector takes over and writes.
    (first as unknown as { stopped: boolean }).stopped = true;
    now += 1_000;
    const secondFence = new LeaseFence();
    const second = new LeasedProjector(
      lease,
      work('second'),
      { holder: 'second', ttlMs: 300, now: () => now },
      silent,
      secondFence,
    );
    await second.start();
    expect(secondFence.current()).toEqual({ holder: 'second', token: 2 });
    await new SqliteBillingReadModel(db, '', secondFence).run(function* () {
      yield { op: 'checkpoint', position: '20' };
    });
    // The paused holder's in-flight write, under its old token, is refused and changes nothing.
    await expect(
      billing.run(function* () {
        yield { op: 'checkpoint', position: '30' };
      }),
    ).rejects.toThrow(FencedOffError);
    expect(await billing.getCheckpoint()).toBe('20');
    await second.stop();
    await first.stop();

    // A holder whose own lease ran out and was granted again (a new token) restarts its work under it.
    const tokens = [7, 7, 8];
    const fake = { tryAcquire: () => Promise.resolve(tokens.shift() ?? 8), release: () => Promise.resolve() };
    const fence = new LeaseFence();
    const renewed = new LeasedProjector(fake, work('renewed'), { holder: 'renewed', ttlMs: 300 }, silent, fence);
    await renewed.start();
    expect(fence.current()?.token).toBe(7);
    await until(() => fence.current()?.token === 8);
    expect(starts.filter((name) => name === 'renewed')).toHaveLength(2);
    await renewed.stop();
    expect(fence.current()).toBeNull();
  });

  it('lets a process without projections wait on the stored checkpoints (read-your-writes for API instances)', async () => {
    const store = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const checkpoints = new SqliteCheckpoints(db);
    const waiter = new CheckpointWaiter(store, checkpoints, ['a', 'b'], ['upload-'], 10);
    expect(await waiter.waitForPosition(null, 50)).toBe(true); // nothing to wait for
    const appended = await store.appendToStream('upload-1', [{ id: randomUUID(), type: 'T', data: {} }], {
      expectedRevision: 'no_stream',
    });
    expect(await waiter.waitForPosition(appended.position, 60)).toBe(false);
    checkpoints.set('a', appended.position);
    const waiting = waiter.waitForPosition(null, 5_000);
    checkpoints.set('b', appended.position);
    expect(await waiting).toBe(true);
    await store.close();
  });

  it('retries a batch its read store refused, reports the failure, and recovers without skipping an event', async () => {
    const store = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const handled: string[] = [];
    let failuresLeft = 3;
    let checkpoint: string | null = null;
    const projection: Projection = {
      name: 'flaky',
      getCheckpoint: () => Promise.resolve(checkpoint),
      reset: () => Promise.resolve(void (checkpoint = null)),
      handle: (events: readonly RecordedEvent[]) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          return Promise.reject(new Error('read store unavailable'));
        }
        handled.push(...events.map((e) => e.id));
        checkpoint = events[events.length - 1]!.position;
        return Promise.resolve();
      },
    };
    const definition: ProjectionDefinition = {
      name: 'flaky',
      version: 1,
      create: () => projection,
      promote: () => Promise.resolve(),
    };
    const waits: number[] = [];
    let release: (() => void) | null = null;
    const runner = new ProjectionRunner(store, [definition], new SqliteProjectionVersions(db), silent, {
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          waits.push(ms);
          release = resolve;
        }),
    });
    await runner.start();
    const ids = [randomUUID(), randomUUID()];
    const appended = await store.appendToStream(
      's-1',
      ids.map((id) => ({ id, type: 'T', data: {} })),
      {
        expectedRevision: 'no_stream',
      },
    );
    await until(() => release !== null);
    expect(runner.status()).toEqual([{ name: 'flaky', position: null, failed: 'read store unavailable' }]);
    while (failuresLeft >= 0 && handled.length === 0) {
      const next = release as (() => void) | null;
      release = null;
      next?.();
      await until(() => release !== null || handled.length > 0);
    }
    expect(await runner.waitForPosition(appended.position, 5_000)).toBe(true);
    expect(handled).toEqual(ids);
    expect(waits).toEqual([500, 1_000, 2_000]);
    expect(runner.status()).toEqual([{ name: 'flaky', position: appended.position, failed: null }]);
    await runner.stop();
    await store.close();
  });
});
