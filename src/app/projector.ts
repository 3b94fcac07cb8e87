/**
 * The projection side of a process: the projections (in their own thread by default), and, while this
 * process holds the projector lease, the price schedule and the webhook deliveries beside them.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { workerEntry } from '../common/worker-entry';
import type { Config } from '../config';
import { startPriceScheduler, type ScrapeRunListener, type Scheduler } from '../jobs/scheduler';
import type { Logger } from '../logger';
import { LeaseFence, LeasedProjector } from '../projections/leased-projector';
import { ProjectorThread } from '../projections/projector-thread';
import { ProjectionRunner, type ProjectionEngine } from '../projections/runner';
import { SERVICE_STREAM_PREFIXES } from '../projections/stream-prefixes';
import { WebhookDispatcher } from '../webhooks/dispatcher';
import type { WebhookSecrets } from '../webhooks/secrets';
import type { BillingRules } from '../projections/billing/rules';
import type { Backends } from './backends';

export interface ProjectionSide {
  projections: ProjectionEngine;
  /** Null in ROLE=api, which never projects. */
  projector: LeasedProjector | null;
  names: string[];
  /** Deliveries still owed to a webhook, known while this process delivers them. */
  pendingDeliveries(webhookId: string): ReturnType<WebhookDispatcher['pending']> | null;
}

export function composeProjectionSide(
  config: Config,
  logger: Logger,
  backends: Backends,
  rules: BillingRules,
  webhookSecrets: WebhookSecrets,
  onScrapeRun: ScrapeRunListener,
): ProjectionSide {
  const { eventStore, readStore } = backends;
  // Every projection write is fenced with the lease this process holds (none in an API-only process).
  const fence = new LeaseFence();
  const definitions = readStore.projectionDefinitions(rules, fence);
  const names = definitions.map((d) => d.name);
  // In their own thread by default, with their own connections: billing never holds this event loop.
  const projections: ProjectionEngine = config.projectorThread
    ? new ProjectorThread({
        entry: workerEntry(__dirname, 'projector-worker'),
        config,
        eventStore,
        appendSignal: backends.appendSignal,
        fence,
        names,
        streamPrefixes: SERVICE_STREAM_PREFIXES,
        log: logger,
      })
    : new ProjectionRunner(eventStore, definitions, readStore.versions, logger, {
        streamPrefixes: SERVICE_STREAM_PREFIXES,
      });

  let scheduler: Scheduler | null = null;
  // Webhook deliveries run beside the projections, in the one process holding the lease.
  let dispatcher: WebhookDispatcher | null = null;
  const projector =
    config.role === 'api'
      ? null
      : new LeasedProjector(
          projections instanceof ProjectorThread ? projections.leaseThrough(readStore.lease) : readStore.lease,
          {
            start: async () => {
              await projections.start();
              if (config.priceScrape) {
                const job = workerEntry(__dirname, 'scrape-prices-job');
                scheduler = await startPriceScheduler(config, logger, job, onScrapeRun);
              }
              dispatcher = new WebhookDispatcher(
                eventStore,
                {
                  secrets: webhookSecrets,
                  allowPrivate: config.webhookAllowPrivate,
                  timeoutMs: config.webhookTimeoutMs,
                  concurrency: config.webhookConcurrency,
                  pageSize: config.webhookPageSize,
                  now: () => Date.now(),
                },
                logger,
              );
              await dispatcher.start();
            },
            stop: async () => {
              await dispatcher?.stop();
              dispatcher = null;
              await scheduler?.stop();
              scheduler = null;
              await projections.stop();
            },
          },
          { holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ttlMs: config.projectorLeaseMs },
          logger,
          fence,
        );
  return {
    projections,
    projector,
    names,
    pendingDeliveries: (webhookId) => dispatcher?.pending(webhookId) ?? null,
  };
}
