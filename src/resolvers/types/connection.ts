import { Field, ObjectType } from 'type-graphql';

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** Turns a read-model page into the connection fields every list shares. */
export function connectionOf<T, N>(
  page: { totalCount: number; hasNextPage: boolean; items: Array<{ cursor: string; node: T }> },
  toNode: (item: T) => N,
): { totalCount: number; edges: Array<{ cursor: string; node: N }>; pageInfo: PageInfo } {
  const edges = page.items.map((item) => ({ cursor: item.cursor, node: toNode(item.node) }));
  return {
    totalCount: page.totalCount,
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges[edges.length - 1]?.cursor ?? null },
  };
}

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 500;
