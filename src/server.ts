import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Config } from './config';
import { ApiKeyService } from './access/api-key-service';
import { createErrorFormatter } from './graphql/errors';
import { apolloProtection, GRAPHQL_LIMITS } from './graphql/limits';
import { mutationRateLimit } from './graphql/mutation-rate-limit';
import { QueryBudget, queryBudgetPlugin } from './graphql/query-budget';
import { GRAPHQL_PATH, mountGraphQLWebSocket } from './graphql/websocket';
import { buildGraphQLSchema } from './graphql/schema';
import { billingRulesOf, openBackends, type Backends, type HealthCheck } from './infrastructure/backends';
import { prepareDataDir } from './infrastructure/data-dir';
import { exportsRouter } from './http/exports';
import { consoleDirectory, consoleRouter } from './http/console';
import { invoiceDocumentRouter } from './http/invoice-document';
import {
  guardMultipartParser,
  jsonErrors,
  refuseLongDocuments,
  securityHeaders,
  unreadRequestErrors,
} from './http/hardening';
import { PriceImportService } from './pricing/price-import-service';
import { PricePublisher } from './pricing/price-publisher';
import { scrapeServiceFor } from './pricing/scrape-service';
import { UploadService } from './ingestion/upload-service';
import { startPriceScheduler, type Scheduler } from './jobs/scheduler';
import type { Logger } from './logger';
import { ProjectionRunner, type ProjectionEngine, type ProjectionStatus } from './projections/runner';
import { ProjectorThread } from './projections/projector-thread';
import { CheckpointWaiter } from './projections/checkpoint-waiter';
import { LeaseFence, LeasedProjector, ProjectorNotHereError } from './projections/leased-projector';
import { ValidationWorkers } from './ingestion/validation-workers';
import { projectionProgress } from './projections/progress';
import { SERVICE_STREAM_PREFIXES } from './projections/stream-prefixes';
import { InvoicingService } from './invoicing/invoicing-service';
import { WebhookDispatcher } from './webhooks/dispatcher';
import { WebhookService } from './webhooks/webhook-service';
import { loadWebhookSecrets } from './webhooks/secrets';
import { ServiceMetrics } from './observability/metrics';
import type { ConsistencyWaiter } from './ports/consistency';
import type { GraphQLContext, Services } from './resolvers/context';

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

/** How long a readiness probe waits for each backend. */
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * The composition root: builds every adapter and service from the validated config, then serves.
 * ROLE=api serves GraphQL; ROLE=projector runs the projections and the price schedule while it holds the
 * projector lease; ROLE=all (the default) does both. Every role serves /healthz, /readyz and /metrics.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // Both backends keep landed uploads in DATA_DIR; the embedded one its database too.
  prepareDataDir(config.dataDir);
  const backends = await openBackends(config, logger);
  try {
    return await serve(config, logger, backends);
  } catch (error) {
    await backends.close().catch(() => undefined);
    throw error;
  }
}

