/**
 * GraphQL at /graphql: Apollo over HTTP (queries, mutations, multipart uploads) and graphql-ws over
 * WebSocket (subscriptions) on the same path, sharing one schema and one query budget per caller.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Server } from 'node:http';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Config } from '../config';
import { guardMultipartParser, refuseLongDocuments, unreadRequestErrors } from '../http/hardening';
import type { Logger } from '../logger';
import type { GraphQLContext, Services } from '../resolvers/context';
import { createErrorFormatter } from './errors';
import { apolloProtection, GRAPHQL_LIMITS } from './limits';
import { mutationRateLimit } from './mutation-rate-limit';
import { QueryBudget, queryBudgetPlugin } from './query-budget';
import { buildGraphQLSchema } from './schema';
import { GRAPHQL_PATH, mountGraphQLWebSocket } from './websocket';

export async function mountGraphQL(
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
