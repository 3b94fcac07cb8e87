/** Lets a command or query wait until the read models have seen a position of the event log. */
export interface ConsistencyWaiter {
  /** Resolves true once every projection passed `position` (or the log head when omitted), false on timeout. */
  waitForPosition(position: string | null, timeoutMs: number): Promise<boolean>;
}
