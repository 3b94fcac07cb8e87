import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../resolvers/context';
import { budgetHolder } from './query-budget';
import { TokenBuckets } from './token-buckets';

/** `perMinute` mutations a minute per caller on average, up to `perMinute` at once. */
export class MutationBuckets {
  private readonly buckets: TokenBuckets;

  constructor(perMinute: number) {
    this.buckets = new TokenBuckets(perMinute, perMinute / 60);
  }

  /** Takes one mutation for `caller` at `now` (ms); the wait in seconds when there is none. */
  take(caller: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    return this.buckets.take(caller, 1, now);
  }
}

/** Refuses a caller's mutation over its rate with TOO_MANY_REQUESTS, before it runs. */
export function mutationRateLimit(perMinute: number, now: () => number = Date.now): ApolloServerPlugin<GraphQLContext> {
  const buckets = new MutationBuckets(perMinute);
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation, contextValue }) => {
          if (operation?.operation !== 'mutation') return Promise.resolve();
          // Keys by their id, fixed tokens by their name, anyone else by address: the peer's own, not a
          // client-sent X-Forwarded-For (believed only from TRUST_PROXY_HOPS proxies, by Express's req.ip).
          const taken = buckets.take(budgetHolder(contextValue), now());
          if (taken.ok) return Promise.resolve();
          return Promise.reject(
            new GraphQLError(
              `more than ${perMinute} mutations a minute from this caller (MUTATIONS_PER_MINUTE); try again in ${taken.retryAfterSeconds} s`,
              {
                extensions: {
                  code: 'TOO_MANY_REQUESTS',
                  retryAfterSeconds: taken.retryAfterSeconds,
                  http: { status: 429 },
                },
              },
            ),
          );
        },
      }),
  };
}
