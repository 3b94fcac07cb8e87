/**
 * Arguments every resolver shares: a list's page (`PageArgs`) and its size, the read-your-writes wait, and the error of
 * an argument that cannot apply. One module, so resolvers never import each other.
 */
import { GraphQLError } from 'graphql';
import { ArgsType, Field, Int } from 'type-graphql';
import type { GraphQLContext } from './context';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from './types/connection';

/** How long `atLeast` waits for the read models. */
const CONSISTENCY_TIMEOUT_MS = 10_000;

/** An argument that cannot apply: BAD_USER_INPUT naming it. */
export const badInput = (message: string, argumentName: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });

/** A page of a list: at most `first` items after the cursor `after` (a previous page's `endCursor`). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

/** A list's `first`: the default page when absent, else 1 to the largest page. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(size) || size < 1 || size > PAGE_SIZE_MAX) {
    throw new GraphQLError(`first must be between 1 and ${PAGE_SIZE_MAX}, got ${size}`, {
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' },
    });
  }
  return size;
}

/** Waits until every projection passed the position a mutation returned (bounded). */
export async function consistentAt(context: GraphQLContext, atLeast: string | null | undefined): Promise<void> {
  if (atLeast == null) return;
  try {
    context.services.eventStore.comparePositions(atLeast, atLeast);
  } catch {
    throw badInput(`atLeast '${atLeast}' is not a position returned by a mutation`, 'atLeast');
  }
  const reached = await context.services.consistency.waitForPosition(atLeast, CONSISTENCY_TIMEOUT_MS);
  if (!reached) {
    throw new GraphQLError(`the read models did not reach position ${atLeast} within ${CONSISTENCY_TIMEOUT_MS} ms`, {
      extensions: { code: 'CONSISTENCY_TIMEOUT' },
    });
  }
}
