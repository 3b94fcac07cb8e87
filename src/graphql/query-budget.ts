import type { ApolloServerPlugin } from '@apollo/server';
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
import { TokenBuckets } from './token-buckets';

/** A list field asked for without `first` answers this many items (the lists' default page). */
const DEFAULT_PAGE = 50;
/** The largest `first` a list takes. */
const MAX_PAGE = 500;
/** Hourly prices: what a day of `prices(from, to)` costs (15-minute prices would be four times as many). */
const PRICE_POINTS_PER_DAY = 24;

/**
 * What a query will cost, in items it asks for: each list field its `first` (50 without), a date range
 * its days (a day of prices 24), `lastMonths` its months, summed over every field and alias, nested
 * lists added. An estimate from the document alone, before anything runs; at least 1.
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
  const value = (node: ValueNode): unknown => {
    switch (node.kind) {
      case Kind.VARIABLE:
        // The caller names the variable: `$constructor` is not Object's.
        return ownValue(variables, node.name.value);
      case Kind.INT:
        return Number(node.value);
      case Kind.STRING:
        return node.value;
      default:
        return undefined;
    }
  };
  const seen = new Set<string>();
  const costOf = (selectionSet: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment !== undefined && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          cost += costOf(fragment.selectionSet);
          seen.delete(fragment.name.value);
        }
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += costOf(selection.selectionSet);
        continue;
      }
      const args = new Map((selection.arguments ?? []).map((arg) => [arg.name.value, value(arg.value)]));
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

/** Refuses a query over its caller's budget with TOO_MANY_REQUESTS (HTTP 429) and the wait, before it runs. */
export function queryBudgetPlugin(budget: QueryBudget): ApolloServerPlugin<GraphQLContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation, document, request, contextValue }) => {
          if (operation?.operation !== 'query') return Promise.resolve();
          const cost = queryCost(document, operation, request.variables ?? {});
          const refusal = budget.refusal(budgetHolder(contextValue), cost);
          return refusal === null ? Promise.resolve() : Promise.reject(refusal);
        },
      }),
  };
}
