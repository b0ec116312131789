import express from 'express';
import { requireMerchant } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler } from './errors';
import { dashboardRoutes } from './routes/dashboard';
import { invoiceRoutes } from './routes/invoices';
import { ipnRoutes } from './routes/ipn';
import { merchantRoutes } from './routes/merchants';
import { productRoutes } from './routes/products';
import { publicRoutes } from './routes/public';

/** The Express app (never listens: api/server.ts does, tests use port 0). */
export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(ipnRoutes(deps)); // before any body parser: the IPN needs its raw bytes
  app.use(express.json({ limit: '100kb' }));
  const merchant = requireMerchant(deps.db);
  app.use(merchantRoutes(deps, merchant));
  app.use(productRoutes(deps, merchant));
  app.use(invoiceRoutes(deps, merchant));
  app.use(publicRoutes(deps));
  app.use(dashboardRoutes(deps));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such endpoint' } });
  });
  app.use(
    errorHandler((err) => deps.log('unhandled error', { error: err instanceof Error ? err.stack : String(err) })),
  );
  return app;
}
