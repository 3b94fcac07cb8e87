/**
 * The `scrape-prices` job. Bree runs this file in a worker thread: it opens its own connection to the
 * configured event store, fetches the next delivery day and re-checks the last PRICE_RECHECK_DAYS days,
 * publishes what changed, and exits non-zero when any day failed (Bree then logs the failed run).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type Config } from '../config';
import { localDateOf, scrapeDates } from '../domain/billing/calendar';
import { ZonedClock } from '../domain/time/zoned-time';
import { openEventStore } from '../infrastructure/backends';
import { scrapeServiceFor, type PriceScrapeService, type ScrapeResult } from '../pricing/scrape-service';

/** Environment variable through which the scheduler hands the worker its validated config. */
export const CONFIG_ENV = 'ENERGY_BILLING_CONFIG_JSON';

export interface ScrapeRunReport {
  results: ScrapeResult[];
  failures: Array<{ date: string; source: string; error: string }>;
}

/** Scrapes the given days, one failure not stopping the others. */
export async function runScrape(service: PriceScrapeService, source: string, dates: readonly string[]) {
  const report: ScrapeRunReport = { results: [], failures: [] };
  for (const date of dates) {
    try {
      report.results.push(await service.scrapeDay(date));
    } catch (error) {
      report.failures.push({ date, source, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}

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

// Run only as Bree's worker (or `node` on this file), not when imported by the scheduler or the CLI.
const startedByBree = (workerData as { job?: unknown } | null)?.job !== undefined;
if (require.main === module || startedByBree) {
  main().catch((error: unknown) => {
    parentPort?.postMessage({ type: 'scrape-error', error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  });
}
