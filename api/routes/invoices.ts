import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import type { InvoiceRow } from '../../lib/invoice';
import { cancelUpdate, INVOICE_STATUSES, workflowIdOf, type InvoiceStatus } from '../../workflows/shared';
import { merchantOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { createInvoice } from '../invoices';
import { listInvoices } from '../invoice-list';
import { refundView } from '../../lib/refunds';
import { refundsOf, requestRefund } from '../refunds';
import {
  cancelInvoiceBody,
  createInvoiceBody,
  createRefundBody,
  listInvoicesQuery,
  listIpnEventsQuery,
} from '../schemas';
import type { IpnEventRow } from '../ipn';
import { invoiceEventView, invoiceView, ipnEventView, type InvoiceEventRow } from '../views';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Invoices: create (idempotent), read with the audit trail, list with cursor paging, cancel. */
export function invoiceRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, temporal } = deps;
  const router = Router();

  const own = async (merchantId: string, id: string) => {
    const row = await db<InvoiceRow>('invoices').where({ id, merchant_id: merchantId }).first();
    if (!row) throw notFound('Invoice');
    return row;
  };

  /** POST /v1/invoices — answers 201 with the signed `checkoutUrl`; `Idempotency-Key` makes retries safe. */
  router.post('/v1/invoices', requireMerchant, async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const body = createInvoiceBody.parse(req.body);
    const { invoice } = await createInvoice(deps, merchantOf(res.locals), body, key, 'POST /v1/invoices');
    res.status(201).json(invoiceView(invoice));
  });

  /** GET /v1/invoices?status=&limit=&cursor= — newest first. */
  router.get('/v1/invoices', requireMerchant, async (req, res) => {
    const q = listInvoicesQuery.parse(req.query);
    if (q.status !== undefined && !INVOICE_STATUSES.includes(q.status as InvoiceStatus)) {
      throw new HttpError(400, 'invalid_request', `status must be one of ${INVOICE_STATUSES.join(', ')}`);
    }
    const { rows, nextCursor } = await listInvoices(db, merchantOf(res.locals).id, {
      ...(q.status !== undefined && { status: q.status as InvoiceStatus }),
      limit: q.limit,
      ...(q.cursor !== undefined && { cursor: q.cursor }),
    });
    res.json({ data: rows.map(invoiceView), nextCursor });
  });

  /**
   * GET /v1/invoices/{id} — with its audit trail, from PostgreSQL alone (a busy worker never slows it). While
   * 2Checkout is asked again, `statusReason` says what failed, which attempt, and when the next is.
   */
  router.get('/v1/invoices/:id', requireMerchant, async (req, res) => {
    const invoice = await own(merchantOf(res.locals).id, String(req.params.id));
    const [events, refunds] = await Promise.all([
      db<InvoiceEventRow>('invoice_events').where({ invoice_id: invoice.id }).orderBy('id'),
      refundsOf(deps, invoice.id),
    ]);
    res.json({ ...invoiceView(invoice), events: events.map(invoiceEventView), refunds: refunds.map(refundView) });
  });

  /**
   * POST /v1/invoices/{id}/refunds — answers 202 with the refund `requested`: the invoice's workflow sends it to
   * 2Checkout, and the invoice turns `partially_refunded` or `refunded` when 2Checkout's refund notification confirms
   * it. An Idempotency-Key is required: a retry answers the same refund, never a second one.
   */
  router.post('/v1/invoices/:id/refunds', requireMerchant, async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpError(
        400,
        'invalid_request',
        'Idempotency-Key is required: 1 to 255 visible ASCII characters, the same when the request is retried',
      );
    }
    const body = createRefundBody.parse(req.body ?? {});
    const { refund } = await requestRefund(deps, merchantOf(res.locals).id, String(req.params.id), body, key, 'api');
    res.status(202).json(refundView(refund));
  });

  /** GET /v1/invoices/{id}/refunds — every refund of the invoice, oldest first, whoever made it. */
  router.get('/v1/invoices/:id/refunds', requireMerchant, async (req, res) => {
    const invoice = await own(merchantOf(res.locals).id, String(req.params.id));
    res.json({ data: (await refundsOf(deps, invoice.id)).map(refundView) });
  });

  /** POST /v1/invoices/{id}/cancel — only while awaiting payment; the workflow decides, by Workflow Update. */
  router.post('/v1/invoices/:id/cancel', requireMerchant, async (req, res) => {
    const body = cancelInvoiceBody.parse(req.body ?? {});
    const invoice = await own(merchantOf(res.locals).id, String(req.params.id));
    const refuse = (status: string) =>
      new HttpError(
        409,
        'invoice_not_cancelable',
        `Only an invoice awaiting payment can be canceled; this one is ${status}`,
      );
    if (invoice.status !== 'awaiting_payment') throw refuse(invoice.status);
    try {
      await temporal.workflow.getHandle(workflowIdOf(invoice.id)).executeUpdate(cancelUpdate, { args: [body] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw refuse((await own(invoice.merchant_id, invoice.id)).status);
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(409, 'invoice_not_cancelable', 'The invoice workflow is not running');
      throw new HttpError(503, 'temporal_unavailable', 'Could not reach the invoice workflow; retry');
    }
    res.json(invoiceView(await own(invoice.merchant_id, invoice.id)));
  });

  /** GET /v1/ipn-events?since= — the merchant's IPN log, newest first: every attempt with its verdict and outcome. */
  router.get('/v1/ipn-events', requireMerchant, async (req, res) => {
    const { since } = listIpnEventsQuery.parse(req.query);
    const query = db<IpnEventRow>('ipn_events')
      .where({ merchant_id: merchantOf(res.locals).id })
      .orderBy('id', 'desc')
      .limit(100);
    if (since) void query.where('received_at', '>=', since);
    res.json({ data: (await query).map(ipnEventView) });
  });

  return router;
}
