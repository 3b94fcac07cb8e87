/**
 * npm run replay -- [NAME...]
 * Rebuilds the named projections (all when none is named) from position zero into fresh tables and
 * swaps them in. For a stopped server; on a running one use the replayProjections mutation instead.
 */
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { ZonedClock } from '../src/domain/time/zoned-time';
import { openSqliteDatabase } from '../src/infrastructure/sqlite/database';
import { SqliteProjectionVersions } from '../src/infrastructure/sqlite/sqlite-checkpoints';
import { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store';
import { ProjectionRunner } from '../src/projections/runner';
import { sqliteProjectionDefinitions } from '../src/server';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openSqliteDatabase(join(config.dataDir, 'energy-billing.sqlite'));
  const eventStore = new SqliteEventStore(db);
  const runner = new ProjectionRunner(
    eventStore,
    sqliteProjectionDefinitions(db, {
      clock: new ZonedClock(config.billingTimeZone),
      resolutionMinutes: config.readingResolutionMinutes,
      market: config.priceArea,
    }),
    new SqliteProjectionVersions(db),
    createLogger(config.logLevel),
  );
  const names = process.argv.slice(2);
  const report = await runner.rebuildOffline(names.length > 0 ? names : runner.names);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await eventStore.close();
  db.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`replay failed: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
