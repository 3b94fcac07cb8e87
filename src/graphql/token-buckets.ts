/**
 * A token bucket per caller: `refillPerSecond` tokens a second on average, up to `capacity` at once.
 * Time comes in as an argument, so the arithmetic is tested without a clock.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
  ) {}

  /** Takes `amount` tokens for `caller` at `now` (ms); the wait in seconds when there are not enough. */
  take(caller: string, amount: number, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const ratePerMs = this.refillPerSecond / 1000;
    const bucket = this.buckets.get(caller) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(now);
    if (bucket.tokens >= amount) {
      bucket.tokens -= amount;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.ceil((amount - bucket.tokens) / ratePerMs / 1000) };
  }

  /** Buckets that have filled up again carry no state worth keeping. */
  private forgetFull(now: number): void {
    const ratePerMs = this.refillPerSecond / 1000;
    for (const [caller, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * ratePerMs >= this.capacity) this.buckets.delete(caller);
    }
  }
}
