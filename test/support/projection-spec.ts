/** Given/when/then for pure evolve functions: fold the given events, then check the state. */
export function foldAll<S, E>(evolve: (state: S, event: E) => S, initial: S, events: readonly E[]): S {
  return events.reduce(evolve, initial);
}

export const projectionSpec = <S, E>(evolve: (state: S, event: E) => S, initial: S) => ({
  given: (...events: E[]) => ({
    /** The state after the events, and after the same events delivered a second time. */
    then: (assert: (state: S) => void) => {
      const once = foldAll(evolve, initial, events);
      assert(once);
      const twice = foldAll(evolve, once, events);
      expect(twice).toEqual(once);
    },
  }),
});