async function serve(config: Config, logger: Logger, backends: Backends): Promise<RunningServer> {
  const { eventStore, readStore } = backends;
  const rules = billingRulesOf(config);
  const { clock } = rules;
  // Every projection write is fenced with the lease this process holds (none in an API-only process).
  const fence = new LeaseFence();
  const definitions = readStore.projectionDefinitions(rules, fence);
  const projectionNames = definitions.map((d) => d.name);
  // In their own thread by default, with their own connections: billing never holds this event loop.
  const projections: ProjectionEngine = config.projectorThread
    ? new ProjectorThread({
        config,
        eventStore,
        appendSignal: backends.appendSignal,
        fence,
        names: projectionNames,
        streamPrefixes: SERVICE_STREAM_PREFIXES,
        log: logger,
      })
    : new ProjectionRunner(eventStore, definitions, readStore.versions, logger, {
        streamPrefixes: SERVICE_STREAM_PREFIXES,
      });
  const metrics = new ServiceMetrics({
    role: config.role,
    progress: () =>
      projectionProgress(eventStore, readStore.checkpoints, projectionNames, SERVICE_STREAM_PREFIXES, Date.now()),
  });

  let scheduler: Scheduler | null = null;
  // Webhook deliveries run beside the projections, in the one process holding the lease.
  let dispatcher: WebhookDispatcher | null = null;
  const webhookSecrets = loadWebhookSecrets({ key: config.webhookSecretKey, keyFile: config.webhookSecretKeyFile });
  const newDispatcher = () =>
    new WebhookDispatcher(
      eventStore,
      {
        secrets: webhookSecrets,
        allowPrivate: config.webhookAllowPrivate,
        timeoutMs: config.webhookTimeoutMs,
        concurrency: 4,
        now: () => Date.now(),
      },
      logger,
    );
  const projector =
    config.role === 'api'
      ? null
      : new LeasedProjector(
          projections instanceof ProjectorThread ? projections.leaseThrough(readStore.lease) : readStore.lease,
          {
            start: async () => {
              await projections.start();
              if (config.priceScrape) {
                scheduler = await startPriceScheduler(config, logger, (report) => metrics.scrapeRun(report));
              }
              dispatcher = newDispatcher();
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
  await projector?.start();

  // Read-your-writes: from the runner when this process runs the projections, else from the stored checkpoints.
  const checkpointWaiter = new CheckpointWaiter(
    eventStore,
    readStore.checkpoints,
    projectionNames,
    SERVICE_STREAM_PREFIXES,
  );
  const consistency: ConsistencyWaiter = {
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

  const app = express();
  app.disable('x-powered-by');
  // The client's address (req.ip) is the peer's own unless proxies in front are configured.
  app.set('trust proxy', config.trustProxyHops);
  app.use(securityHeaders);
  const httpServer: Server = createHttpServer(app);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', role: config.role });
  });
  app.get('/readyz', (_req, res) => {
    const progress = () =>
      projectionProgress(eventStore, readStore.checkpoints, projectionNames, SERVICE_STREAM_PREFIXES, Date.now());
    void readiness(backends.health, projector, projections, progress, {
      role: config.role,
      maxLagSeconds: config.readyMaxLagSeconds,
    }).then((report) => {
      res.status(report.status === 'ready' ? 200 : 503).json({ ...report, role: config.role });
    });
  });
  app.get('/metrics', (_req, res) => {
    metrics.render().then(
      (text) => res.type(metrics.contentType).send(text),
      (error: unknown) =>
        res
          .status(503)
          .type('text/plain')
          .send(`metrics unavailable: ${String(error)}\n`),
    );
  });

  const publisher = new PricePublisher(eventStore, () => new Date());
  let services: Services | null = null;
  let apollo: ApolloServer<GraphQLContext> | null = null;
  let validationWorkers: ValidationWorkers | null = null;
  let firstAdminKey: string | null = null;
  try {
    if (config.role !== 'projector') {
      const spoolDir = join(config.dataDir, 'incoming');
      mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
      clearLeftovers(spoolDir);
      validationWorkers =
        config.validationWorkers > 0
          ? new ValidationWorkers(config.validationWorkers, (m, f) => logger.error(m, f))
          : null;
      services = {
        eventStore,
        uploadQueries: readStore.uploadQueries,
        consistency,
        billing: readStore.billing,
        billingSettings: { clock, market: config.priceArea },
        accountQueries: readStore.accounts,
        invoicing: new InvoicingService(
          eventStore,
          readStore.accounts,
          readStore.billing,
          consistency,
          { clock, market: config.priceArea, streamPrefixes: SERVICE_STREAM_PREFIXES },
          () => new Date(),
        ),
        webhooks: new WebhookService(
          eventStore,
          { allowPrivate: config.webhookAllowPrivate, secrets: webhookSecrets },
          () => new Date(),
          (webhookId) => dispatcher?.pending(webhookId) ?? null,
        ),
        now: () => new Date(),
        streamPrefixes: SERVICE_STREAM_PREFIXES,
        uploadWatchStartMs: config.uploadWatchStartMs,
        access: new ApiKeyService(
          eventStore,
          { auth: config.auth, adminToken: config.adminToken, viewerToken: config.viewerToken },
          () => new Date(),
        ),
        projections: {
          rebuild: (names) =>
            projector?.isLeader === true
              ? projections.rebuild(names)
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
          now: () => new Date(),
          newId: randomUUID,
          singleWriter: config.eventStore.kind === 'sqlite',
          validateFile: validationWorkers?.validate,
          maxConcurrentUploads: config.maxConcurrentUploads,
          log: (m, f) => logger.warn(m, f),
          onFinished: (receipt) => metrics.uploadFinished(receipt),
        }),
      };
      if (config.eventStore.kind === 'sqlite') {
        // One process owns the embedded log, so an upload still unfinished now was cut off by a stop.
        await consistency.waitForPosition(null, 10_000);
        const interrupted = await services.uploads.interruptUnfinishedUploads();
        if (interrupted.length > 0)
          logger.warn('uploads cut off by the last stop marked INTERRUPTED', { uploads: interrupted });
      }
      if (config.auth === 'off') {
        logger.warn('AUTH=off: every caller is an admin, with no key; use this for local development only');
      }
      app.use('/exports', exportsRouter({ billing: services.billing, access: services.access }));
      app.use(
        '/invoices',
        invoiceDocumentRouter({
          accounts: services.accountQueries,
          billing: services.billing,
          access: services.access,
          clock,
        }),
      );
      apollo = await mountGraphQL(app, httpServer, config, logger, services);
      app.use('/', consoleRouter(consoleDirectory()));
    }
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
      if (apollo !== null) await apollo.stop();
      else await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await projector?.stop();
      await validationWorkers?.close();
      await backends.close();
    },
  };
}

