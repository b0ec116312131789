import { Router } from 'express';
import { requireAdmin } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiMetrics } from '../metrics';

/** How long /readyz waits for each dependency: a probe must answer well inside an orchestrator's timeout. */
const CHECK_DEADLINE_MS = 2_000;

type Check = 'ok' | 'unavailable';

/** For operators and orchestrators: liveness, readiness (database and Temporal), Prometheus metrics. */
export function opsRoutes(deps: ApiDeps, metrics: ApiMetrics) {
  const router = Router();

  /** Runs one readiness check within the deadline; the reason of a failure goes to the log, not to the caller. */
  async function check(name: string, probe: () => Promise<unknown>): Promise<Check> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_DEADLINE_MS} ms`)), CHECK_DEADLINE_MS);
        }),
      ]);
      return 'ok';
    } catch (err) {
      deps.log('readiness check failed', { check: name, error: err instanceof Error ? err.message : String(err) });
      return 'unavailable';
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET /healthz — the process is up (liveness): never looks at anything else, so a database outage restarts nothing. */
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** GET /readyz — PostgreSQL and Temporal both answer (readiness): 200, else 503 naming the check that failed. */
  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      check('database', () => deps.db.raw('select 1')),
      check('temporal', () =>
        deps.temporal.connection.withDeadline(Date.now() + CHECK_DEADLINE_MS, () =>
          deps.temporal.connection.workflowService.getSystemInfo({}),
        ),
      ),
    ]);
    const ok = database === 'ok' && temporal === 'ok';
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ok ? 'ok' : 'unavailable', checks: { database, temporal } });
  });

  /**
   * GET /metrics — Prometheus text format: IPNs, receipt latency, invoices by status, process metrics. For the admin
   * token only (Prometheus: `authorization: { credentials: … }`), as it sits on the public port.
   */
  router.get('/metrics', requireAdmin(deps.config.adminToken), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return router;
}
