import { WebhookTargetError } from '../webhooks/target-guard';
import { AccountRuleError } from '../domain/accounts/rule-error';
import { InvoicingError } from '../invoicing/invoicing-service';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { AuthenticationError, AuthorizationError } from 'type-graphql';
import { ApiKeyInputError } from '../access/api-key-service';
import { TooManyUploadsError, UploadIdInUseError } from '../ingestion/upload-errors';
import { SpoolWriteError, UploadReadError, UploadTooLargeError } from '../ingestion/spool';
import { InvalidCursorError } from '../ports/pagination';
import { PriceFileError } from '../pricing/price-import-service';
import { UnknownProjectionError } from '../projections/runner';
import { ProjectorNotHereError } from '../projections/leased-projector';
import { EventStoreUnavailableError, StorageUnavailableError } from '../ports/event-store';
import { IssueIncompleteError } from '../invoicing/issue-incomplete';
import { ReadStoreUnavailableError } from '../ports/read-store-errors';

/** Codes the service sets itself or lets through from Apollo; anything else is reported as internal. */
const PASS_THROUGH = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'TIMEOUT',
  'CONSISTENCY_TIMEOUT',
  'PRICE_SOURCE_FAILED',
  'BACKEND_UNAVAILABLE',
  'NOT_ON_THIS_INSTANCE',
  'TOO_MANY_REQUESTS',
  'STORAGE_UNAVAILABLE',
  'NOT_FOUND',
  'CONFLICT',
]);

function classify(error: unknown): { code: string; message: string; extensions?: Record<string, unknown> } | null {
  if (error instanceof IssueIncompleteError) {
    // Classified by why it stopped; what was issued is always said.
    const cause = classify(error.cause);
    const extensions = { issued: error.issued, position: error.position };
    return cause === null ? null : { code: cause.code, message: error.message, extensions };
  }
  if (error instanceof AccountRuleError) return { code: 'BAD_USER_INPUT', message: error.message };
  if (error instanceof InvoicingError) return { code: error.code, message: error.message };
  if (error instanceof WebhookTargetError) return { code: 'BAD_USER_INPUT', message: error.message };
  if (error instanceof UploadTooLargeError) return { code: 'PAYLOAD_TOO_LARGE', message: error.message };
  if (error instanceof UploadReadError) return { code: 'BAD_USER_INPUT', message: error.message };
  if (
    error instanceof UploadIdInUseError ||
    error instanceof ApiKeyInputError ||
    error instanceof InvalidCursorError ||
    error instanceof PriceFileError ||
    error instanceof UnknownProjectionError
  ) {
    return { code: 'BAD_USER_INPUT', message: error.message };
  }
  if (error instanceof EventStoreUnavailableError || error instanceof ReadStoreUnavailableError) {
    return { code: 'BACKEND_UNAVAILABLE', message: `${error.message}; try again shortly` };
  }
  if (error instanceof SpoolWriteError || error instanceof StorageUnavailableError)
    return { code: 'STORAGE_UNAVAILABLE', message: error.message };
  if (error instanceof TooManyUploadsError) return { code: 'TOO_MANY_REQUESTS', message: error.message };
  if (error instanceof ProjectorNotHereError) return { code: 'NOT_ON_THIS_INSTANCE', message: error.message };
  if (error instanceof AuthenticationError) {
    // The auth checker's message (unauthenticatedMessage): it tells a revoked key's holder so.
    return { code: 'UNAUTHENTICATED', message: error.message };
  }
  if (error instanceof AuthorizationError) return { code: 'FORBIDDEN', message: 'this operation needs the ADMIN role' };
  // graphql-upload-minimal's HTTP errors (413 size limit, 400 malformed multipart).
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message: (error as Error).message };
  if (status === 400) return { code: 'BAD_USER_INPUT', message: (error as Error).message };
  return null;
}

const isClientStatus = (status: unknown): boolean => typeof status === 'number' && status >= 400 && status < 500;

/**
 * Shapes every error a client sees: a stable extension code and a message, never a stack trace.
 * Unknown failures are logged with an id that the client gets to quote.
 */
export function createErrorFormatter(log: (message: string, fields: Record<string, unknown>) => void) {
  let counter = 0;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const known = classify(original);
    const base = { locations: formatted.locations, path: formatted.path };
    if (known !== null)
      return { ...base, message: known.message, extensions: { code: known.code, ...known.extensions } };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      // A refusal for now says when to come back.
      const retryAfterSeconds = formatted.extensions?.retryAfterSeconds;
      return {
        ...base,
        message: formatted.message,
        extensions: typeof retryAfterSeconds === 'number' ? { code, retryAfterSeconds } : { code },
      };
    }
    if (original instanceof GraphQLError && original.originalError === undefined && code === undefined) {
      return { ...base, message: formatted.message, extensions: { code: 'BAD_USER_INPUT' } };
    }
    // Apollo's own refusals of a request (an APQ version it does not know, a hash that is not the
    // document) carry an HTTP 4xx and no code of theirs: the client's error, not a server fault.
    const status = original instanceof GraphQLError ? (original.extensions.http as { status?: unknown })?.status : null;
    if (original instanceof GraphQLError && original.originalError === undefined && isClientStatus(status)) {
      return { ...base, message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    counter += 1;
    const errorId = `${Date.now().toString(36)}-${counter}`;
    log('internal error', {
      errorId,
      error: original instanceof Error ? original.message : String(original),
      stack: original instanceof Error ? original.stack : undefined,
    });
    return {
      ...base,
      message: `internal error (id ${errorId}); the server logged the details`,
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        errorId,
        ...(original instanceof IssueIncompleteError ? { issued: original.issued, position: original.position } : {}),
      },
    };
  };
}
