/**
 * npm run replay -- [NAME...]
 * Rebuilds the named projections (all when none is named) from position zero into fresh tables or
 * collections and swaps them in, on the configured backends. It takes the projector lease first, so it
 * refuses to run while a server projects; on a running server use the replayProjections mutation. On
 * the embedded backends it owns DATA_DIR while it runs, as a server does: it refuses beside a server,
 * and a server refuses to start beside it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, loadConfig, type Config } from '../src/config';
import { createLogger, type Logger } from '../src/logger';
import { ZonedClock } from '../src/domain/time/zoned-time';
import { openBackends } from '../src/app/backends';
import { DataDirError, prepareDataDir } from '../src/infrastructure/data-dir';
import { takeDataDirLock } from '../src/infrastructure/sqlite/data-dir-lock';
import { LeaseFence } from '../src/projections/leased-projector';
import { ProjectionRunner } from '../src/projections/runner';
import { SERVICE_STREAM_PREFIXES } from '../src/projections/stream-prefixes';

/** Long enough for a big replay; released at the end, and it runs out by itself if this process dies. */
const REPLAY_LEASE_MS = 6 * 3_600_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const embedded = config.eventStore.kind === 'sqlite' || config.readStore.kind === 'sqlite';
  if (embedded) prepareDataDir(config.dataDir);
  const owned = embedded ? takeDataDirLock(config.dataDir, 'replay') : null;
  try {
    await replay(config, logger, owned !== null);
  } finally {
    owned?.release();
  }
}

async function replay(config: Config, logger: Logger, owner: boolean): Promise<void> {
  const backends = await openBackends(config, logger, 'queries', { owner });
  const holder = `${hostname()}:${process.pid}:replay-${randomUUID().slice(0, 8)}`;
  const { lease } = backends.readStore;
  try {
    const token = await lease.tryAcquire(holder, REPLAY_LEASE_MS, Date.now());
    if (token === null) {
      throw new Error(
        'a running server holds the projector lease: use the replayProjections mutation on it, or stop it first',
      );
    }
    const runner = new ProjectionRunner(
      backends.eventStore,
      backends.readStore.projectionDefinitions(
        {
          clock: new ZonedClock(config.billingTimeZone),
          resolutionMinutes: config.readingResolutionMinutes,
          market: config.priceArea,
        },
        new LeaseFence({ holder, token }),
      ),
      backends.readStore.versions,
      logger,
      { streamPrefixes: SERVICE_STREAM_PREFIXES },
    );
    const names = process.argv.slice(2);
    const report = await runner.rebuildOffline(names.length > 0 ? names : runner.names);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await lease.release(holder).catch(() => undefined);
    await backends.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `replay failed: ${error instanceof ConfigError || error instanceof DataDirError ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
