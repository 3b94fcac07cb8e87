/** A query's cost from its document alone, and each caller's budget of items a second. */
import { getOperationAST, parse } from 'graphql';
import { QueryBudget, queryCost } from '../../src/graphql/query-budget';

const cost = (source: string, variables: Record<string, unknown> = {}) => {
  const document = parse(source);
  return queryCost(document, getOperationAST(document)!, variables);
};

describe('queryCost', () => {
  it('counts what a query asks for: first, days of a range (24 a day of prices), months, over every alias', () => {
    expect(cost('{ meters }')).toBe(1);
    expect(cost('{ invoices(month: "2026-10", first: 500) { totalCount } }')).toBe(500);
    expect(cost('{ invoices(month: "2026-10") { totalCount } }')).toBe(50);
    expect(cost('query($n: Int) { uploads(first: $n) { totalCount } }', { n: 20 })).toBe(20);
    expect(cost('{ dailyUsage(meter: "M", from: "2026-10-01", to: "2026-10-31") { date } }')).toBe(31);
    expect(cost('{ prices(from: "2026-10-01", to: "2026-10-31") { start } }')).toBe(31 * 24);
    expect(cost('{ invoiceSummary(meter: "M", lastMonths: 12) { month } }')).toBe(12);
    const aliases = Array.from(
      { length: 15 },
      (_, i) => `a${i}: invoices(month: "2026-10", first: 500) { totalCount }`,
    );
    expect(cost(`{ ${aliases.join(' ')} }`)).toBe(7_500);
  });

  it('adds nested lists and fragments, and counts a field its resolver refuses before any work as 1', () => {
    expect(cost('{ accounts(first: 10) { edges { node { invoices(lastMonths: 12) { number } } } } }')).toBe(22);
    expect(cost('fragment F on Query { uploads(first: 5) { totalCount } } { ...F ... on Query { meters } }')).toBe(5);
    expect(cost('{ prices(from: "0000-01-01", to: "9999-12-31") { start } }')).toBe(1);
    expect(cost('{ invoices(month: "2026-10", first: 100000) { totalCount } }')).toBe(1);
  });
});

describe('queryCost of list arguments and fragments (issue 32)', () => {
  it('charges every list argument its entries: inline, in a variable, nested, or a default', () => {
    const ids = Array.from({ length: 700 }, (_, i) => `A${i}`);
    expect(cost('query($ids: [ID!]) { draftInvoices(month: "2026-10", accounts: $ids) { account } }', { ids })).toBe(
      700,
    );
    expect(cost('{ draftInvoices(month: "2026-10", accounts: ["a", "b", "c"]) { account } }')).toBe(3);
    expect(
      cost('query($ids: [ID!] = ["a", "b"]) { draftInvoices(month: "2026-10", accounts: $ids) { account } }'),
    ).toBe(2);
    expect(
      cost('mutation($t: TariffInput!) { changeTariff(account: "a", from: "2026-10-01", tariff: $t) { id } }', {
        t: { kind: 'FIXED', rates: [{ from: '08:00' }, { from: '20:00' }] },
      }),
    ).toBe(2);
    expect(
      cost(
        `query($ids: [ID!]) { ${[0, 1, 2, 3].map((i) => `a${i}: draftInvoices(month: "2026-10", accounts: $ids) { account }`).join(' ')} }`,
        { ids },
      ),
    ).toBe(2_800);
  });

  it('scores a fragment once per selection set and once in all, however often it is spread', () => {
    const fragments = Array.from(
      { length: 3 },
      (_, i) => `fragment F${i} on Query { ${Array.from({ length: 300 }, () => `...F${i + 1}`).join(' ')} }`,
    ).join('\n');
    expect(cost(`{ ...F0 }\n${fragments}\nfragment F3 on Query { uploads(first: 5) { totalCount } }`)).toBe(5);
    // Spread under two aliases it is fetched twice, and costs twice.
    expect(
      cost('fragment F on Query { uploads(first: 5) { totalCount } } { a: meters ...F b: account(id: "x") { id } }'),
    ).toBe(5);
  });
});

describe('QueryBudget', () => {
  it('lets a caller ask for its burst at once, then its rate a second, each caller apart', () => {
    let now = 1_000_000;
    const budget = new QueryBudget({ perSecond: 1_000, burst: 3_000 }, () => now);
    expect(budget.refusal('a', 2_000)).toBeNull();
    expect(budget.refusal('a', 1_000)).toBeNull();
    const refused = budget.refusal('a', 1_500);
    expect(refused?.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: 2 });
    expect(budget.refusal('b', 3_000)).toBeNull();
    now += 1_500;
    expect(budget.refusal('a', 1_500)).toBeNull();
    expect(budget.refusal('a', 3_001)?.message).toMatch(/more than one query may \(QUERY_COST_BURST 3000\)/);
  });
});
