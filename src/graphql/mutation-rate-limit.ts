import { GraphQLError } from 'graphql';
import { TokenBuckets } from './token-buckets';

/** `perMinute` mutations a minute per caller on average, up to `perMinute` at once. */
export class MutationBuckets {
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new TokenBuckets(perMinute, perMinute / 60);
  }

  /** Takes one mutation for `caller` at `now` (ms); the wait in seconds when there is none. */
  take(caller: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    return this.buckets.take(caller, 1, now);
  }

  /** Takes one mutation for `caller` now; the TOO_MANY_REQUESTS (HTTP 429) to answer when there is none. */
  refusal(caller: string): GraphQLError | null {
    const taken = this.take(caller, this.now());
    if (taken.ok) return null;
    return new GraphQLError(
      `more than ${this.perMinute} mutations a minute from this caller (MUTATIONS_PER_MINUTE); try again in ${taken.retryAfterSeconds} s`,
      { extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: taken.retryAfterSeconds, http: { status: 429 } } },
    );
  }
}
