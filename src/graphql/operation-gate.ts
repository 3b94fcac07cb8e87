/**
 * The one gate every GraphQL operation passes, over HTTP (POST, GET, multipart, APQ) and over
 * WebSocket (queries, mutations, subscriptions) alike: both transports call the same two checks.
 *
 * 1. `beforeParse`, on what arrived, before the document is parsed: the caller (a caller without a
 *    valid key learns nothing of the schema: no document of theirs is parsed or validated), the
 *    document's bytes (comments count), the operation name, the variables and extensions as JSON
 *    (strings, lists, depth), then the document's tokens.
 * 2. `beforeExecute`, on the validated operation, before any resolver runs: the literals written in
 *    the document (strings, lists), the mutation rate, and the query budget, which list arguments are
 *    charged to by their entries.
 */
import { GraphQLError, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { unauthenticatedMessage, type Caller } from '../access/api-key-service';
import { jsonValueProblem, literalProblem, overBytes, type ValueLimits } from './argument-limits';
import { documentTooLong, repeatedSelectionProblem } from './limits';
import type { MutationBuckets } from './mutation-rate-limit';
import { budgetHolder, queryCost, type QueryBudget } from './query-budget';

/** Who sends an operation: the authenticated caller and the peer's address. */
export type GateCaller = Caller & { clientAddress?: string };

/** An operation as a transport received it, nothing parsed yet. */
export interface RawOperation {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface GateSettings extends ValueLimits {
  /** Bytes (UTF-8) of one GraphQL document, comments and white space included. */
  maxDocumentBytes: number;
  /** Whether anyone may read the schema (GRAPHQL_INTROSPECTION): then a caller without a key is parsed too. */
  introspection: boolean;
}

/** The longest operation name: names are identifiers, and one is echoed in errors. */
export const MAX_OPERATION_NAME_CHARS = 256;

function refusal(message: string, code: string, status: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

export class OperationGate {
  constructor(
    private readonly settings: GateSettings,
    private readonly budget: QueryBudget,
    private readonly mutations: MutationBuckets,
  ) {}

  /**
   * Whether this caller may have a document looked at: UNAUTHENTICATED (401) for a caller without a
   * valid key, unless the schema is open anyway (introspection on). With AUTH=off everyone is an admin.
   */
  admitCaller(caller: GateCaller): GraphQLError | null {
    if (caller.role !== null || this.settings.introspection) return null;
    return refusal(unauthenticatedMessage(caller), 'UNAUTHENTICATED', 401);
  }

  /** Stage 1: the caller, then what was sent, by size, before anything of it is parsed. */
  beforeParse(caller: GateCaller, operation: RawOperation): GraphQLError | null {
    const unknown = this.admitCaller(caller);
    if (unknown !== null) return unknown;
    const { maxDocumentBytes } = this.settings;
    if (typeof operation.query === 'string') {
      const bytes = overBytes(operation.query, maxDocumentBytes);
      if (bytes !== null) {
        return refusal(
          `the document is ${bytes} bytes; at most ${maxDocumentBytes} are taken (GRAPHQL_MAX_DOCUMENT_BYTES), comments and white space included: send a shorter one`,
          'PAYLOAD_TOO_LARGE',
          413,
        );
      }
    }
    if (typeof operation.operationName === 'string' && operation.operationName.length > MAX_OPERATION_NAME_CHARS) {
      return refusal(
        `operationName has ${operation.operationName.length} characters; at most ${MAX_OPERATION_NAME_CHARS}`,
        'BAD_USER_INPUT',
        400,
      );
    }
    for (const [name, value] of [
      ['variables', operation.variables],
      ['extensions', operation.extensions],
    ] as const) {
      const problem = jsonValueProblem(value, name, this.settings);
      if (problem !== null) return refusal(problem, 'BAD_USER_INPUT', 400);
    }
    if (typeof operation.query === 'string') {
      const tooLong = documentTooLong(operation.query);
      if (tooLong !== null) return refusal(tooLong, 'GRAPHQL_PARSE_FAILED', 400);
      const repeated = repeatedSelectionProblem(operation.query);
      if (repeated !== null) return refusal(repeated, 'GRAPHQL_VALIDATION_FAILED', 400);
    }
    return null;
  }

  /**
   * Stage 2, on the validated operation before any resolver: its literals by size, then a mutation's
   * rate, then the budget (every operation is charged its cost; list arguments add their entries).
   */
  beforeExecute(
    caller: GateCaller,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
  ): GraphQLError | null {
    const unknown = this.admitCaller(caller);
    if (unknown !== null) return unknown;
    const problem = literalProblem(document, this.settings);
    if (problem !== null) return refusal(problem, 'BAD_USER_INPUT', 400);
    const holder = budgetHolder(caller);
    if (operation.operation === 'mutation') {
      const tooMany = this.mutations.refusal(holder);
      if (tooMany !== null) return tooMany;
    }
    return this.budget.refusal(holder, queryCost(document, operation, variables));
  }
}
