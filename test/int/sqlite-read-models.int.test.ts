import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteBillingReadModel } from '../../src/infrastructure/sqlite/sqlite-billing-read-model';
import {
  SqliteCheckpoints,
  SqliteProjectionVersions,
  SqliteProjectorLease,
} from '../../src/infrastructure/sqlite/sqlite-checkpoints';
import { SqliteUploadReadModel } from '../../src/infrastructure/sqlite/sqlite-upload-read-model';
import { readModelContract } from '../contract/read-models.contract';

readModelContract('SQLite (embedded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-contract-'));
  const db = openSqliteDatabase(join(dir, 'read-models.sqlite'));
  return Promise.resolve({
    uploads: (suffix: string) => new SqliteUploadReadModel(db, suffix),
    billing: (suffix: string) => new SqliteBillingReadModel(db, suffix),
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
