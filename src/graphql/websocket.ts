/**
 * GraphQL over WebSocket (graphql-ws): the connection's key checked at its `connection_init`, admission
 * (only authenticated connections count against WS_MAX_CONNECTIONS; few may wait to authenticate per
 * address), the request limits, the query budget shared with HTTP, a bound on queries in flight and on
 * unsent answers per connection, and revoked keys' connections closed at once.
 */
import type { Server } from 'node:http';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config';
import { WebSocketAdmission } from './websocket-admission';
import type { Logger } from '../logger';
import type { GraphQLContext, Services } from '../resolvers/context';
import { GRAPHQL_LIMITS, webSocketProtection } from './limits';
import type { GateCaller, OperationGate } from './operation-gate';

export const GRAPHQL_PATH = '/graphql';

/** A validation error as HTTP answers it: with its code. */
const withCode =
  (code: string) =>
  (error: GraphQLError): GraphQLError =>
    new GraphQLError(error.message, { nodes: error.nodes, extensions: { code } });

/** A refusal of the gate as a WebSocket error: its code and wait, without HTTP's status. */
const asMessage = (error: GraphQLError): GraphQLError => {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
};

/** Queries one WebSocket connection may have executing or unsent at once. */
const WS_MAX_QUERIES_IN_FLIGHT = 4;

/** Answers a WebSocket connection may have waiting to be sent before it is taken for one that does not read. */
const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const NOT_READING = `the connection has over ${WS_MAX_BUFFERED_BYTES / 1024 / 1024} MB of answers it has not read; it is closed (1013): read them, or ask for less at a time`;

/**
 * Closes a socket whose client has stopped reading (its unsent answers over the bound), with 1013;
 * one that does not take the close either is cut a second later. Whether it did.
 */
function closeIfNotReading(socket: WebSocket): boolean {
  if (socket.bufferedAmount <= WS_MAX_BUFFERED_BYTES) return false;
  if (socket.readyState === socket.OPEN) {
    socket.close(1013, 'Try again later: answers are not being read');
    setTimeout(() => socket.terminate(), 1_000).unref();
  }
  return true;
}

/** WebSocket connections from one address that may wait for their connection_init at once. */
const WS_MAX_PENDING_PER_ADDRESS = 16;
/** How long a WebSocket connection may take to send its connection_init. */
const WS_INIT_WAIT_MS = 3_000;

/** The `Authorization` a graphql-ws client sent in its connection parameters. */
function connectionAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

