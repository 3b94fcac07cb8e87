/**
 * Builds the adapters the configuration selects: the event store (SQLite or EventStoreDB) and the read
 * models with their projection state (SQLite or MongoDB). The composition root, the scheduled job and
 * the CLI tools all open their backends here, so they always agree.
 */
import { join } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { ZonedClock } from '../domain/time/zoned-time';
import type { AccountsProjectionStore, AccountsQueries } from '../ports/accounts-read-model';
import type { BillingProjectionStore, BillingQueries } from '../ports/billing-read-model';
import type { EventStore } from '../ports/event-store';
import type {
  ProjectionCheckpoints,
  ProjectionVersions,
  ProjectorFence,
  ProjectorLease,
} from '../ports/projection-state';
import type { UploadProjectionStore, UploadQueries } from '../ports/upload-read-model';
import { ACCOUNTS_PROJECTION, AccountsProjection } from '../projections/accounts/projection';
import { BILLING_PROJECTION, BillingProjection, type BillingRules } from '../projections/billing/projection';
import type { ProjectionDefinition } from '../projections/projection';
import { UPLOAD_STATUS_PROJECTION, UploadStatusProjection } from '../projections/upload-status/projection';
import { openSqliteDatabase, PAGE_CACHE_KIB, QUERY_PAGE_CACHE_KIB, type SqliteDatabase } from './sqlite/database';
import { SqliteAccountsReadModel } from './sqlite/sqlite-accounts-read-model';
import { SqliteBillingReadModel } from './sqlite/sqlite-billing-read-model';
import { SqliteCheckpoints, SqliteProjectionVersions, SqliteProjectorLease } from './sqlite/sqlite-checkpoints';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { SqliteUploadReadModel } from './sqlite/sqlite-upload-read-model';

/** Versions of the projections' read models: bump when a model's shape or rules change (rebuilt on start). */
export const PROJECTION_VERSIONS = {
  [UPLOAD_STATUS_PROJECTION]: 2, // 2: listing order assigned once per upload
  [ACCOUNTS_PROJECTION]: 1,
  [BILLING_PROJECTION]: 5, // 2: meter-day rows; an upload's readings take effect when it is validated
  // 3: readings staged as their batches, applied uploads recorded, slots stored compact
  // 4: SQLite keeps a meter-day's slots apart from its daily figures (re-pricing rewrites the small rows)
  // 5: uploads prepared ahead as their readings come; a preparation records how far it got and if it went stale
} as const;

/** The billing rules the configuration sets (the main thread and the projector thread build the same). */
export function billingRulesOf(config: Config): BillingRules {
  return {
    clock: new ZonedClock(config.billingTimeZone),
    resolutionMinutes: config.readingResolutionMinutes,
    market: config.priceArea,
  };
}

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface ReadStore {
  uploadQueries: UploadQueries;
  billing: BillingQueries;
  accounts: AccountsQueries;
  versions: ProjectionVersions;
  checkpoints: ProjectionCheckpoints;
  lease: ProjectorLease;
  /**
   * The service's projections over this store's models; with a fence, every write they make is refused
   * unless this process holds the projector lease's tenure.
   */
  projectionDefinitions(rules: BillingRules, fence?: ProjectorFence): ProjectionDefinition[];
  health: HealthCheck;
  close(): Promise<void>;
}

/**
 * Appends to the embedded log as a signal between connections: one connection's appends wake another's
 * subscriptions (the projector thread's) at once, instead of at their next poll. EventStoreDB pushes.
 */
export interface AppendSignal {
  onAppended(listener: () => void): () => void;
  wake(): void;
}

export interface Backends {
  eventStore: EventStore;
  /** Null when the log pushes new events to every subscriber itself. */
  appendSignal: AppendSignal | null;
  readStore: ReadStore;
  health: HealthCheck[];
  close(): Promise<void>;
}

/*
 * The production drivers are loaded only when configured: the gRPC client and the MongoDB driver add
 * about 30 MB and a slower start to a process that uses the embedded default.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const loadEventStoreDb = () =>
  require('./eventstoredb/eventstoredb-event-store') as typeof import('./eventstoredb/eventstoredb-event-store');
const loadMongoDb = () => ({
  ...(require('./mongodb/mongo-database') as typeof import('./mongodb/mongo-database')),
  ...(require('./mongodb/mongo-billing-read-model') as typeof import('./mongodb/mongo-billing-read-model')),
  ...(require('./mongodb/mongo-upload-read-model') as typeof import('./mongodb/mongo-upload-read-model')),
  ...(require('./mongodb/mongo-accounts-read-model') as typeof import('./mongodb/mongo-accounts-read-model')),
  ...(require('./mongodb/mongo-projection-state') as typeof import('./mongodb/mongo-projection-state')),
  ...(require('./mongodb/errors') as typeof import('./mongodb/errors')),
});
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The embedded backend keeps the event log and the read models in two files: the log's writer (the
 * API appending an upload) and the projector (writing read models) then never wait for each other's
 * write lock, and the read models can be deleted and rebuilt from the log.
 */
