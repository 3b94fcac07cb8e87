import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../resolvers/context';

/**
 * A token bucket per caller: `perMinute` mutations a minute on average, up to `perMinute` at once.
 * Time comes in as an argument, so the arithmetic is tested without a clock.
 */
export class MutationBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes one token for `caller` at `now` (ms); the wait in seconds when there is none. */
  take(caller: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const ratePerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(caller) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / ratePerMs / 1000) };
  }

  /** Buckets that have filled up again carry no state worth keeping. */
  private forgetFull(now: number): void {
    const ratePerMs = this.perMinute / 60_000;
    for (const [caller, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * ratePerMs >= this.perMinute) this.buckets.delete(caller);
    }
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
          const caller =
            contextValue.keyId ?? contextValue.principal ?? `anonymous:${contextValue.clientAddress ?? 'unknown'}`;
          const taken = buckets.take(caller, now());
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
