/** Luxon timestamp patterns with `[...]` optional parts, as `format.timestampFormat` takes them. Pure. */
import { DateTime } from 'luxon';

/** Every pattern a `[...]`-optional pattern stands for, longest first. */
export function patternVariants(pattern: string): string[] {
  const optional = /\[([^[\]]*)\]/; // no `[` inside: an unclosed `[[[…` is read once, not once per `[`
  const match = optional.exec(pattern);
  if (match === null) return [pattern];
  const withPart = pattern.replace(optional, match[1]!);
  const without = pattern.replace(optional, '');
  return [...patternVariants(withPart), ...patternVariants(without)];
}

/** The text read by the first of the pattern's variants that matches it, or null. */
export function fromPatterns(text: string, variants: readonly string[]): DateTime | null {
  for (const variant of variants) {
    const parsed = DateTime.fromFormat(text, variant, { zone: 'UTC' });
    if (parsed.isValid) return parsed;
  }
  return null;
}
