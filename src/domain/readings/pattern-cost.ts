/**
 * The cost of a `timestampFormat` before it reads any row. Luxon turns a pattern into a regular
 * expression at run time (the lint never sees it), one group per token: `d` and `M` are `\d{1,2}`, `y` is
 * `\d{1,6}`, `z` `[a-z_+-/]{1,256}?`. Tokens of variable width side by side can split a text in many ways,
 * and a text that matches none tries every way: `dMdMdMdMdMdMdMdMdMdMdM` took 0.4 s for one timestamp,
 * each two more letters four times as long. The ways are counted on the expression Luxon builds (its
 * public `fromFormatExplain`) and a pattern with more than `MAX_PATTERN_WAYS` is refused. Pure.
 */
import { RegExpParser, type AST } from '@eslint-community/regexpp';
import { DateTime } from 'luxon';
import { patternVariants } from './timestamp-patterns';

/** `d/M/yyyy h:mm:ss a` has 16 ways, with a zone name (`z`) 4,096; a failing row then costs well under 1 ms. */
export const MAX_PATTERN_WAYS = 4096;
/** Beyond this many optional parts only the pattern with all of them is counted (it has the most tokens). */
const COUNTED_VARIANTS_UP_TO = 6;

const parser = new RegExpParser({ ecmaVersion: 2025 });

/**
 * The most ways any variant of the pattern can split a text (an upper bound on the paths a failing match
 * tries), or Infinity for an unbounded quantifier.
 */
export function patternWays(pattern: string): number {
  const optional = pattern.split('[').length - 1;
  const variants = optional <= COUNTED_VARIANTS_UP_TO ? patternVariants(pattern) : [pattern.replace(/[[\]]/g, '')];
  let most = 1;
  for (const variant of variants) {
    const regex = DateTime.fromFormatExplain('', variant).regex;
    if (regex === undefined) continue;
    most = Math.max(most, ways(parser.parsePattern(regex.source, 0, regex.source.length, { unicode: regex.unicode })));
  }
  return most;
}

/** A reason to refuse the pattern, or null when its cost is bounded. */
export function patternCostProblem(pattern: string): string | null {
  const count = patternWays(pattern);
  if (count <= MAX_PATTERN_WAYS) return null;
  return `timestampFormat '${pattern}' can read a text in ${Number.isFinite(count) ? count : 'unbounded'} ways (more than ${MAX_PATTERN_WAYS}): fields of variable width stand side by side (d, M, H, y take one or more digits); write them at a fixed width (dd, MM, HH, yyyy) or put a separator between them`;
}

type Node = AST.Pattern | AST.Alternative | AST.Element;

function ways(node: Node): number {
  switch (node.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup':
    case 'Assertion':
      // Luxon's alternatives are words (month and day names, AM/PM, eras): at most one reads a text.
      return 'alternatives' in node ? Math.max(1, ...node.alternatives.map(ways)) : 1;
    case 'Alternative':
      return node.elements.reduce((product, element) => product * ways(element), 1);
    case 'Quantifier': {
      if (!Number.isFinite(node.max)) return Number.POSITIVE_INFINITY;
      const inner = ways(node.element);
      let total = 0;
      for (let times = node.min; times <= node.max; times++) total += inner ** times;
      return total;
    }
    default:
      return 1; // a character, a class, a backreference: one way
  }
}
