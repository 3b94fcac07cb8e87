/**
 * Builds the adapters the configuration selects: the event store (SQLite or EventStoreDB) and the read
 * models with their projection state (SQLite or MongoDB). The composition root, the scheduled job and
 * the CLI tools all open their backends here, so they always agree.
 */
import { join } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { ZonedClock } from '../domain/time/zoned-time';
import type { AccountsQueries } from '../ports/accounts-read-model';
import type { BillingQueries } from '../ports/billing-read-model';
import type { AppendSignal, EventStore } from '../ports/event-store';
import type { HealthCheck } from '../ports/health-check';
import type {
  ProjectionCheckpoints,
  ProjectionVersions,
  ProjectorFence,
  ProjectorLease,
} from '../ports/projection-state';
import type { UploadQueries } from '../ports/upload-read-model';
import type { BillingRules } from '../projections/billing/rules';
import { projectionCatalogue } from '../projections/catalogue';
import type { ProjectionDefinition } from '../projections/projection';
import {
  openSqliteDatabase,
  PAGE_CACHE_KIB,
  QUERY_PAGE_CACHE_KIB,
  type SqliteDatabase,
} from '../infrastructure/sqlite/database';
import { findDamagedFiles, looksLikeDamage, type EmbeddedFileRole } from '../infrastructure/sqlite/damage';
import { SqliteAccountsReadModel } from '../infrastructure/sqlite/sqlite-accounts-read-model';
import { SqliteBillingReadModel } from '../infrastructure/sqlite/sqlite-billing-read-model';
import {
  SqliteCheckpoints,
  SqliteProjectionVersions,
  SqliteProjectorLease,
} from '../infrastructure/sqlite/sqlite-checkpoints';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store';
import { SqliteUploadReadModel } from '../infrastructure/sqlite/sqlite-upload-read-model';

/** The billing rules the configuration sets (the main thread and the projector thread build the same). */
export function billingRulesOf(config: Config): BillingRules {
  return {
    clock: new ZonedClock(config.billingTimeZone),
    resolutionMinutes: config.readingResolutionMinutes,
    market: config.priceArea,
  };
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
  require('../infrastructure/eventstoredb/eventstoredb-event-store') as typeof import('../infrastructure/eventstoredb/eventstoredb-event-store');
const loadMongoDb = () => ({
  ...(require('../infrastructure/mongodb/mongo-database') as typeof import('../infrastructure/mongodb/mongo-database')),
  ...(require('../infrastructure/mongodb/mongo-billing-read-model') as typeof import('../infrastructure/mongodb/mongo-billing-read-model')),
  ...(require('../infrastructure/mongodb/mongo-upload-read-model') as typeof import('../infrastructure/mongodb/mongo-upload-read-model')),
  ...(require('../infrastructure/mongodb/mongo-accounts-read-model') as typeof import('../infrastructure/mongodb/mongo-accounts-read-model')),
  ...(require('../infrastructure/mongodb/mongo-projection-state') as typeof import('../infrastructure/mongodb/mongo-projection-state')),
  ...(require('../infrastructure/mongodb/errors') as typeof import('../infrastructure/mongodb/errors')),
});
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The embedded backend keeps the event log and the read models in two files: the log's writer (the
 * API appending an upload) and the projector (writing read models) then never wait for each other's
 * write lock, and the read models can be deleted and rebuilt from the log.
 */
export const sqliteFileOf = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, 'energy-billing.sqlite');
export const readModelsFileOf = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, 'read-models.sqlite');

/**
 * A start that failed on a damaged file ("database disk image is malformed", which names none): the
 * embedded files are checked, and the error names the damaged one and how to mend it.
 */
export function damageNamed(error: unknown, config: Config): unknown {
  if (!looksLikeDamage(error)) return error;
  const files: Array<{ file: string; role: EmbeddedFileRole }> = [];
  if (config.eventStore.kind === 'sqlite') files.push({ file: sqliteFileOf(config), role: 'log' });
  if (config.readStore.kind === 'sqlite') files.push({ file: readModelsFileOf(config), role: 'read-models' });
  return findDamagedFiles(files) ?? error;
}

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

/**
 * `owner`: the caller holds DATA_DIR (a server, a replay) and may move an older layout forward; a tool
 * that only appends beside a running server (the price CLI, the scheduled job) changes nothing else.
 */
export interface OpenOptions {
  owner?: boolean;
}

export async function openEventStore(
  config: Config,
  logger: Pick<Logger, 'warn'>,
  { owner = false }: OpenOptions = {},
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
    if (owner && config.readStore.kind === 'sqlite') dropReadModelsOfOneFileLayout(db, logger);
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
        projectionCatalogue(
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
      projectionCatalogue(
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
  options: OpenOptions = {},
): Promise<Backends> {
  const events = await openEventStore(config, logger, options);
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
