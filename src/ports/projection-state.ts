/** What projections keep beside their read models: versions, checkpoints, and who may run them. */

/** The version each projection's read model was built with, so a changed projection is rebuilt on start. */
export interface ProjectionVersions {
  get(name: string): Promise<number | null>;
  set(name: string, version: number): Promise<void>;
}

/** The stored checkpoint of each live projection, readable by any process (API instances wait on it). */
export interface ProjectionCheckpoints {
  get(name: string): Promise<string | null>;
}

/**
 * The right to run the projections: held by one projector at a time, renewed before it runs out, and
 * taken over by another projector once its holder stops renewing it (crashed or cut off).
 */
export interface ProjectorLease {
  /** Takes or renews the lease for `holder` until `now + ttlMs`; false while another holder has it. */
  tryAcquire(holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up, if `holder` has it. */
  release(holder: string): Promise<void>;
}
