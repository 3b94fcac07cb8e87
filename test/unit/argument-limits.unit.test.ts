/** Caps on the values an operation carries, before anything is made of them (issue 32). */
import { parse } from 'graphql';
import { jsonListEntries, jsonValueProblem, literalProblem } from '../../src/graphql/argument-limits';
import { documentSize, repeatedSelectionProblem } from '../../src/graphql/limits';

const limits = { maxStringBytes: 16, maxListLength: 3 };

describe('jsonValueProblem', () => {
  it('takes values inside every cap', () => {
    expect(
      jsonValueProblem({ a: ['x', 'y', 'z'], b: { c: 'sixteen-bytes-ok', n: 1, z: null } }, 'variables', limits),
    ).toBeNull();
    expect(jsonValueProblem(undefined, 'variables', limits)).toBeNull();
  });

  it('names the path and the limit of a string over its bytes (UTF-8, not characters), a list or an object over its entries', () => {
    expect(jsonValueProblem({ a: { b: 'x'.repeat(17) } }, 'variables', limits)).toMatch(
      /^variables\.a\.b is a string of 17 bytes; .*at most 16 \(GRAPHQL_MAX_STRING_BYTES\)/,
    );
    expect(jsonValueProblem({ a: 'é'.repeat(9) }, 'variables', limits)).toMatch(/18 bytes/);
    expect(jsonValueProblem({ a: [[1, 2, 3, 4]] }, 'variables', limits)).toMatch(
      /^variables\.a\[0\] is a list of 4 items/,
    );
    expect(jsonValueProblem({ a: 1, b: 2, c: 3, d: 4 }, 'variables', limits)).toMatch(
      /^variables is an object of 4 fields/,
    );
    expect(jsonValueProblem({ ['k'.repeat(300)]: 1 }, 'extensions', limits)).toMatch(/field name of 300 characters/);
  });

  it('refuses nesting past its depth without using the call stack, and many values in all', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(jsonValueProblem(deep, 'variables', limits)).toMatch(/nests deeper than 16 levels/);
    const wide = { maxStringBytes: 16, maxListLength: 1_000 };
    const many = Array.from({ length: 40 }, () => Array.from({ length: 1_000 }, () => 1));
    expect(jsonValueProblem({ a: many.slice(0, 30), b: many.slice(30) }, 'variables', wide)).toMatch(
      /more than 32000 values in all/,
    );
  });

  it('counts list entries at every depth', () => {
    expect(jsonListEntries({ a: [1, [2, 3]], b: { c: [4] } })).toBe(2 + 2 + 1);
  });
});

describe('literalProblem', () => {
  it('names the argument, its field and the limit of an inline string, number, list or object', () => {
    expect(literalProblem(parse('{ account(id: "x") { id } }'), limits)).toBeNull();
    expect(literalProblem(parse(`{ account(id: "${'x'.repeat(17)}") { id } }`), limits)).toMatch(
      /^argument id of account is a value of 17 bytes; .*at most 16 \(GRAPHQL_MAX_STRING_BYTES\)/,
    );
    expect(literalProblem(parse(`{ a(n: ${'9'.repeat(17)}) }`), limits)).toMatch(/argument n of a/);
    expect(literalProblem(parse('{ a(ids: [1, 2, 3, 4]) }'), limits)).toMatch(/argument ids of a is a list of 4 items/);
    expect(literalProblem(parse('{ a(o: { l: [[1, 2, 3, 4]] }) }'), limits)).toMatch(/list of 4 items/);
    expect(literalProblem(parse('{ a(o: { a: 1, b: 2, c: 3, d: 4 }) }'), limits)).toMatch(/object of 4 fields/);
    expect(literalProblem(parse(`query($v: String = "${'x'.repeat(17)}") { a(s: $v) }`), limits)).toMatch(
      /^the default of \$v/,
    );
  });
});

describe("documentSize (what Apollo's document cache is charged)", () => {
  it('counts the source a comment pads and the comment tokens, which JSON.stringify(document) leaves out', () => {
    const padded = parse(`{ meters } # ${'x'.repeat(60_000)}`);
    expect(JSON.stringify(padded).length).toBeLessThan(1_000);
    expect(documentSize(padded)).toBeGreaterThanOrEqual(120_000);
    const commentLines = parse(`{ meters }\n${'#\n'.repeat(30_000)}`);
    expect(documentSize(commentLines)).toBeGreaterThanOrEqual(30_000 * 512);
  });
});

describe('repeatedSelectionProblem', () => {
  it('takes ordinary documents, the same field under different parents, and leaves syntax errors to the parser', () => {
    expect(repeatedSelectionProblem('{ invoices(month: "2026-10") { nodes { meter totalKwh } } meters }')).toBeNull();
    const nested = `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: account(id: "${i}") { id name }`).join(' ')} }`;
    expect(repeatedSelectionProblem(nested)).toBeNull();
    expect(repeatedSelectionProblem('{ meters')).toBeNull();
  });

  it('counts a response name in one selection set with its inline fragments and fragment spreads', () => {
    expect(repeatedSelectionProblem(`{ ${'billingSettings { zone } '.repeat(400)} }`)).toMatch(
      /^'billingSettings' is selected more than 10 times in one selection set/,
    );
    const spread = Array.from({ length: 11 }, (_, i) => `...F${i}`).join(' ');
    const fragments = Array.from({ length: 11 }, (_, i) => `fragment F${i} on Query { meters }`).join(' ');
    expect(repeatedSelectionProblem(`{ ${spread} } ${fragments}`)).toMatch(/^'meters' is selected/);
    expect(repeatedSelectionProblem(`{ ${'... on Query { meters } '.repeat(11)} }`)).toMatch(/^'meters'/);
    // The same fragment spread again in one set is compared once by validation, so counted once; a chain
    // of such spreads 20 deep is counted in linear time, not 2^20.
    const doubling = Array.from({ length: 20 }, (_, i) => `fragment D${i + 1} on Query { ...D${i} ...D${i} }`);
    expect(repeatedSelectionProblem(`{ ...D20 } fragment D0 on Query { meters } ${doubling.join(' ')}`)).toBeNull();
    // Distinct fragments that each double the count do add up (saturating at the limit).
    const distinct = Array.from(
      { length: 6 },
      (_, i) => `fragment A${i + 1} on Query { ...A${i} ...B${i} } fragment B${i + 1} on Query { ...A${i} ...B${i} }`,
    );
    expect(
      repeatedSelectionProblem(
        `{ ...A6 } fragment A0 on Query { meters } fragment B0 on Query { meters } ${distinct.join(' ')}`,
      ),
    ).toMatch(/^'meters'/);
    // A fragment cycle is validation's to report, not a hang here.
    expect(repeatedSelectionProblem('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }')).toBeNull();
  });
});
