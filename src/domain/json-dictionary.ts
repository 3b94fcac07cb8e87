/**
 * A JSON object keyed by outside data (meter ids, series keys) as an event stores it. Outside data never
 * keys a plain object: `{}[meter]` answers `Object` for a meter named `constructor`, and a write to
 * `__proto__` is lost. So a dictionary is made without a prototype and read only by its own keys; events
 * stored as plain JSON objects, older ones included, read the same through `ownValue`.
 */

/** Read it with `ownValue`, never by indexing. */
export type JsonDictionary<V> = { readonly [key: string]: V };

/** A dictionary without a prototype, from entries (a later entry of the same key wins). */
export function jsonDictionary<V>(entries: Iterable<readonly [string, V]>): JsonDictionary<V> {
  // No prototype: every key is its own, `__proto__` and `constructor` included.
  const dictionary = Object.create(null) as { [key: string]: V };
  // eslint-disable-next-line local/no-plain-dictionary -- a write into the prototype-less object made above
  for (const [key, value] of entries) dictionary[key] = value;
  return dictionary;
}

/** The value of a key the dictionary holds itself (never one of Object.prototype's), or undefined. */
export function ownValue<V>(dictionary: JsonDictionary<V> | undefined, key: string): V | undefined {
  // eslint-disable-next-line local/no-plain-dictionary -- guarded by Object.hasOwn
  return dictionary !== undefined && Object.hasOwn(dictionary, key) ? dictionary[key] : undefined;
}
