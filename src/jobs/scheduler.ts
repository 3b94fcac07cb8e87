import Bree from 'bree';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { CONFIG_ENV, type ScrapeRunReport } from './scrape-prices';

export interface Scheduler {
  stop(): Promise<void>;
}

interface WorkerMessage {
  type?: string;
  report?: ScrapeRunReport;
  error?: string;
  /** A warning of the worker's own adapters (`type: 'log'`), logged by the server. */
  message?: string;
  fields?: Record<string, unknown>;
}

/** Told of every run: the report of a run that got to the days, or null when the run failed before them. */
export type ScrapeRunListener = (report: ScrapeRunReport | null) => void;

/**
 * Runs `scrape-prices` on PRICE_SCRAPE_CRON in BILLING_TZ, in a worker thread. Bree never starts a run
 * while the previous one is still going; a failed run is logged with its days and source and never
 * touches the server.
 */
export async function startPriceScheduler(
  config: Config,
  logger: Logger,
  /** The job's module (the composition root's `app/scrape-prices-job`) and the node arguments it needs. */
  entry: { path: string; execArgv: string[] },
  onRun: ScrapeRunListener = () => undefined,
): Promise<Scheduler> {
  const bree = new Bree({
    root: false,
    logger: false,
    jobs: [
      {
        name: 'scrape-prices',
        path: entry.path,
        cron: config.priceScrapeCron,
        hasSeconds: config.priceScrapeCron.trim().split(/\s+/).length === 6,
        timezone: config.billingTimeZone,
        worker: {
          // The worker uses the server's validated config, not whatever its environment says.
          env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
          // Compiled, the job inherits the server's node arguments, as it always did.
          ...(entry.execArgv.length > 0 ? { execArgv: entry.execArgv } : {}),
        },
      },
    ],
    workerMessageHandler: (data) => {
      const message = data.message as WorkerMessage;
      if (message.type === 'scrape-report' && message.report) {
        for (const failure of message.report.failures) logger.error('price scrape failed', { ...failure });
        logger.info('price scrape run', { results: message.report.results });
        onRun(message.report);
      } else if (message.type === 'log' && message.message !== undefined) {
        logger.warn(message.message, { job: 'scrape-prices', ...message.fields });
      } else if (message.type === 'scrape-error') {
        logger.error('price scrape run failed', { error: message.error });
        onRun(null);
      }
    },
    errorHandler: (error: unknown, data: { name: string }) => {
      logger.error('price scrape worker ended with an error', {
        job: data.name,
        error: error instanceof Error ? error.message : String(error),
      });
    },
  });
  await bree.start();
  logger.info('price scrape scheduled', { cron: config.priceScrapeCron, timeZone: config.billingTimeZone });
  return { stop: () => bree.stop() };
}
