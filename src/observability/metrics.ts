import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/*
 * What the metrics count, in their own words: the services and the job report to them, and none of them
 * is a dependency of this file.
 */
/** A finished upload: how it ended and how many rows it accepted and rejected. */
export interface UploadOutcome {
  status: string;
  acceptedRows: number;
  rejectedRows: number;
}

/** One scraped day: how many price points it had, whether the day was whole, and whether it was new. */
interface ScrapedDay {
  points: number;
  complete: boolean;
  appended: boolean;
}

/** A run of the scheduled scrape: its days, and those that failed. */
export interface ScrapeRunOutcome {
  results: readonly ScrapedDay[];
  failures: readonly unknown[];
}

/** A projection's progress as the metrics see it: its checkpoint and the age of its oldest unseen event. */
export interface ProjectionProgress {
  name: string;
  /** Seconds since the oldest event the projection has not handled yet was appended; 0 when caught up. */
  lagSeconds: number;
}

/** The outcome label of a scraped day. */
function scrapeOutcome(result: ScrapedDay): string {
  if (result.points === 0) return 'missing';
  if (!result.appended) return 'unchanged';
  return result.complete ? 'published' : 'published_partial';
}

/**
 * The service's Prometheus metrics, in a registry of their own (no global state). Counters count what
 * this process did; the projection gauges are read from the stores when scraped, so every role shows them.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly uploads: Counter<'status'>;
  private readonly rowsAccepted: Counter;
  private readonly rowsRejected: Counter;
  private readonly scrapeDays: Counter<'outcome'>;
  private readonly scrapeRuns: Counter<'result'>;

  constructor(options: { role: string; progress: () => Promise<ProjectionProgress[]> }) {
    this.registry.setDefaultLabels({ role: options.role });
    collectDefaultMetrics({ register: this.registry, prefix: 'energy_billing_' });
    this.uploads = new Counter({
      name: 'energy_billing_uploads_total',
      help: 'Finished readings uploads, by final status',
      labelNames: ['status'],
      registers: [this.registry],
    });
    this.rowsAccepted = new Counter({
      name: 'energy_billing_rows_accepted_total',
      help: 'Readings rows accepted from uploads',
      registers: [this.registry],
    });
    this.rowsRejected = new Counter({
      name: 'energy_billing_rows_rejected_total',
      help: 'Readings rows rejected from uploads, kept with their reasons',
      registers: [this.registry],
    });
    this.scrapeDays = new Counter({
      name: 'energy_billing_price_scrape_days_total',
      help: 'Delivery days handled by the price scrape, by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.scrapeRuns = new Counter({
      name: 'energy_billing_price_scrape_runs_total',
      help: 'Runs of the scheduled price scrape, by result (ok: every day handled; failed: some day failed)',
      labelNames: ['result'],
      registers: [this.registry],
    });
    const progress = options.progress;
    new Gauge({
      name: 'energy_billing_projection_lag_seconds',
      help: 'Age of the oldest event a projection has not handled yet (0 when caught up)',
      labelNames: ['projection'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const p of await progress()) this.set({ projection: p.name }, p.lagSeconds);
      },
    });
  }

  uploadFinished(receipt: UploadOutcome): void {
    this.uploads.inc({ status: receipt.status });
    this.rowsAccepted.inc(receipt.acceptedRows);
    this.rowsRejected.inc(receipt.rejectedRows);
  }

  /** A run of the scheduled scrape: its report, or null when it failed before reaching the days. */
  scrapeRun(report: ScrapeRunOutcome | null): void {
    for (const result of report?.results ?? []) this.scrapeDays.inc({ outcome: scrapeOutcome(result) });
    const failedDays = report?.failures.length ?? 0;
    if (failedDays > 0) this.scrapeDays.inc({ outcome: 'failed' }, failedDays);
    this.scrapeRuns.inc({ result: report === null || failedDays > 0 ? 'failed' : 'ok' });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
