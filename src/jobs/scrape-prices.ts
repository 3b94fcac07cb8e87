/**
 * What one run of the `scrape-prices` job does and reports (its entry, which Bree starts in a worker
 * thread, is `app/scrape-prices-job.ts`).
 */
import type { PriceScrapeService, ScrapeResult } from '../pricing/scrape-service';

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