export function mountGraphQLWebSocket(deps: {
  httpServer: Server;
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  services: Services;
  gate: OperationGate;
}): { dispose: () => Promise<void> } {
  const { httpServer, schema, config, logger, services, gate } = deps;
  const wsProtection = webSocketProtection();
  // Upgrades are handed over by hand (noServer): with `server:` ws re-emits the HTTP server's own errors,
  // and graphql-ws prints a taken port as an "internal error" with its stack before the start can say so.
  const wsServer = new WebSocketServer({
    noServer: true,
    path: GRAPHQL_PATH,
    // A bigger message closes its socket (1009) before it is parsed: one connection_init cannot fill the heap.
    maxPayload: config.graphqlMaxDocumentBytes + GRAPHQL_LIMITS.webSocketMessageBytes,
    verifyClient: (info, accept) => {
      const refusal = admission.refusal(info.req.socket.remoteAddress ?? 'unknown');
      if (refusal === null) accept(true);
      else accept(false, refusal.status, refusal.reason);
    },
  });
  const admission = new WebSocketAdmission(config.webSocketMaxConnections, WS_MAX_PENDING_PER_ADDRESS);
  // The ids of each connection's queries that may still be in flight.
  const queriesBySocket = new WeakMap<WebSocket, Set<string>>();
  const queriesOf = (socket: WebSocket): Set<string> => {
    const queries = queriesBySocket.get(socket) ?? new Set<string>();
    queriesBySocket.set(socket, queries);
    return queries;
  };
  httpServer.on('upgrade', (request, socket, head) => {
    wsServer.handleUpgrade(request, socket, head, (ws) => {
      admission.opened(ws, request.socket.remoteAddress ?? 'unknown');
      wsServer.emit('connection', ws, request);
    });
  });
  // Open connections by the API key they sent: a revoked key's connections are closed, subscriptions and all.
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const stopListening = services.access.onRevoked((keyId) => {
    for (const socket of socketsByKey.get(keyId) ?? []) socket.close(4403, 'Forbidden: the API key was revoked');
    socketsByKey.delete(keyId);
  });
  httpServer.once('close', stopListening);
  const cleanup = useServer<Record<string, unknown>>(
    {
      schema,
      // A connection that sends no connection_init in time is closed (4408).
      connectionInitWaitTimeout: WS_INIT_WAIT_MS,
      onConnect: async (ctx) => {
        const caller = await services.access.authenticate(connectionAuthorization(ctx.connectionParams));
        // No valid key, no connection: closed with 4403 at its connection_init.
        if (caller.role === null) return false;
        if (!admission.admit(ctx.extra.socket)) {
          ctx.extra.socket.close(1013, 'Try again later: too many WebSocket connections (WS_MAX_CONNECTIONS)');
          return false;
        }
        if (caller.keyId !== null) {
          const sockets = socketsByKey.get(caller.keyId) ?? new Set();
          socketsByKey.set(caller.keyId, sockets);
          sockets.add(ctx.extra.socket);
          ctx.extra.socket.once('close', () => sockets.delete(ctx.extra.socket));
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        // A client that does not read its answers gets no more work done for it.
        if (closeIfNotReading(ctx.extra.socket)) {
          return [new GraphQLError(NOT_READING, { extensions: { code: 'TOO_MANY_REQUESTS' } })];
        }
        if (Object.keys(ctx.subscriptions).length > config.webSocketMaxSubscriptions) {
          return [
            new GraphQLError(
              `at most ${config.webSocketMaxSubscriptions} subscriptions run at once on one connection (WS_MAX_SUBSCRIPTIONS)`,
              { extensions: { code: 'TOO_MANY_REQUESTS' } },
            ),
          ];
        }
        // The gate HTTP requests pass, here too: the caller (a key revoked meanwhile is refused at once),
        // the sizes before parsing, then the literals, the mutation rate and the budget before anything runs.
        const caller: GateCaller = {
          ...(await services.access.authenticate(connectionAuthorization(ctx.connectionParams))),
          clientAddress: ctx.extra.request.socket.remoteAddress ?? 'unknown',
        };
        const refused = gate.beforeParse(caller, payload);
        if (refused !== null) return [asMessage(refused)];
        let document: DocumentNode;
        try {
          document = wsProtection.parse(payload.query);
        } catch (error) {
          // Answered as an error message; a parse failure inside graphql-ws would close the whole socket.
          return [
            new GraphQLError(error instanceof Error ? error.message : String(error), {
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ];
        }
        const invalid = wsProtection.validate(schema, document);
        if (invalid.length > 0) return invalid.map(withCode('GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (operation === null || operation === undefined) {
          return [
            new GraphQLError('the document has no operation of that name, or several and no operationName', {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
            }),
          ];
        }
        // Queries being executed or answered (graphql-ws keeps an operation's entry null until its answer
        // is sent): a client asks for more only as answers arrive, so one that stops reading holds few.
        const queries = queriesOf(ctx.extra.socket);
        // eslint-disable-next-line local/no-plain-dictionary -- graphql-ws makes ctx.subscriptions with Object.create(null)
        for (const earlier of queries) if (ctx.subscriptions[earlier] !== null) queries.delete(earlier);
        if (operation.operation === 'query' && queries.size >= WS_MAX_QUERIES_IN_FLIGHT) {
          return [
            new GraphQLError(
              `at most ${WS_MAX_QUERIES_IN_FLIGHT} queries are answered at once on one connection; send the next when an answer has come`,
              { extensions: { code: 'TOO_MANY_REQUESTS' } },
            ),
          ];
        }
        const variables = payload.variables ?? {};
        const gated = gate.beforeExecute(caller, document, operation, variables);
        if (gated !== null) return [asMessage(gated)];
        if (operation.operation === 'query') queries.add(id);
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: variables,
          contextValue: { ...caller, services } satisfies GraphQLContext,
        };
        return args;
      },
      // An answer is not queued behind a backlog the client does not read: the connection is closed.
      onNext: (ctx) =>
        closeIfNotReading(ctx.extra.socket)
          ? { errors: [{ message: NOT_READING, extensions: { code: 'TOO_MANY_REQUESTS' } }] }
          : undefined,
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn('subscription error', { errors: errors.map((e) => e.message) });
      },
    },
    wsServer,
  );
  return { dispose: async () => cleanup.dispose() };
}
