import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import express from 'express';
import type { Config } from '../config';
import { mountGraphQL } from '../graphql/http-endpoint';
import { QueryBudget } from '../graphql/query-budget';
import { GRAPHQL_PATH } from '../graphql/websocket';
import { consoleDirectory, consoleRouter } from '../http/console';
import { exportsRouter } from '../http/exports';
import { jsonClientError, jsonErrors, securityHeaders, unknownRoutes } from '../http/hardening';
import { healthRoutes } from '../http/health';
import { invoiceDocumentRouter } from '../http/invoice-document';
import { ValidationWorkers } from '../ingestion/validation-workers';
import type { Logger } from '../logger';
import { ServiceMetrics } from '../observability/metrics';
import { prepareDataDir } from '../infrastructure/data-dir';
import { takeDataDirLock, type DataDirLock } from '../infrastructure/sqlite/data-dir-lock';
import { projectionProgress } from '../projections/progress';
import type { ProjectionEngine } from '../projections/runner';
import { SERVICE_STREAM_PREFIXES } from '../projections/stream-prefixes';
import type { GraphQLContext, Services } from '../resolvers/context';
import { openWebhookSecrets } from '../webhooks/secrets';
import { billingRulesOf, damageNamed, openBackends, type Backends } from './backends';
import { composeProjectionSide } from './projector';
import { composeServices, consistencyWaiter } from './services';

export interface RunningServer {
  url: string;
  port: number;
  /** Null in ROLE=projector, which serves no GraphQL. */
  services: Services | null;
  /** The admin key made on the first start (no key, no token yet): to be shown once. */
  firstAdminKey: string | null;
  projections: ProjectionEngine;
  metrics: ServiceMetrics;
  stop(): Promise<void>;
}

