import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import {
  localHolderIsGone,
  SqliteCheckpoints,
  SqliteProjectionVersions,
  SqliteProjectorLease,
} from '../../src/infrastructure/sqlite/sqlite-checkpoints';
import { SqliteAccountsReadModel } from '../../src/infrastructure/sqlite/sqlite-accounts-read-model';
import { SqliteUploadReadModel } from '../../src/infrastructure/sqlite/sqlite-upload-read-model';
import type { ProjectorFence } from '../../src/ports/projection-state';
import { readModelContract } from '../contract/read-models.contract';

readModelContract('SQLite (embedded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-contract-'));
  const db = openSqliteDatabase(join(dir, 'read-models.sqlite'));
  return Promise.resolve({
    uploads: (suffix: string, fence?: ProjectorFence) => new SqliteUploadReadModel(db, suffix, fence ?? null),
    billing: (suffix: string, fence?: ProjectorFence) => new SqliteBillingReadModel(db, suffix, fence ?? null),
    accounts: (suffix: string) => new SqliteAccountsReadModel(db, suffix),
    promoteUploads: (suffix: string) => Promise.resolve(new SqliteUploadReadModel(db, suffix).promote()),
    promoteBilling: (suffix: string) => Promise.resolve(new SqliteBillingReadModel(db, suffix).promote()),
    checkpoints: new SqliteCheckpoints(db),
    versions: new SqliteProjectionVersions(db),
    lease: new SqliteProjectorLease(db),
    dispose: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describe('the embedded projector lease', () => {
  const HOUR = 3_600_000;
  /** The pid of a process that has ended. */
  const deadPid = (): number => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    return child.pid!;
  };

  it('is given up at once by a holder on this host whose process is gone (a kill -9), not by a live or remote one', async () => {
    const db = openSqliteDatabase(':memory:');
    const lease = new SqliteProjectorLease(db);
    const now = Date.now();
    expect(await lease.tryAcquire(`${hostname()}:${process.ppid}:live`, HOUR, now)).toBe(1);
    expect(await lease.tryAcquire(`${hostname()}:${process.pid}:next`, HOUR, now)).toBeNull();
    await lease.release(`${hostname()}:${process.ppid}:live`);
    // A holder of another host may be alive there: its lease runs out as usual.
    expect(await lease.tryAcquire(`elsewhere.example:${deadPid()}:remote`, HOUR, now)).toBe(2);
    expect(await lease.tryAcquire(`${hostname()}:${process.pid}:next`, HOUR, now)).toBeNull();
    db.close();

    const fresh = new SqliteProjectorLease(openSqliteDatabase(':memory:'));
    expect(await fresh.tryAcquire(`${hostname()}:${deadPid()}:crashed`, HOUR, now)).toBe(1);
    expect(await fresh.tryAcquire(`${hostname()}:${process.pid}:next`, HOUR, now)).toBe(2);
    expect(localHolderIsGone(`${hostname()}:${process.pid}:next`)).toBe(false);
    expect(localHolderIsGone('replay-cli:1234')).toBe(false);
  });
});
