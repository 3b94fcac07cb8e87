/**
 * The routes every role serves for the people who run it: /healthz (the process answers), /readyz (the
 * backends answer and the projections it is there to run are running) and /metrics (Prometheus).
 */
import type express from 'express';
import type { Config } from '../config';
import type { HealthCheck } from '../ports/health-check';
import type { ProjectionEngine, ProjectionStatus } from '../projections/runner';

/** How long a readiness probe waits for each backend. */
const HEALTH_TIMEOUT_MS = 2_000;

export interface HealthRoutesOptions {
  role: Config['role'];
  maxLagSeconds: number;
  backends: readonly HealthCheck[];
  /** The process's hold on the projector lease; null in an API-only process. */
  projector: { readonly isLeader: boolean } | null;
  projections: Pick<ProjectionEngine, 'status'>;
  /** How far behind the log each projection is. */
  progress: () => Promise<Array<{ name: string; lagSeconds: number }>>;
  metrics: { contentType: string; render(): Promise<string> };
  /**
   * Whether a request's Authorization may read why the process is not ready (a valid key of any role,
   * or AUTH=off): failures name files, hosts and projections. Anyone else learns ready or not only.
   */
  mayReadDetails: (authorization: string | undefined) => Promise<boolean>;
}

export function healthRoutes(app: express.Express, options: HealthRoutesOptions): void {
  const { role, metrics } = options;
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', role });
  });
  app.get('/readyz', (req, res) => {
    void Promise.all([readiness(options), options.mayReadDetails(req.headers.authorization).catch(() => false)]).then(
      ([report, details]) => {
        res
          .status(report.status === 'ready' ? 200 : 503)
          .json(details ? { ...report, role } : { status: report.status });
      },
    );
  });
  app.get('/metrics', (_req, res) => {
    metrics.render().then(
      (text) => res.type(metrics.contentType).send(text),
      (error: unknown) =>
        res
          .status(503)
          .type('text/plain')
          .send(`metrics unavailable: ${String(error)}\n`),
    );
  });
}

interface ReadinessReport {
  status: 'ready' | 'degraded';
  /** Why it is degraded, one line each. */
  problems: string[];
  backends: Array<{ name: string; ok: boolean; error?: string }>;
  projector: { leader: boolean } | null;
  projections: Array<ProjectionStatus & { lagSeconds: number | null }>;
}

/**
 * Ready when every backend answers and the projections this process is there to run are running: not
 * failing, not stalled (the oldest event a projection has not handled is at most `maxLagSeconds` old),
 * and, in ROLE=all, this process holds the projector lease (it alone can project). A standby projector
 * (ROLE=projector without the lease) and API instances report lag but are not made unready by it.
 */
async function readiness(options: HealthRoutesOptions): Promise<ReadinessReport> {
  const { projector, projections, progress } = options;
  const problems: string[] = [];
  const backendsReport = await Promise.all(
    options.backends.map(async (health) => {
      try {
        await withTimeout(
          health.check(),
          HEALTH_TIMEOUT_MS,
          `${health.name} did not answer in ${HEALTH_TIMEOUT_MS} ms`,
        );
        return { name: health.name, ok: true };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(`backend ${health.name}: ${message}`);
        return { name: health.name, ok: false, error: message };
      }
    }),
  );
  const leader = projector?.isLeader === true;
  if (options.role === 'all' && projector !== null && !leader) {
    problems.push('this process runs the projections but does not hold the projector lease: they are not running');
  }
  const running = leader ? projections.status() : [];
  for (const p of running) if (p.failed !== null) problems.push(`projection ${p.name} is failing: ${p.failed}`);
  let lags: Map<string, number> | null = null;
  try {
    lags = new Map(
      (await withTimeout(progress(), HEALTH_TIMEOUT_MS, 'projection progress did not answer in time')).map((p) => [
        p.name,
        p.lagSeconds,
      ]),
    );
  } catch (error) {
    problems.push(`projection progress unknown: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (leader && lags !== null) {
    for (const [name, lag] of lags) {
      if (lag > options.maxLagSeconds)
        problems.push(`projection ${name} is ${Math.round(lag)} s behind the log (READY_MAX_LAG_SECONDS)`);
    }
  }
  const names = running.length > 0 ? running.map((p) => p.name) : [...(lags?.keys() ?? [])];
  return {
    status: problems.length === 0 ? 'ready' : 'degraded',
    problems,
    backends: backendsReport,
    projector: projector === null ? null : { leader },
    projections: names.map((name) => {
      const live = running.find((p) => p.name === name);
      return {
        name,
        position: live?.position ?? null,
        failed: live?.failed ?? null,
        lagSeconds: lags?.get(name) ?? null,
      };
    }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