export const sqliteFileOf = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, 'energy-billing.sqlite');
export const readModelsFileOf = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, 'read-models.sqlite');

/** Tables derived from the log that older versions kept in the log's file (rebuilt in their own file now). */
function dropReadModelsOfOneFileLayout(db: SqliteDatabase, logger: Pick<Logger, 'warn'>): void {
  const derived = db
    .prepare<[], { name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'rm\\_%' ESCAPE '\\'
         OR name IN ('projection_checkpoints', 'projection_versions', 'projector_lease'))`,
    )
    .all()
    .map((row) => row.name);
  if (derived.length === 0) return;
  db.transaction(() => {
    for (const name of derived) db.exec(`DROP TABLE "${name}"`);
  }).immediate();
  logger.warn('dropped the read models the log file held (they are rebuilt from the log in read-models.sqlite)', {
    tables: derived.length,
  });
}

export async function openEventStore(
  config: Config,
  logger: Pick<Logger, 'warn'>,
): Promise<{ eventStore: EventStore; appendSignal: AppendSignal | null; health: HealthCheck; close(): Promise<void> }> {
  if (config.eventStore.kind === 'eventstoredb') {
    // Loaded only when chosen: the gRPC client costs the embedded default memory and start time.
    const { EventStoreDbEventStore } = loadEventStoreDb();
    const eventStore = await EventStoreDbEventStore.connect(config.eventStore.url, {
      timeoutMs: config.backendConnectTimeoutMs,
      onSubscriptionDropped: (target, error, attempt, retryInMs) =>
        logger.warn('event store subscription dropped; resubscribing from the last event', {
          target,
          attempt,
          retryInMs,
          error: error instanceof Error ? error.message : String(error),
        }),
    });
    return {
      eventStore,
      appendSignal: null,
      health: { name: 'eventstoredb', check: () => eventStore.ping() },
      close: () => eventStore.close(),
    };
  }
  const db = openSqliteDatabase(sqliteFileOf(config), { durability: 'answered' });
  try {
    if (config.readStore.kind === 'sqlite') dropReadModelsOfOneFileLayout(db, logger);
  } catch (error) {
    db.close();
    throw error;
  }
  const eventStore = new SqliteEventStore(db);
  return {
    eventStore,
    appendSignal: eventStore,
    health: { name: 'sqlite-event-store', check: () => eventStore.ping() },
    close: async () => {
      await eventStore.close();
      db.close();
    },
  };
}

/**
 * What a process opens its read store for: answering queries (the API, which also projects when the
 * projections run on its thread), or only projecting (the projector thread); the embedded store sizes
 * its page cache by it.
 */
export type ReadStorePurpose = 'queries' | 'projections';

export async function openReadStore(config: Config, purpose: ReadStorePurpose = 'queries'): Promise<ReadStore> {
  if (config.readStore.kind === 'mongodb') {
    const {
      MongoReadStore,
      MongoBillingReadModel,
      MongoUploadReadModel,
      MongoAccountsReadModel,
      MongoCheckpoints,
      MongoProjectionVersions,
      MongoProjectorLease,
      withPortErrors,
    } = loadMongoDb();
    const store = await MongoReadStore.connect(
      config.readStore.url,
      config.readStore.database,
      config.backendConnectTimeoutMs,
    );
    return {
      uploadQueries: withPortErrors(new MongoUploadReadModel(store)),
      billing: withPortErrors(new MongoBillingReadModel(store)),
      accounts: withPortErrors(new MongoAccountsReadModel(store)),
      versions: withPortErrors(new MongoProjectionVersions(store)),
      checkpoints: withPortErrors(new MongoCheckpoints(store)),
      lease: withPortErrors(new MongoProjectorLease(store)),
      projectionDefinitions: (rules, fence) =>
        projectionDefinitions(
          {
            uploads: (suffix) => new MongoUploadReadModel(store, suffix, fence ?? null),
            billing: (suffix) => new MongoBillingReadModel(store, suffix, fence ?? null),
            accounts: (suffix) => new MongoAccountsReadModel(store, suffix, fence ?? null),
          },
          rules,
        ),
      health: { name: 'mongodb', check: () => store.ping() },
      close: () => store.close(),
    };
  }
  const db = openSqliteDatabase(readModelsFileOf(config), {
    durability: 'rebuildable',
    pageCacheKiB: purpose === 'queries' ? QUERY_PAGE_CACHE_KIB : PAGE_CACHE_KIB,
  });
  return {
    uploadQueries: new SqliteUploadReadModel(db),
    billing: new SqliteBillingReadModel(db),
    accounts: new SqliteAccountsReadModel(db),
    versions: new SqliteProjectionVersions(db),
    checkpoints: new SqliteCheckpoints(db),
    lease: new SqliteProjectorLease(db),
    projectionDefinitions: (rules, fence) =>
      projectionDefinitions(
        {
          uploads: (suffix) => new SqliteUploadReadModel(db, suffix, fence ?? null),
          billing: (suffix) => new SqliteBillingReadModel(db, suffix, fence ?? null),
          accounts: (suffix) => new SqliteAccountsReadModel(db, suffix, fence ?? null),
        },
        rules,
      ),
    health: {
      name: 'sqlite-read-models',
      check: () => {
        db.prepare('SELECT 1').get();
        return Promise.resolve();
      },
    },
    close: async () => {
      db.close();
    },
  };
}

/** A read model over live tables or collections (suffix '') or over a rebuild copy, and how to swap the copy in. */
interface ReadModelFactory<Store> {
  (suffix: string): Store & { promote(): Promise<void> | void };
}

/** The service's projections over one read store's models. */
function projectionDefinitions(
  models: {
    uploads: ReadModelFactory<UploadProjectionStore>;
    billing: ReadModelFactory<BillingProjectionStore>;
    accounts: ReadModelFactory<AccountsProjectionStore>;
  },
  rules: BillingRules,
): ProjectionDefinition[] {
  return [
    {
      name: UPLOAD_STATUS_PROJECTION,
      version: PROJECTION_VERSIONS[UPLOAD_STATUS_PROJECTION],
      create: (suffix) => new UploadStatusProjection(models.uploads(suffix)),
      promote: async (suffix) => models.uploads(suffix).promote(),
    },
    {
      name: BILLING_PROJECTION,
      version: PROJECTION_VERSIONS[BILLING_PROJECTION],
      create: (suffix) => new BillingProjection(models.billing(suffix), rules),
      promote: async (suffix) => models.billing(suffix).promote(),
    },
    {
      name: ACCOUNTS_PROJECTION,
      version: PROJECTION_VERSIONS[ACCOUNTS_PROJECTION],
      create: (suffix) => new AccountsProjection(models.accounts(suffix)),
      promote: async (suffix) => models.accounts(suffix).promote(),
    },
  ];
}

/** The event log holds less than the read models were built from: it was lost or replaced. */
export class LostLogError extends Error {
  constructor(projection: string, checkpoint: string, head: string | null) {
    super(
      `the event log ${head === null ? 'is empty' : `ends at position ${head}`}, but the read models were built from a log ` +
        `that went further (projection ${projection} read up to ${checkpoint}): the log was lost or replaced (a power ` +
        'cut before it reached the disk, a deleted or restored file). Nothing was started, so nothing is overwritten. ' +
        'Restore the log from a backup; to start afresh on purpose, remove the read models too ' +
        '(DATA_DIR/read-models.sqlite, or the MongoDB database)',
    );
    this.name = 'LostLogError';
  }
}

/**
 * The log is the truth, and the read models only follow it: a projection's checkpoint beyond the log's
 * head means the log lost what it once answered. A start then stops, rather than serve (and bill) from
 * a shorter history, or make a new first admin key on an empty log.
 */
async function refuseLostLog(eventStore: EventStore, readStore: ReadStore, rules: BillingRules): Promise<void> {
  const head = await eventStore.headPosition();
  for (const { name } of readStore.projectionDefinitions(rules)) {
    const checkpoint = await readStore.checkpoints.get(name);
    if (checkpoint === null) continue;
    if (head === null || eventStore.comparePositions(checkpoint, head) > 0)
      throw new LostLogError(name, checkpoint, head);
  }
}

/** Opens both; a failed second open closes the first. */
export async function openBackends(
  config: Config,
  logger: Pick<Logger, 'warn'>,
  purpose: ReadStorePurpose = 'queries',
): Promise<Backends> {
  const events = await openEventStore(config, logger);
  let readStore: ReadStore;
  try {
    readStore = await openReadStore(config, purpose);
  } catch (error) {
    await events.close();
    throw error;
  }
  try {
    await refuseLostLog(events.eventStore, readStore, billingRulesOf(config));
  } catch (error) {
    await events.close();
    await readStore.close();
    throw error;
  }
  return {
    eventStore: events.eventStore,
    appendSignal: events.appendSignal,
    readStore,
    health: [events.health, readStore.health],
    close: async () => {
      await events.close();
      await readStore.close();
    },
  };
}
