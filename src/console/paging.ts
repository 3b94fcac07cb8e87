/**
 * Cursor paging as a screen keeps it: the cursors of the pages seen, so "previous" goes back exactly and
 * "next" follows the API's endCursor.
 */
export interface PageState {
  /** `after` of each page visited; the first page has null. */
  trail: Array<string | null>;
}

export const firstPage = (): PageState => ({ trail: [null] });

export const currentAfter = (state: PageState): string | null => state.trail[state.trail.length - 1] ?? null;

export function nextPage(state: PageState, endCursor: string | null, hasNextPage: boolean): PageState {
  return hasNextPage && endCursor !== null ? { trail: [...state.trail, endCursor] } : state;
}

export function previousPage(state: PageState): PageState {
  return state.trail.length > 1 ? { trail: state.trail.slice(0, -1) } : state;
}

export const pageNumber = (state: PageState): number => state.trail.length;
