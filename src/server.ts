import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from './config';
import { ZonedClock } from './domain/time/zoned-time';
import { createErrorFormatter } from './graphql/errors';
import { buildGraphQLSchema } from './graphql/schema';
import { openSqliteDatabase, type SqliteDatabase } from './infrastructure/sqlite/database';
import { SqliteEventStore } from './infrastructure/sqlite/sqlite-event-store';
import { SqliteBillingReadModel } from './infrastructure/sqlite/sqlite-billing-read-model';
import { SqliteProjectionVersions } from './infrastructure/sqlite/sqlite-checkpoints';
import { SqliteUploadReadModel } from './infrastructure/sqlite/sqlite-upload-read-model';
import { PriceImportService } from './pricing/price-import-service';
import { PricePublisher } from './pricing/price-publisher';
import { scrapeServiceFor } from './pricing/scrape-service';
import { BILLING_PROJECTION, BillingProjection } from './projections/billing/projection';
import type { ProjectionDefinition } from './projections/projection';
import { UploadService } from './ingestion/upload-service';
import { startPriceScheduler } from './jobs/scheduler';
import type { Logger } from './logger';
import { ProjectionRunner } from './projections/runner';
import { UPLOAD_STATUS_PROJECTION, UploadStatusProjection } from './projections/upload-status/projection';
import type { GraphQLContext, Services } from './resolvers/context';
import { roleFor } from './resolvers/context';

export const GRAPHQL_PATH = '/graphql';

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  projections: ProjectionRunner;
  stop(): Promise<void>;
}

/** The composition root: builds every adapter and service from the validated config, then serves. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const spoolDir = join(config.dataDir, 'incoming');
  mkdirSync(spoolDir, { recursive: true });
  clearLeftovers(spoolDir);

  const db: SqliteDatabase = openSqliteDatabase(join(config.dataDir, 'energy-billing.sqlite'));
  const eventStore = new SqliteEventStore(db);
  const clock = new ZonedClock(config.billingTimeZone);
  const uploadReadModel = new SqliteUploadReadModel(db);
  const billingReadModel = new SqliteBillingReadModel(db);
  const projections = new ProjectionRunner(
    eventStore,
    sqliteProjectionDefinitions(db, {
      clock,
      resolutionMinutes: config.readingResolutionMinutes,
      market: config.priceArea,
    }),
    new SqliteProjectionVersions(db),
    logger,
  );
  await projections.start();

  const publisher = new PricePublisher(eventStore, () => new Date());
  const services: Services = {
    eventStore,
    uploadQueries: uploadReadModel,
    consistency: projections,
    billing: billingReadModel,
    billingSettings: { clock, market: config.priceArea },
    projections,
    priceImport: new PriceImportService({ eventStore, publisher, clock, market: config.priceArea }),
    priceScrape: scrapeServiceFor(config, clock, eventStore, publisher),
    uploads: new UploadService({
      eventStore,
      uploads: uploadReadModel,
      consistency: projections,
      clock,
      rules: { resolutionMinutes: config.readingResolutionMinutes, maxKwhPerReading: config.maxKwhPerReading },
      spoolDir,
      maxUploadBytes: config.maxUploadBytes,
      maxLineBytes: config.maxLineBytes,
      now: () => new Date(),
      newId: randomUUID,
      log: (m, f) => logger.warn(m, f),
    }),
  };

  const schema = await buildGraphQLSchema();
  const app = express();
  const httpServer: Server = createHttpServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      schema,
      context: (ctx): GraphQLContext => {
        const auth = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        return { ...roleFor(typeof auth === 'string' ? auth : undefined, config), services };
      },
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn('subscription error', { errors: errors.map((e) => e.message) });
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((m, f) => logger.error(m, f)),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        serverWillStart: () =>
          Promise.resolve({
            drainServer: async () => {
              await wsCleanup.dispose();
            },
          }),
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const status = projections.status();
    const failed = status.filter((p) => p.failed !== null);
    res
      .status(failed.length === 0 ? 200 : 503)
      .json({ status: failed.length === 0 ? 'ready' : 'degraded', projections: status });
  });
  app.use(
    GRAPHQL_PATH,
    graphqlUploadExpress({ maxFileSize: config.maxUploadBytes, maxFiles: 1 }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: ({ req }) => Promise.resolve({ ...roleFor(req.headers.authorization, config), services }),
    }),
  );

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const scheduler = config.priceScrape ? await startPriceScheduler(config, logger) : null;
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}${GRAPHQL_PATH}`;
  logger.info('serving GraphQL', {
    url,
    dataDir: config.dataDir,
    auth: config.adminToken === null && config.viewerToken === null ? 'off (no ADMIN_TOKEN/VIEWER_TOKEN set)' : 'on',
  });

  let stopped = false;
  return {
    url,
    port,
    services,
    projections,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await scheduler?.stop();
      await apollo.stop();
      await projections.stop();
      await eventStore.close();
      db.close();
    },
  };
}

/** The projections of the embedded backend; `suffix` selects live tables or a rebuild copy. */
export function sqliteProjectionDefinitions(
  db: SqliteDatabase,
  billingRules: ConstructorParameters<typeof BillingProjection>[1],
): ProjectionDefinition[] {
  return [
    {
      name: UPLOAD_STATUS_PROJECTION,
      version: 2, // 2: listing order assigned once per upload
      create: (suffix) => new UploadStatusProjection(new SqliteUploadReadModel(db, suffix)),
      promote: (suffix) => Promise.resolve(new SqliteUploadReadModel(db, suffix).promote()),
    },
    {
      name: BILLING_PROJECTION,
      version: 1,
      create: (suffix) => new BillingProjection(new SqliteBillingReadModel(db, suffix), billingRules),
      promote: (suffix) => Promise.resolve(new SqliteBillingReadModel(db, suffix).promote()),
    },
  ];
}

/** Files landed by uploads that a crash interrupted are of no further use. */
function clearLeftovers(spoolDir: string): void {
  for (const name of readdirSync(spoolDir)) rmSync(join(spoolDir, name), { force: true });
}
