import { FencedOffError } from './read-store-errors';

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
  /**
   * Takes or renews the lease for `holder` until `now + ttlMs`: answers its fencing token, or null while
   * another holder has it. A renewal keeps the token; every new tenure (a take-over, or a holder whose
   * lease ran out taking it again) gets a larger one.
   */
  tryAcquire(holder: string, ttlMs: number, now: number): Promise<number | null>;
  /** Gives the lease up, if `holder` has it (its token is kept, so the next tenure's is larger). */
  release(holder: string): Promise<void>;
}

/** A tenure of the projector lease: who holds it and the token it was granted. */
export interface LeaseGrant {
  holder: string;
  token: number;
}

/**
 * The tenure a projector's read-model writes are made under. Every commit checks it inside its own
 * transaction, so a paused old holder that wakes after another took over cannot overwrite the new
 * holder's work: its writes are refused (`FencedOffError`) instead.
 */
export interface ProjectorFence {
  /** The grant this process holds now, or null when it holds none (every write is then refused). */
  current(): LeaseGrant | null;
}

/**
 * The rule every store's fence check applies: the fence's grant, when the stored lease still names its
 * holder and token; refused (`FencedOffError`) when this process holds no grant or another tenure began.
 */
export function requireGrant(
  fence: ProjectorFence,
  lease: { holder: string; token: number } | null | undefined,
): LeaseGrant {
  const grant = fence.current();
  if (grant === null) throw new FencedOffError('this process does not hold the projector lease: write refused');
  if (lease?.holder !== grant.holder || lease.token !== grant.token) {
    throw new FencedOffError(
      `the projector lease passed to ${lease?.holder ?? 'nobody'} (token ${lease?.token ?? 0}) after this process took it with token ${grant.token}: write refused`,
    );
  }
  return grant;
}
