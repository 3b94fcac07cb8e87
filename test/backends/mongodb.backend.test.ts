/**
 * The read-model contract against a real MongoDB. Runs only when MONGODB_URL is set
 * (`npm run test:backends`, see README "Production backends"); these machines have no server to run it.
 * Each test uses a database of its own, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import { MongoBillingReadModel } from '../../src/infrastructure/mongodb/mongo-billing-read-model';
import { MongoReadStore } from '../../src/infrastructure/mongodb/mongo-database';
import {
  MongoCheckpoints,
  MongoProjectionVersions,
  MongoProjectorLease,
} from '../../src/infrastructure/mongodb/mongo-projection-state';
import { MongoUploadReadModel } from '../../src/infrastructure/mongodb/mongo-upload-read-model';
import type { ProjectorFence } from '../../src/ports/projection-state';
import { MongoAccountsReadModel } from '../../src/infrastructure/mongodb/mongo-accounts-read-model';
import { readModelContract } from '../contract/read-models.contract';

const url = process.env.MONGODB_URL;

if (url === undefined || url === '') {
  describe.skip('read-model contract: MongoDB (set MONGODB_URL to run)', () => {
    it('needs a server', () => undefined);
  });
} else {
  readModelContract('MongoDB', async () => {
    const store = await MongoReadStore.connect(url, `contract_${randomUUID().slice(0, 8)}`, 10_000);
    return {
      uploads: (suffix: string, fence?: ProjectorFence) => new MongoUploadReadModel(store, suffix, fence ?? null),
      billing: (suffix: string, fence?: ProjectorFence) => new MongoBillingReadModel(store, suffix, fence ?? null),
      accounts: (suffix: string) => new MongoAccountsReadModel(store, suffix),
      promoteUploads: (suffix: string) => new MongoUploadReadModel(store, suffix).promote(),
      promoteBilling: (suffix: string) => new MongoBillingReadModel(store, suffix).promote(),
      checkpoints: new MongoCheckpoints(store),
      versions: new MongoProjectionVersions(store),
      lease: new MongoProjectorLease(store),
      dispose: async () => {
        await store.db.dropDatabase();
        await store.close();
      },
    };
  });
}
