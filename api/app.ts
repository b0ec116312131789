import express from 'express';
import { requestIds, requestLogger } from '../lib/logger';
import { requireMerchant } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, HttpError } from './errors';
import { createApiMetrics } from './metrics';
import { dashboardRoutes } from './routes/dashboard';
import { docsRoutes } from './routes/docs';
import { eventRoutes } from './routes/events';
import { invoiceRoutes } from './routes/invoices';
import { ipnRoutes } from './routes/ipn';
import { merchantAccessRoutes } from './routes/merchant-access';
import { merchantRoutes } from './routes/merchants';
import { opsRoutes } from './routes/ops';
import { productRoutes } from './routes/products';
import { publicRoutes } from './routes/public';
import { webhookRoutes } from './routes/webhooks';
import { noStore, rateLimits, securityHeaders } from './security';

/** The Express app (never listens: api/server.ts does, tests use port 0). */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Per-client rate limits count by req.ip: the client, as far as the proxies in TRUST_PROXY say.
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestIds);
  // Probes and scrapes every few seconds would drown the log; a failing readiness check logs its own line.
  if (deps.logger) app.use(requestLogger(deps.logger, { ignore: ['/healthz', '/readyz', '/metrics'] }));
  app.use(securityHeaders());
  app.use(['/v1', '/dashboard', '/order', '/pay'], noStore);
  const limits = rateLimits(deps.config.rateLimits);
  // The database is looked up at each scrape (deps.db, not a copy): tests swap it to simulate an outage.
  const metrics = deps.metrics ?? createApiMetrics({ db: () => deps.db });
  app.use(ipnRoutes(deps, metrics, limits.ipnPerMerchant)); // before any body parser: the IPN needs its raw bytes
  app.use('/v1', limits.badApiKey); // before the body is read: a client over it costs nothing more
  app.use(express.json({ limit: '100kb' }));
  const merchant = requireMerchant(deps.db);
  app.use(merchantRoutes(deps, merchant));
  app.use(merchantAccessRoutes(deps, merchant));
  app.use(productRoutes(deps, merchant));
  app.use(invoiceRoutes(deps, merchant));
  app.use(webhookRoutes(deps, merchant));
  app.use(eventRoutes(deps, merchant));
  app.use(publicRoutes(deps, limits));
  app.use(dashboardRoutes(deps, limits));
  app.use(opsRoutes(deps, metrics));
  app.use(docsRoutes(deps));
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'No such endpoint')));
  app.use(
    errorHandler(
      (err) => deps.log('unhandled error', { error: err instanceof Error ? err.stack : String(err) }),
      () => deps.config.publicUrl,
    ),
  );
  return app;
}
