import type { AddressInfo } from 'node:net';
import express from 'express';
import { REST_AUTH_HEADER, verifyRestAuthHeader } from '../../lib/twocheckout';

/** An order as 2Checkout's REST API 6.0 returns it (the fields the service reads). */
export interface StandInOrder {
  RefNo: string;
  OrderNo?: string;
  ExternalReference: string;
  Status: string;
  ApproveStatus: string;
  Currency: string;
  GrossPrice: string | number;
  TestOrder?: boolean;
}

/** A 50.00 RUB test order of 2Checkout's REST API paying `invoiceId`. */
export const standInOrder = (refNo: string, invoiceId: string, status = 'COMPLETE'): StandInOrder => ({
  RefNo: refNo,
  ExternalReference: invoiceId,
  Status: status,
  ApproveStatus: 'OK',
  Currency: 'RUB',
  GrossPrice: '50.00',
  TestOrder: true,
});

/**
 * A minimal stand-in for 2Checkout's REST API until the sandbox exists: real HTTP, the real authentication check
 * (protocol module), orders the test puts in. Answers 401 to a bad `X-Avangate-Authentication`, 404 to unknown orders.
 */
export async function startTwoCheckoutStandIn(merchants: Map<string, string> /* merchant code → Secret Key */) {
  const orders = new Map<string, StandInOrder>();
  const holds = new Map<string, { promise: Promise<void>; release: () => void }>();
  const requests: string[] = [];
  const app = express();
  // the api registers `sandbox` merchants with their 2Checkout; the test says which keys the stand-in holds
  app.put('/api/merchants/:code', (_req, res) => void res.json({}));
  app.use((req, res, next) => {
    requests.push(`${req.method} ${req.originalUrl}`);
    const auth = verifyRestAuthHeader(req.get(REST_AUTH_HEADER), {
      secretKeyFor: (code) => merchants.get(code),
      now: new Date(),
      maxSkewMs: 10 * 60_000,
    });
    if (!auth.ok) {
      res.status(401).json({ error_code: 'AUTHENTICATION_ERROR', message: auth.reason });
      return;
    }
    next();
  });
  app.get('/rest/6.0/orders/', (req, res) => {
    const ref = typeof req.query.ExternalRefNo === 'string' ? req.query.ExternalRefNo : '';
    res.json({ Items: [...orders.values()].filter((o) => o.ExternalReference === ref), Pagination: {} });
  });
  app.get('/rest/6.0/orders/:refNo/', async (req, res) => {
    await holds.get(req.params.refNo)?.promise; // a test holding this order's answer
    const order = orders.get(req.params.refNo);
    if (!order) res.status(404).json({ error_code: 'NOT_FOUND', message: 'Order not found' });
    else res.json(order);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    orders,
    requests,
    /** Keeps `GET /orders/{refNo}/` waiting until the returned function is called. */
    hold(refNo: string): () => void {
      let release = () => {};
      const promise = new Promise<void>((resolve) => (release = resolve));
      holds.set(refNo, { promise, release });
      return () => {
        holds.delete(refNo);
        release();
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
