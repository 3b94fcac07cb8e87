/**
 * Shared pieces of the property-based tests (fast-check) over the parsers: a fixed seed so every CI run
 * tries the same inputs, the shape of a regular-expression attack (a prefix, one fragment repeated to tens
 * of kilobytes, a suffix that makes the match fail), and a bound on time per byte.
 */
import fc from 'fast-check';

/** One seed for every property: a failure names its counterexample and replays the same way everywhere. */
export const SEED = 3232;

export const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns, endOnFailure: true });

/** Fixed work per call, then per byte: generous for a loaded 2-core machine, far below quadratic time. */
const BASE_MS = 100;
const MS_PER_BYTE = 0.02; // 20 µs: 60 KB in 1.3 s; a quadratic scan of 60 KB takes tens of seconds

/**
 * Runs `work` on `input`, failing when it takes longer than the bound for the input's size. A call over the
 * bound is timed once more and the faster run counts: a pause of the loaded machine or the collector
 * passes, a super-linear parser is over the bound every time.
 */
export function withinTimeBound<T>(input: string | Uint8Array, work: () => T): T {
  const timed = (): [T, number] => {
    const started = performance.now();
    const result = work();
    return [result, performance.now() - started];
  };
  const bound = BASE_MS + input.length * MS_PER_BYTE;
  const [result, first] = timed();
  const elapsed = first > bound ? Math.min(first, timed()[1]) : first;
  if (elapsed > bound) {
    throw new Error(
      `took ${elapsed.toFixed(0)} ms for ${input.length} bytes (bound ${bound.toFixed(0)} ms): ${JSON.stringify(
        typeof input === 'string' ? input.slice(0, 80) : Buffer.from(input.subarray(0, 80)).toString('latin1'),
      )}…`,
    );
  }
  return result;
}

/** Runs `work`; an error must be one of the module's own (`expected`), anything else fails the property. */
export function onlyOwnErrors<T, E extends Error>(
  expected: abstract new (...args: never[]) => E,
  work: () => T,
): T | E {
  try {
    return work();
  } catch (error) {
    if (error instanceof expected) {
      if (error.message.length < 5) throw new Error(`an error without a reason: ${JSON.stringify(error.message)}`);
      return error;
    }
    throw error;
  }
}

/**
 * The shape of a regular-expression attack: `prefix + pump x n + suffix`, n so that the whole is up to
 * `maxBytes`. The pump is one to three fragments, the prefix and suffix short runs of fragments.
 */
export function pumped(fragments: readonly string[], maxBytes = 60_000): fc.Arbitrary<string> {
  const piece = fc.constantFrom(...fragments);
  const short = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));
  return fc
    .record({
      prefix: short,
      pump: fc.array(piece, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')),
      suffix: short,
      bytes: fc.integer({ min: 1, max: maxBytes }),
    })
    .map(
      ({ prefix, pump, suffix, bytes }) =>
        prefix + pump.repeat(Math.max(1, Math.floor(bytes / Math.max(1, pump.length)))) + suffix,
    );
}

/** Short texts from the fragments (the everyday shape), or a pumped one (the attack shape). */
export function textFrom(fragments: readonly string[], maxBytes = 60_000): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...fragments), { maxLength: 24 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: pumped(fragments, maxBytes) },
  );
}

/** Names that are keys of every plain object: outside data must never index one. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
