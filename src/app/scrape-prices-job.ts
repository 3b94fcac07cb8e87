/**
 * The `scrape-prices` job's entry. Bree runs this file in a worker thread: it opens its own connection to
 * the configured event store (with the builder the server uses), fetches the next delivery day and
 * re-checks the last PRICE_RECHECK_DAYS days, publishes what changed, and exits non-zero when any day
 * failed (Bree then logs the failed run).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type Config } from '../config';
import { localDateOf, scrapeDates } from '../domain/billing/calendar';
import { ZonedClock } from '../domain/time/zoned-time';
import { CONFIG_ENV, runScrape } from '../jobs/scrape-prices';
import { scrapeServiceFor } from '../pricing/scrape-service';
import { openEventStore } from './backends';

async function main(): Promise<void> {
  const handed = process.env[CONFIG_ENV];
  const config = handed === undefined ? loadConfig() : (JSON.parse(handed) as Config);
  const clock = new ZonedClock(config.billingTimeZone);
  const warn = (message: string, fields?: Record<string, unknown>): void =>
    void parentPort?.postMessage({ type: 'log', message, fields });
  const { eventStore, close } = await openEventStore(config, { warn });
  try {
    const service = scrapeServiceFor(config, clock, eventStore);
    const today = localDateOf(clock, Date.now());
    const report = await runScrape(service, config.priceSource, scrapeDates(today, config.priceRecheckDays));
    parentPort?.postMessage({ type: 'scrape-report', report });
    if (report.failures.length > 0) process.exitCode = 1;
  } finally {
    await close();
  }
}

// Run only as Bree's worker (or `node` on this file).
const startedByBree = (workerData as { job?: unknown } | null)?.job !== undefined;
if (require.main === module || startedByBree) {
  main().catch((error: unknown) => {
    parentPort?.postMessage({ type: 'scrape-error', error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  });
}
