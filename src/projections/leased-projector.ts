import type { Logger } from '../logger';
import type { LeaseGrant, ProjectorFence, ProjectorLease } from '../ports/projection-state';

export interface LeaderWork {
  /** Starts what only the lease holder runs (projections, the price schedule). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeasedProjectorOptions {
  holder: string;
  ttlMs: number;
  now?: () => number;
}

/** The grant this process holds, as the leased projector (or a CLI tool holding the lease) sets it. */
export class LeaseFence implements ProjectorFence {
  private grant: LeaseGrant | null;
  private readonly watchers = new Set<(grant: LeaseGrant | null) => void>();

  constructor(grant: LeaseGrant | null = null) {
    this.grant = grant;
  }

  current(): LeaseGrant | null {
    return this.grant;
  }

  hold(grant: LeaseGrant | null): void {
    this.grant = grant;
    for (const watcher of this.watchers) watcher(grant);
  }

  /** Calls `watcher` with every grant held from now on (the projector thread fences its writes with it). */
  watch(watcher: (grant: LeaseGrant | null) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}

/**
 * Runs the leader's work only while this process holds the projector lease: it tries to take the lease
 * every third of its lifetime, renews it on the same beat, and stops the work as soon as a renewal
 * fails, before the lease can run out and another projector take over.
 */
export class LeasedProjector {
  private timer: NodeJS.Timeout | null = null;
  private leading = false;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(
    private readonly lease: ProjectorLease,
    private readonly work: LeaderWork,
    private readonly options: LeasedProjectorOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
    /** Where the work's writes find the current grant (fenced with its token). */
    private readonly fence = new LeaseFence(),
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries once at once (so a lone process starts leading before it serves), then on every beat. */
  async start(): Promise<void> {
    await this.beat();
    const interval = Math.max(100, Math.floor(this.options.ttlMs / 3));
    this.timer = setInterval(() => {
      this.tick = this.tick.then(() => this.beat());
    }, interval);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const now = (this.options.now ?? Date.now)();
    let token: number | null;
    try {
      token = await this.lease.tryAcquire(this.options.holder, this.options.ttlMs, now);
    } catch (error) {
      this.log.warn('projector lease could not be renewed', { error: String(error) });
      token = null;
    }
    if (token !== null && this.leading && this.fence.current()?.token !== token) {
      // The lease ran out before this renewal (a long pause) and was granted anew: writes made under the
      // old token are refused from now on, so the work restarts from what the store holds.
      this.log.warn('the projector lease ran out and was taken again: restarting projections', {
        holder: this.options.holder,
      });
      this.fence.hold(null);
      this.leading = false;
      await this.work.stop();
    }
    if (token !== null && !this.leading) {
      this.leading = true;
      this.fence.hold({ holder: this.options.holder, token });
      this.log.info('took the projector lease: running projections', { holder: this.options.holder, token });
      try {
        await this.work.start();
      } catch (error) {
        this.log.error('projector failed to start; giving the lease up', { error: String(error) });
        await this.resign();
      }
    } else if (token === null && this.leading) {
      this.log.warn('lost the projector lease: stopping projections', { holder: this.options.holder });
      // Refuse the work's writes at once, before it has stopped: another projector may hold the lease.
      this.fence.hold(null);
      this.leading = false;
      await this.work.stop();
    }
  }

  private async resign(): Promise<void> {
    this.leading = false;
    await this.work.stop().catch(() => undefined);
    this.fence.hold(null);
    await this.lease.release(this.options.holder).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.tick;
    if (this.leading) await this.resign();
  }
}

/** A replay asked of a process that does not hold the projector lease. */
export class ProjectorNotHereError extends Error {
  constructor(role: string) {
    super(
      role === 'api'
        ? 'projections run in the projector process (ROLE=projector), not in this API instance: stop the projector and run `npm run replay` against the same backends, or ask an instance with ROLE=all'
        : 'another process holds the projector lease and runs the projections: ask that instance, or stop it and run `npm run replay`',
    );
    this.name = 'ProjectorNotHereError';
  }
}
