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
  Items?: { LineItemReference: string; Price: { GrossPrice: number } }[];
}

/**
 * How the stand-in answers `POST /orders/{RefNo}/refund/`: `true`; a refusal in 2Checkout's words; 503; or the
 * connection dropped once the request has arrived (it reached 2Checkout, and no answer says what became of it).
 */
export type StandInRefundAnswer = 'accept' | 'refuse' | 'unavailable' | 'drop';

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
  const refunds: { refNo: string; body: unknown; answered: StandInRefundAnswer }[] = [];
  let refundAnswer: StandInRefundAnswer = 'accept';
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
  app.post('/rest/6.0/orders/:refNo/refund/', express.json(), (req, res) => {
    refunds.push({ refNo: req.params.refNo, body: req.body, answered: refundAnswer });
    if (refundAnswer === 'accept') res.json(true);
    else if (refundAnswer === 'refuse')
      res.status(400).json({ error_code: 'REFUND_NOT_ALLOWED', message: 'You already have a pending refund request.' });
    else if (refundAnswer === 'unavailable') res.status(503).json({ message: 'Service Unavailable' });
    else req.socket.destroy();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    orders,
    requests,
    /** Every refund request that reached the stand-in, with how it was answered. */
    refunds,
    answerRefunds(answer: StandInRefundAnswer) {
      refundAnswer = answer;
    },
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
