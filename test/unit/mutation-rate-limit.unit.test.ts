import { MutationBuckets } from '../../src/graphql/mutation-rate-limit';

describe('MutationBuckets', () => {
  it('lets a caller burst up to the rate, then one a minute/rate, each caller apart', () => {
    const buckets = new MutationBuckets(3);
    const at = (seconds: number) => 1_000_000 + seconds * 1000;
    expect([0, 0, 0].map(() => buckets.take('a', at(0)).ok)).toEqual([true, true, true]);
    expect(buckets.take('a', at(0))).toEqual({ ok: false, retryAfterSeconds: 20 });
    expect(buckets.take('b', at(0)).ok).toBe(true);
    expect(buckets.take('a', at(19)).ok).toBe(false);
    expect(buckets.take('a', at(20)).ok).toBe(true);
    expect(buckets.take('a', at(21))).toEqual({ ok: false, retryAfterSeconds: 19 });
    // A long pause refills the bucket to the burst size, not beyond.
    expect([0, 0, 0, 0].map(() => buckets.take('a', at(3600)).ok)).toEqual([true, true, true, false]);
  });
});
