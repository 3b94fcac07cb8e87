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
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Config } from '../config';
import { closeIfBodyUnread, guardMultipartParser, unreadRequestErrors } from '../http/hardening';
import type { Logger } from '../logger';
import type { GraphQLContext, Services } from '../resolvers/context';
import { createErrorFormatter } from './errors';
import { apolloCaches, apolloProtection, GRAPHQL_LIMITS } from './limits';
import { MutationBuckets } from './mutation-rate-limit';
import { OperationGate, type GateCaller, type RawOperation } from './operation-gate';
import type { QueryBudget } from './query-budget';
import { buildGraphQLSchema } from './schema';
import { GRAPHQL_PATH, mountGraphQLWebSocket } from './websocket';
import { ownValue } from '../domain/json-dictionary';

export async function mountGraphQL(
  app: express.Express,
  httpServer: Server,
  config: Config,
  logger: Logger,
  services: Services,
  // One budget per caller, whether its queries come over HTTP or WebSocket (and its exports, beside).
  queryBudget: QueryBudget,
): Promise<ApolloServer<GraphQLContext>> {
  const schema = await buildGraphQLSchema();
  // One gate for both transports: the same caller check, caps, mutation rate and budget.
  const gate = new OperationGate(
    {
      maxDocumentBytes: config.graphqlMaxDocumentBytes,
      maxStringBytes: config.graphqlMaxStringBytes,
      maxListLength: config.graphqlMaxListLength,
      introspection: config.graphqlIntrospection,
    },
    queryBudget,
    new MutationBuckets(config.mutationsPerMinute),
  );
  const webSocket = mountGraphQLWebSocket({ httpServer, schema, config, logger, services, gate });

  const armor = apolloProtection();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    validationRules: armor.validationRules,
    // Parsed documents and APQ registrations, each cache bounded by what it really holds.
    ...apolloCaches(),
    parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
    // Off unless configured, whatever NODE_ENV says: the schema is no map for anonymous callers.
    introspection: config.graphqlIntrospection,
    // main.ts owns the signals: Apollo's own handler would re-send SIGTERM and end the process before the
    // projector lease is released and the stores are closed.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((m, f) => logger.error(m, f)),
    plugins: [
      ...armor.plugins,
      gatePlugin(gate),
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
  const admitCaller = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let caller: GateCaller;
    try {
      caller = {
        ...(await services.access.authenticate(req.headers.authorization)),
        clientAddress: req.ip ?? 'unknown',
      };
    } catch (error) {
      // The keys could not be read (a backend down): said so, not taken for a malformed request.
      logger.error('could not check an API key', { error: error instanceof Error ? error.message : String(error) });
      closeIfBodyUnread(req, res);
      res.status(503).json({
        errors: [
          {
            message: 'the API key could not be checked now; try again shortly',
            extensions: { code: 'BACKEND_UNAVAILABLE' },
          },
        ],
      });
      return;
    }
    res.locals.gateCaller = caller;
    const refused = gate.admitCaller(caller);
    if (refused === null) next();
    else answerRefusal(req, res, refused);
  };
  const admitOperations = (req: Request, res: Response, next: NextFunction): void => {
    const caller = res.locals.gateCaller as GateCaller;
    const operations = operationsOf(req);
    if (operations === null) {
      answerRefusal(req, res, null);
      return;
    }
    for (const operation of operations) {
      const refused = gate.beforeParse(caller, operation);
      if (refused !== null) {
        answerRefusal(req, res, refused);
        return;
      }
    }
    next();
  };
  app.use(
    GRAPHQL_PATH,
    onlyGetAndPost,
    // Who asks is known before any body is read: a caller without a key has no upload parsed either.
    admitCaller,
    guardMultipartParser,
    graphqlUploadExpress({
      maxFileSize: config.maxUploadBytes,
      maxFiles: 1,
      maxFieldSize: GRAPHQL_LIMITS.multipartFieldBytes,
    }),
    express.json({ limit: GRAPHQL_LIMITS.jsonBodyBytes }),
    admitOperations,
    expressMiddleware(apollo, {
      context: ({ res }) => Promise.resolve({ ...(res.locals.gateCaller as GateCaller), services }),
    }),
    unreadRequestErrors,
  );
  return apollo;
}

/** Stage 2 of the gate inside Apollo: after validation, before any resolver. */
function gatePlugin(gate: OperationGate): ApolloServerPlugin<GraphQLContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation, document, request, contextValue }) => {
          if (operation === undefined || operation === null) return Promise.resolve();
          const refused = gate.beforeExecute(contextValue, document, operation, request.variables ?? {});
          return refused === null ? Promise.resolve() : Promise.reject(refused);
        },
      }),
  };
}

/**
 * The operations of a request as sent, nothing of their documents parsed: a JSON or multipart body (one,
 * or each of a batch, which Apollo then refuses) or a GET's parameters (variables and extensions are
 * JSON there; a GET line is bounded by Node's 16 KiB header limit). Null for a repeated GET parameter.
 */
function operationsOf(req: Request): RawOperation[] | null {
  if (req.method === 'GET' || req.method === 'HEAD') {
    const params = req.query as Record<string, unknown>;
    const one = (name: string): unknown => ownValue(params, name);
    if (['query', 'operationName', 'variables', 'extensions'].some((name) => Array.isArray(one(name)))) return null;
    return [
      {
        query: one('query'),
        operationName: one('operationName'),
        variables: jsonParameter(one('variables')),
        extensions: jsonParameter(one('extensions')),
      },
    ];
  }
  const body: unknown = req.body;
  const items: unknown[] = Array.isArray(body) ? body : [body];
  return items.map((item) => (typeof item === 'object' && item !== null ? (item as RawOperation) : {}));
}

/** A GET parameter holding JSON, parsed; what does not parse is Apollo's to refuse. */
function jsonParameter(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** A refusal of the gate before Apollo ran, as a GraphQL error in JSON with its HTTP status. */
function answerRefusal(req: Request, res: Response, error: GraphQLError | null): void {
  closeIfBodyUnread(req, res);
  if (error === null) {
    res.status(400).json({
      errors: [{ message: 'each GET parameter may be given once', extensions: { code: 'BAD_REQUEST' } }],
    });
    return;
  }
  const http = error.extensions.http as { status?: number } | undefined;
  res.status(http?.status ?? 400).json({
    errors: [{ message: error.message, extensions: { code: error.extensions.code } }],
  });
}

/** GraphQL is served by GET and POST; any other method is a 405 in JSON, before anything is read. */
function onlyGetAndPost(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST') {
    next();
    return;
  }
  closeIfBodyUnread(req, res);
  res.setHeader('Allow', 'GET, POST');
  res.status(405).json({
    errors: [
      {
        message: `${req.method} is not served at /graphql; use POST (or GET for queries)`,
        extensions: { code: 'METHOD_NOT_ALLOWED' },
      },
    ],
  });
}
