/**
 * The application services the API serves, built over the opened backends and the projection side.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ApiKeyService } from '../access/api-key-service';
import type { Config } from '../config';
import { UploadService } from '../ingestion/upload-service';
import { prepareSpoolDir } from '../ingestion/spool';
import type { ValidationWorkers } from '../ingestion/validation-workers';
import { InvoicingService } from '../invoicing/invoicing-service';
import type { Logger } from '../logger';
import type { ServiceMetrics } from '../observability/metrics';
import type { ConsistencyWaiter } from '../ports/consistency';
import { PriceImportService } from '../pricing/price-import-service';
import { PricePublisher } from '../pricing/price-publisher';
import { scrapeServiceFor } from '../pricing/scrape-service';
import { CheckpointWaiter } from '../projections/checkpoint-waiter';
import { ProjectorNotHereError } from '../projections/leased-projector';
import { SERVICE_STREAM_PREFIXES } from '../projections/stream-prefixes';
import type { Services } from '../resolvers/context';
import type { WebhookSecrets } from '../webhooks/secrets';
import { ChannelUsage } from '../usage/channel-usage';
import { WebhookService } from '../webhooks/webhook-service';
import type { BillingRules } from '../projections/billing/rules';
import type { Backends } from './backends';
import type { ProjectionSide } from './projector';

/**
 * Read-your-writes: from the running projections when this process holds the projector lease, else
 * from the checkpoints the projector stored.
 */
export function consistencyWaiter(backends: Backends, side: ProjectionSide): ConsistencyWaiter {
  const { eventStore, readStore } = backends;
  const { projections, projector } = side;
  const checkpointWaiter = new CheckpointWaiter(eventStore, readStore.checkpoints, side.names, SERVICE_STREAM_PREFIXES);
  return {
    waitForPosition: async (position, timeoutMs) => {
      // A position in a stream no projection reads (keys, file claims, webhook deliveries) is reached
      // once every projected event before it is: the wait is for the last of those, if any.
      const target =
        position === null
          ? null
          : await eventStore.headPosition({ streamPrefixes: SERVICE_STREAM_PREFIXES, atOrBefore: position });
      if (position !== null && target === null) return true;
      return projector?.isLeader === true
        ? projections.waitForPosition(target, timeoutMs)
        : checkpointWaiter.waitForPosition(target, timeoutMs);
    },
  };
}

export interface ServiceParts {
  backends: Backends;
  rules: BillingRules;
  side: ProjectionSide;
  consistency: ConsistencyWaiter;
  webhookSecrets: WebhookSecrets;
  validationWorkers: ValidationWorkers | null;
  metrics: ServiceMetrics;
}

export function composeServices(config: Config, logger: Logger, parts: ServiceParts): Services {
  const { backends, side, consistency, webhookSecrets, validationWorkers, metrics } = parts;
  const { eventStore, readStore } = backends;
  const { clock } = parts.rules;
  const now = () => new Date();
  const publisher = new PricePublisher(eventStore, now);
  const spoolDir = join(config.dataDir, 'incoming');
  prepareSpoolDir(spoolDir);
  return {
    eventStore,
    uploadQueries: readStore.uploadQueries,
    consistency,
    billing: readStore.billing,
    channelUsage: new ChannelUsage(readStore.billing),
    billingSettings: { clock, market: config.priceArea },
    accountQueries: readStore.accounts,
    invoicing: new InvoicingService(
      eventStore,
      readStore.accounts,
      readStore.billing,
      consistency,
      { clock, market: config.priceArea, streamPrefixes: SERVICE_STREAM_PREFIXES },
      now,
    ),
    webhooks: new WebhookService(
      eventStore,
      { allowPrivate: config.webhookAllowPrivate, secrets: webhookSecrets },
      now,
      side.pendingDeliveries,
    ),
    now,
    streamPrefixes: SERVICE_STREAM_PREFIXES,
    uploadWatchStartMs: config.uploadWatchStartMs,
    access: new ApiKeyService(
      eventStore,
      { auth: config.auth, adminToken: config.adminToken, viewerToken: config.viewerToken },
      now,
    ),
    projections: {
      rebuild: (names) =>
        side.projector?.isLeader === true
          ? side.projections.rebuild(names)
          : Promise.reject(new ProjectorNotHereError(config.role)),
    },
    priceImport: new PriceImportService({ eventStore, publisher, clock, market: config.priceArea }),
    priceScrape: scrapeServiceFor(config, clock, eventStore, publisher),
    uploads: new UploadService({
      eventStore,
      uploads: readStore.uploadQueries,
      clock,
      rules: { resolutionMinutes: config.readingResolutionMinutes, maxKwhPerReading: config.maxKwhPerReading },
      spoolDir,
      maxUploadBytes: config.maxUploadBytes,
      maxLineBytes: config.maxLineBytes,
      uploadIdleMs: config.uploadIdleTimeoutMs,
      now,
      newId: randomUUID,
      singleWriter: config.eventStore.kind === 'sqlite',
      validateFile: validationWorkers?.validate,
      maxConcurrentUploads: config.maxConcurrentUploads,
      maxListedRejectedRows: config.maxListedRejectedRows,
      log: (m, f) => logger.warn(m, f),
      onFinished: (receipt) => metrics.uploadFinished(receipt),
    }),
  };
}
