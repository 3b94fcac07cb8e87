import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { startServer, type RunningServer } from './composition-root';
import { startFailureMessage } from './start-failure';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee the configuration table in docs/operations.md.\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Signals are ours from the start: one that comes while the server starts stops it as soon as it is up.
  let stopRequested: string | null = null;
  let server: RunningServer | null = null;
  const shutdown = (signal: string): void => {
    if (stopRequested !== null) return;
    stopRequested = signal;
    if (server !== null) stop(server, signal);
  };
  const stop = (running: RunningServer, signal: string): void => {
    logger.info('shutting down', { signal });
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    server = await startServer(config, logger);
  } catch (error) {
    process.stderr.write(`${startFailureMessage(error, config)}\n`);
    process.exit(1);
  }
  if (stopRequested !== null) {
    stop(server, stopRequested);
    return;
  }
  if (server.firstAdminKey !== null) {
    process.stdout.write(
      [
        'energy-billing: first start, so an admin API key was created. It is shown only this once (only its hash',
        'is stored); keep it, send it as "Authorization: Bearer <key>", and make other keys with createApiKey:',
        `  ${server.firstAdminKey}`,
        '',
      ].join('\n'),
    );
  }
  process.stdout.write(`energy-billing ready at ${server.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`energy-billing failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
