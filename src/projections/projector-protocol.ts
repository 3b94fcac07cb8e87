/** Messages between the service's main thread and its projector thread (`app/projector-worker.ts`). */
import type { Config } from '../config';
import type { LeaseGrant } from '../ports/projection-state';
import type { ProjectionStatus, RebuildReport } from './runner';

/** What the projector thread is started with (`workerData`). */
export interface ProjectorWorkerData {
  config: Config;
  /** The lease tenure its writes are fenced with from the start. */
  grant: LeaseGrant | null;
}

export type ToProjector =
  /** Rebuild what changed version, then run every projection live. */
  | { kind: 'start' }
  /** The lease tenure changed (null: lost): writes are fenced with it from now on. */
  | { kind: 'grant'; grant: LeaseGrant | null }
  /** Another connection appended to the embedded log. */
  | { kind: 'appended' }
  | { kind: 'rebuild'; id: number; names: string[] | null }
  /** The projector lease, taken or renewed on the thread's connection (see `ProjectorThread.leaseThrough`). */
  | { kind: 'lease'; id: number; op: 'acquire'; holder: string; ttlMs: number; now: number }
  | { kind: 'lease'; id: number; op: 'release'; holder: string }
  /** Stop the projections, close the backends and exit. */
  | { kind: 'stop' };

/** An error thrown in the projector thread, as the main thread rebuilds it. */
export interface ErrorReport {
  name: string;
  message: string;
  /** For `UnknownProjectionError`. */
  unknown?: string[];
  known?: string[];
}

export type FromProjector =
  | { kind: 'started' }
  | { kind: 'startFailed'; error: ErrorReport }
  | { kind: 'progress'; status: ProjectionStatus[] }
  | { kind: 'rebuilt'; id: number; report: RebuildReport }
  | { kind: 'rebuildFailed'; id: number; error: ErrorReport }
  | { kind: 'leaseAnswer'; id: number; token: number | null }
  | { kind: 'leaseFailed'; id: number; error: ErrorReport }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }
  | { kind: 'stopped' };