async function mountGraphQL(
  app: express.Express,
  httpServer: Server,
  config: Config,
  logger: Logger,
  services: Services,
): Promise<ApolloServer<GraphQLContext>> {
  const schema = await buildGraphQLSchema();
  // One budget per caller, whether its queries come over HTTP or WebSocket.
  const queryBudget = new QueryBudget({ perSecond: config.queryCostPerSecond, burst: config.queryCostBurst });
  const webSocket = mountGraphQLWebSocket({ httpServer, schema, config, logger, services, queryBudget });

  const armor = apolloProtection();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    validationRules: armor.validationRules,
    // Off unless configured, whatever NODE_ENV says: the schema is no map for anonymous callers.
    introspection: config.graphqlIntrospection,
    // main.ts owns the signals: Apollo's own handler would re-send SIGTERM and end the process before the
    // projector lease is released and the stores are closed.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((m, f) => logger.error(m, f)),
    plugins: [
      ...armor.plugins,
      mutationRateLimit(config.mutationsPerMinute),
      queryBudgetPlugin(queryBudget),
      // Apollo's landing page loads its sandbox from a CDN: served only where introspection is on.
      ...(config.graphqlIntrospection ? [] : [ApolloServerPluginLandingPageDisabled()]),
      // The schema gives no cache hints, and Apollo's cache-control plugin wraps every field's resolver to
      // look for them: about a quarter of a 350-invoice page's time (measured).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        serverWillStart: () =>
          Promise.resolve({
            drainServer: async () => {
              await webSocket.dispose();
            },
          }),
      },
    ],
  });
  await apollo.start();
  app.use(
    GRAPHQL_PATH,
    guardMultipartParser,
    graphqlUploadExpress({
      maxFileSize: config.maxUploadBytes,
      maxFiles: 1,
      maxFieldSize: GRAPHQL_LIMITS.multipartFieldBytes,
    }),
    express.json({ limit: GRAPHQL_LIMITS.jsonBodyBytes }),
    refuseLongDocuments,
    expressMiddleware(apollo, {
      context: async ({ req }) => ({
        ...(await services.access.authenticate(req.headers.authorization)),
        clientAddress: req.ip ?? 'unknown',
        services,
      }),
    }),
    unreadRequestErrors,
  );
  return apollo;
}

interface ReadinessReport {
  status: 'ready' | 'degraded';
  /** Why it is degraded, one line each. */
  problems: string[];
  backends: Array<{ name: string; ok: boolean; error?: string }>;
  projector: { leader: boolean } | null;
  projections: Array<ProjectionStatus & { lagSeconds: number | null }>;
}

/**
 * Ready when every backend answers and the projections this process is there to run are running: not
 * failing, not stalled (the oldest event a projection has not handled is at most `maxLagSeconds` old),
 * and, in ROLE=all, this process holds the projector lease (it alone can project). A standby projector
 * (ROLE=projector without the lease) and API instances report lag but are not made unready by it.
 */
async function readiness(
  checks: readonly HealthCheck[],
  projector: LeasedProjector | null,
  projections: ProjectionEngine,
  progress: () => Promise<Array<{ name: string; lagSeconds: number }>>,
  settings: { role: Config['role']; maxLagSeconds: number },
): Promise<ReadinessReport> {
  const problems: string[] = [];
  const backendsReport = await Promise.all(
    checks.map(async (health) => {
      try {
        await withTimeout(
          health.check(),
          HEALTH_TIMEOUT_MS,
          `${health.name} did not answer in ${HEALTH_TIMEOUT_MS} ms`,
        );
        return { name: health.name, ok: true };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(`backend ${health.name}: ${message}`);
        return { name: health.name, ok: false, error: message };
      }
    }),
  );
  const leader = projector?.isLeader === true;
  if (settings.role === 'all' && projector !== null && !leader) {
    problems.push('this process runs the projections but does not hold the projector lease: they are not running');
  }
  const running = leader ? projections.status() : [];
  for (const p of running) if (p.failed !== null) problems.push(`projection ${p.name} is failing: ${p.failed}`);
  let lags: Map<string, number> | null = null;
  try {
    lags = new Map(
      (await withTimeout(progress(), HEALTH_TIMEOUT_MS, 'projection progress did not answer in time')).map((p) => [
        p.name,
        p.lagSeconds,
      ]),
    );
  } catch (error) {
    problems.push(`projection progress unknown: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (leader && lags !== null) {
    for (const [name, lag] of lags) {
      if (lag > settings.maxLagSeconds)
        problems.push(`projection ${name} is ${Math.round(lag)} s behind the log (READY_MAX_LAG_SECONDS)`);
    }
  }
  const names = running.length > 0 ? running.map((p) => p.name) : [...(lags?.keys() ?? [])];
  return {
    status: problems.length === 0 ? 'ready' : 'degraded',
    problems,
    backends: backendsReport,
    projector: projector === null ? null : { leader },
    projections: names.map((name) => {
      const live = running.find((p) => p.name === name);
      return {
        name,
        position: live?.position ?? null,
        failed: live?.failed ?? null,
        lagSeconds: lags?.get(name) ?? null,
      };
    }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Files landed by uploads that a crash interrupted are of no further use. */
function clearLeftovers(spoolDir: string): void {
  for (const name of readdirSync(spoolDir)) rmSync(join(spoolDir, name), { force: true });
}