/**
 * The composition root: builds every adapter and service from the validated config, then serves.
 * ROLE=api serves GraphQL; ROLE=projector runs the projections and the price schedule while it holds the
 * projector lease; ROLE=all (the default) does both. Every role serves /healthz, /readyz and /metrics.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // Both backends keep landed uploads in DATA_DIR; the embedded one its database too.
  prepareDataDir(config.dataDir);
  // Before anything reads or repairs what is there: the start-up repairs below (unfinished uploads
  // marked INTERRUPTED, their claims freed, landed files cleared) are right only for the directory's one owner.
  const lock = takeDataDirLock(config.dataDir, 'server');
  let backends: Backends;
  try {
    backends = await openBackends(config, logger, 'queries', { owner: true });
  } catch (error) {
    lock.release();
    throw damageNamed(error, config);
  }
  try {
    return await serve(config, logger, backends, lock);
  } catch (error) {
    await backends.close().catch(() => undefined);
    lock.release();
    throw damageNamed(error, config);
  }
}

async function serve(config: Config, logger: Logger, backends: Backends, lock: DataDirLock): Promise<RunningServer> {
  const { eventStore, readStore } = backends;
  const rules = billingRulesOf(config);
  const webhookSecrets = await openWebhookSecrets(
    { key: config.webhookSecretKey, keyFile: config.webhookSecretKeyFile },
    eventStore,
  );
  let metrics: ServiceMetrics | null = null;
  const side = composeProjectionSide(config, logger, backends, rules, webhookSecrets, (report) =>
    metrics?.scrapeRun(report),
  );
  const { projections, projector } = side;
  const progress = () =>
    projectionProgress(eventStore, readStore.checkpoints, side.names, SERVICE_STREAM_PREFIXES, Date.now());
  metrics = new ServiceMetrics({ role: config.role, progress });
  await projector?.start();

  const app = express();
  app.disable('x-powered-by');
  // The client's address (req.ip) is the peer's own unless proxies in front are configured.
  app.set('trust proxy', config.trustProxyHops);
  app.use(securityHeaders);
  const httpServer: Server = createHttpServer(app);
  httpServer.on('clientError', jsonClientError);
  healthRoutes(app, {
    role: config.role,
    maxLagSeconds: config.readyMaxLagSeconds,
    backends: backends.health,
    projector,
    projections,
    progress,
    metrics,
    mayReadDetails: async (authorization) =>
      config.auth === 'off' || (services !== null && (await services.access.authenticate(authorization)).role !== null),
  });

  const notServed = unknownRoutes(['/healthz', '/readyz', '/metrics', '/exports', '/invoices']);
  let services: Services | null = null;
  let apollo: ApolloServer<GraphQLContext> | null = null;
  let validationWorkers: ValidationWorkers | null = null;
  let firstAdminKey: string | null = null;
  try {
    if (config.role !== 'projector') {
      validationWorkers =
        config.validationWorkers > 0
          ? new ValidationWorkers(
              config.validationWorkers,
              (m, f) => logger.error(m, f),
              // One thread per upload in progress at most: a file never waits behind another.
              Math.max(config.validationWorkers, config.maxConcurrentUploads),
            )
          : null;
      const consistency = consistencyWaiter(backends, side);
      services = composeServices(config, logger, {
        backends,
        rules,
        side,
        consistency,
        webhookSecrets,
        validationWorkers,
        metrics,
      });
      if (config.eventStore.kind === 'sqlite') {
        // This process owns DATA_DIR and with it the embedded log (the lock above), so an upload still
        // unfinished now was cut off by a stop.
        await consistency.waitForPosition(null, 10_000);
        const interrupted = await services.uploads.interruptUnfinishedUploads();
        if (interrupted.length > 0)
          logger.warn('uploads cut off by the last stop marked INTERRUPTED', { uploads: interrupted });
      }
      if (config.auth === 'off') {
        logger.warn('AUTH=off: every caller is an admin, with no key; use this for local development only');
      }
      const { billing, access, accountQueries: accounts } = services;
      // One budget per caller for its queries and its exports alike.
      const queryBudget = new QueryBudget({ perSecond: config.queryCostPerSecond, burst: config.queryCostBurst });
      // A router answers OPTIONS on its own paths itself, as text: refused as JSON like any method not served.
      app.use((req, res, next) =>
        req.method === 'OPTIONS' && ['/exports', '/invoices'].some((p) => req.path.startsWith(`${p}/`))
          ? notServed(req, res)
          : next(),
      );
      app.use('/exports', exportsRouter({ billing, access, queryBudget }));
      app.use('/invoices', invoiceDocumentRouter({ accounts, billing, access, clock: rules.clock }));
      apollo = await mountGraphQL(app, httpServer, config, logger, services, queryBudget);
      app.use('/', consoleRouter(consoleDirectory()));
    }
    app.use(notServed);
    app.use(jsonErrors((m, f) => logger.error(m, f)));

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    // The first admin key is made only once the port is ours: a start that cannot listen makes no key
    // that nobody is shown (the next start would find it and print none).
    if (services !== null) {
      const first = await services.access.bootstrap();
      if (first !== null) {
        firstAdminKey = first.key;
        logger.warn('created the first admin API key (only its hash is stored); it is printed once on stdout', {
          keyId: first.doc.keyId,
        });
      }
    }
  } catch (error) {
    // A start that fails half-way (a port in use, a backend gone) leaves no thread or lease behind.
    await apollo?.stop().catch(() => undefined);
    await validationWorkers?.close().catch(() => undefined);
    await projector?.stop().catch(() => undefined);
    if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const url = config.role === 'projector' ? `http://${host}:${port}/readyz` : `http://${host}:${port}${GRAPHQL_PATH}`;
  logger.info(config.role === 'projector' ? 'projector serving health and metrics' : 'serving GraphQL', {
    url,
    role: config.role,
    eventStore: config.eventStore.kind,
    readStore: config.readStore.kind,
    dataDir: config.dataDir,
    auth: config.auth === 'off' ? 'off (AUTH=off)' : 'on',
  });

  let stopped = false;
  return {
    url,
    port,
    services,
    firstAdminKey,
    projections,
    metrics,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        if (apollo !== null) await apollo.stop();
        else await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await projector?.stop();
        await validationWorkers?.close();
        await backends.close();
      } finally {
        lock.release();
      }
    },
  };
}
