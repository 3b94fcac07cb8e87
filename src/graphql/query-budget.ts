import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { daysInRange, MAX_RANGE_DAYS } from '../domain/billing/calendar';
import { ownValue } from '../domain/json-dictionary';
import type { GraphQLContext } from '../resolvers/context';
import { jsonListEntries } from './argument-limits';
import { TokenBuckets } from './token-buckets';

/** A list field asked for without `first` answers this many items (the lists' default page). */
const DEFAULT_PAGE = 50;
/** The largest `first` a list takes. */
const MAX_PAGE = 500;
/** Hourly prices: what a day of `prices(from, to)` costs (15-minute prices would be four times as many). */
const PRICE_POINTS_PER_DAY = 24;

/**
 * What a query will cost, in items it asks for: each list field its `first` (50 without), a date range
 * its days (a day of prices 24), `lastMonths` its months, and every list argument its entries (a
 * variable's list as sent, nested lists and lists inside input objects too), summed over every field
 * and alias, nested lists added. An estimate from the document alone, before anything runs; at least 1.
 * Each fragment is costed once and its cost added wherever it is spread (once per selection set, as
 * execution merges the rest), so scoring takes time linear in the document: walking every spread again
 * took 49 s for 5 KB of three fragments each spreading the next 300 times.
 */
export function queryCost(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue !== undefined) defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  // The caller names the variable: `$constructor` is not Object's.
  const variable = (name: string): unknown => ownValue(variables, name);
  const value = (node: ValueNode): unknown => {
    switch (node.kind) {
      case Kind.VARIABLE:
        return variable(node.name.value);
      case Kind.INT:
        return Number(node.value);
      case Kind.STRING:
        return node.value;
      default:
        return undefined;
    }
  };
  const listEntriesOfVariable = new Map<string, number>();
  const listEntries = (node: ValueNode): number => {
    switch (node.kind) {
      case Kind.LIST:
        return node.values.reduce((sum, item) => sum + listEntries(item), node.values.length);
      case Kind.OBJECT:
        return node.fields.reduce((sum, field) => sum + listEntries(field.value), 0);
      case Kind.VARIABLE: {
        const name = node.name.value;
        let entries = listEntriesOfVariable.get(name);
        if (entries === undefined) {
          const sent = variable(name);
          const fallback = defaults.get(name);
          entries = sent !== undefined ? jsonListEntries(sent) : fallback !== undefined ? listEntries(fallback) : 0;
          listEntriesOfVariable.set(name, entries);
        }
        return entries;
      }
      default:
        return 0;
    }
  };
  const fragmentCosts = new Map<string, number>();
  const costOf = (selectionSet: SelectionSetNode): number => {
    let cost = 0;
    // A fragment spread again in the same selection set adds nothing: execution merges it.
    const spread = new Set<string>();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (spread.has(name)) continue;
        spread.add(name);
        let fragmentCost = fragmentCosts.get(name);
        if (fragmentCost === undefined) {
          // Marked first: a cycle (refused by validation anyway) cannot recurse for ever.
          fragmentCosts.set(name, 0);
          const fragment = fragments.get(name);
          fragmentCost = fragment === undefined ? 0 : costOf(fragment.selectionSet);
          fragmentCosts.set(name, fragmentCost);
        }
        cost += fragmentCost;
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += costOf(selection.selectionSet);
        continue;
      }
      const args = new Map((selection.arguments ?? []).map((arg) => [arg.name.value, value(arg.value)]));
      for (const arg of selection.arguments ?? []) cost += listEntries(arg.value);
      const first = args.get('first');
      const from = args.get('from');
      const to = args.get('to');
      const lastMonths = args.get('lastMonths');
      // Past its bound an argument is refused by its resolver before any work, with a clearer message
      // than a budget's: such a field costs 1.
      if (typeof first === 'number') cost += first > MAX_PAGE ? 1 : Math.max(0, first);
      else if (typeof from === 'string' && typeof to === 'string') {
        const days = daysInRange(from, to);
        if (days > MAX_RANGE_DAYS) cost += 1;
        else cost += selection.name.value === 'prices' ? days * PRICE_POINTS_PER_DAY : days;
      } else if (typeof lastMonths === 'number') cost += Math.max(0, lastMonths);
      else if (
        args.has('first') ||
        ['uploads', 'invoices', 'rejectedRows', 'accounts'].includes(selection.name.value)
      ) {
        cost += DEFAULT_PAGE;
      }
      if (selection.selectionSet !== undefined) cost += costOf(selection.selectionSet);
    }
    return cost;
  };
  return Math.max(1, costOf(operation.selectionSet));
}

export interface QueryBudgetSettings {
  /** Items a caller may ask for a second, on average. */
  perSecond: number;
  /** Items a caller may ask for at once, and the most one query may cost. */
  burst: number;
}

/** Takes a query's cost from its caller's budget; the refusal to answer when it cannot. */
export class QueryBudget {
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly settings: QueryBudgetSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new TokenBuckets(settings.burst, settings.perSecond);
  }

  /** The most one request may cost (QUERY_COST_BURST). */
  get maxCost(): number {
    return this.settings.burst;
  }

  refusal(caller: string, cost: number): GraphQLError | null {
    if (cost > this.settings.burst) {
      return new GraphQLError(
        `this query asks for about ${cost} items, more than one query may (QUERY_COST_BURST ${this.settings.burst}); ask for fewer (a smaller first, a shorter range, fewer aliases)`,
        { extensions: { code: 'TOO_MANY_REQUESTS', cost, http: { status: 429 } } },
      );
    }
    const taken = this.buckets.take(caller, cost, this.now());
    if (taken.ok) return null;
    return new GraphQLError(
      `this caller's queries asked for more than ${this.settings.perSecond} items a second (QUERY_COST_PER_SECOND); this one (about ${cost}) can run in ${taken.retryAfterSeconds} s`,
      {
        extensions: {
          code: 'TOO_MANY_REQUESTS',
          cost,
          retryAfterSeconds: taken.retryAfterSeconds,
          http: { status: 429 },
        },
      },
    );
  }
}

/** Who a budget belongs to: the key, the fixed token, or the address of a caller without one. */
export function budgetHolder(caller: Pick<GraphQLContext, 'keyId' | 'principal' | 'clientAddress'>): string {
  return caller.keyId ?? caller.principal ?? `anonymous:${caller.clientAddress ?? 'unknown'}`;
}
