/**
 * Callers waiting until the projections have reached a log position: the runner and the projector
 * thread keep one each, and settle it whenever a projection's position moves.
 */
export class PositionWaiters {
  private waiters: Array<{ position: string; resolve: (reached: boolean) => void }> = [];

  /** `reached` tells whether every projection has passed a position now. */
  constructor(private readonly reached: (position: string) => boolean) {}

  /** Resolves true once `position` is reached (at once when it is), false after `timeoutMs`. */
  wait(position: string, timeoutMs: number): Promise<boolean> {
    if (this.reached(position)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves the waiters whose position is now reached. */
  settle(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (!this.reached(waiter.position)) return true;
      waiter.resolve(true);
      return false;
    });
  }

  /** Resolves every waiter false (the projections stopped). */
  giveUp(): void {
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }
}
