import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { AccessResolver } from '../resolvers/access.resolver';
import { AccountsResolver } from '../resolvers/accounts.resolver';
import { authChecker } from '../resolvers/auth';
import { BillingResolver } from '../resolvers/billing.resolver';
import { FileValidationResolver } from '../resolvers/file-validation.resolver';
import { IssuedInvoiceResolver } from '../resolvers/issued-invoice.resolver';
import { UploadResolver } from '../resolvers/upload.resolver';
import { WebhooksResolver } from '../resolvers/webhooks.resolver';

export const resolverClasses = [
  UploadResolver,
  FileValidationResolver,
  BillingResolver,
  AccountsResolver,
  IssuedInvoiceResolver,
  WebhooksResolver,
  AccessResolver,
] as const;

/**
 * Every subscription here reads the event store through its own `subscribe` function, so that any API
 * instance can serve it; type-graphql still insists on a topic PubSub, which must never be reached.
 */
const noTopicPubSub: PubSub = {
  publish: (topic) => {
    throw new Error(`topic '${topic}': subscriptions read the event store, not topics`);
  },
  subscribe: (topic) => {
    throw new Error(`topic '${topic}': subscriptions read the event store, not topics`);
  },
};

/** Resolvers take everything from the request context, so the schema needs no container. */
export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: resolverClasses,
    authChecker,
    authMode: 'error',
    validate: false,
    pubSub: noTopicPubSub,
  });
}
