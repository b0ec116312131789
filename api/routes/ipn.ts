import express, { Router, type RequestHandler } from 'express';
import type { ApiDeps } from '../deps';
import { deliverAfterReceipt, receiveIpn } from '../ipn';
import type { ApiMetrics } from '../metrics';

/**
 * The IPN receiver of DESIGN.md §4: raw bytes in, read receipt out; delivery to the workflow after answering.
 * `limit` (per merchant id) runs before the body is read.
 */
export function ipnRoutes(deps: ApiDeps, metrics: ApiMetrics | undefined, limit: RequestHandler) {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.config.ipnBodyLimit });

  /** 2Checkout checks an IPN URL with a GET when the merchant saves it. */
  router.get('/ipn/2checkout/:merchantId', (_req, res) => {
    res.type('text').send('IPN endpoint');
  });

  // The receipt latency runs from the request's arrival, before its body is read, to the answer leaving.
  const timed: RequestHandler = (_req, res, next) => {
    const stop = metrics?.ipnReceiptDuration.startTimer();
    res.once('finish', () => {
      stop?.();
      if (res.statusCode === 429) metrics?.ipnAnswered('throttled');
    });
    next();
  };

  /** POST /ipn/2checkout/{merchantId} — 2Checkout's IPN. */
  router.post('/ipn/2checkout/:merchantId', timed, limit, raw, async (req, res) => {
    const result = await receiveIpn(deps, {
      merchantId: String(req.params.merchantId),
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      headers: req.headers,
      remoteAddr: req.socket.remoteAddress,
    });
    res
      .status(result.status)
      .type(result.status === 200 ? 'html' : 'text')
      .send(result.body);
    metrics?.ipnAnswered(result.verdict, result);
    // The fast path, once 2Checkout has its receipt; the relay covers a failure here.
    if (result.deliver !== undefined) deliverAfterReceipt(deps, result.deliver);
  });

  return router;
}
