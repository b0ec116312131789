import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import type { InvoiceRow } from '../../lib/invoice';
import { cancelUpdate, workflowIdOf } from '../../workflows/shared';
import type { ModeScope } from '../../lib/merchants';
import { livemodeOfKey, merchantOf, scopeOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, invalidField, notFound } from '../errors';
import { IDEMPOTENCY_KEY_PATTERN, idempotent, sendIdempotent, type IdempotencyClaim } from '../idempotency';
import { createInvoice } from '../invoices';
import { listInvoices } from '../invoice-list';
import { listIpnEvents } from '../ipn-log';
import { CREATED_KEYS, paginate, pageView } from '../paging';
import { refundView, type RefundRow } from '../../lib/refunds';
import { refundsOf, requestRefundOnce } from '../refunds';
import {
  cancelInvoiceBody,
  listRefundsQuery,
  createInvoiceBody,
  createRefundBody,
  listInvoicesQuery,
  listIpnEventsQuery,
} from '../schemas';
import { invoiceEventView, invoiceView, ipnEventView, type InvoiceEventRow } from '../views';

/** Invoices: create (idempotent), read with the audit trail, list with cursor paging, cancel. */
export function invoiceRoutes(deps: ApiDeps, requireMerchant: RequestHandler) {
  const { db, temporal } = deps;
  const router = Router();

  /** The invoice if the calling key may see it: its merchant's, of its mode; else 404. */
  const own = async (scope: ModeScope, id: string) => {
    const row = await db<InvoiceRow>('invoices')
      .where({ id, ...scope })
      .first();
    if (!row) throw notFound('Invoice');
    return row;
  };

  /**
   * POST /v1/invoices — answers 201 with the signed `checkoutUrl`. With an `Idempotency-Key`, a retry answers the
   * first answer again (api/idempotency.ts), never a second invoice.
   */
  router.post('/v1/invoices', requireMerchant, async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalidField('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
    }
    const body = createInvoiceBody.parse(req.body);
    const merchant = merchantOf(res.locals);
    const create = async (claim?: IdempotencyClaim) => {
      const { invoice } = await createInvoice(
        deps,
        merchant,
        livemodeOfKey(res.locals),
        body,
        'POST /v1/invoices',
        claim,
      );
      return { status: 201, body: invoiceView(invoice) };
    };
    if (key === undefined) {
      const { status, body: view } = await create();
      res.status(status).json(view);
      return;
    }
    const request = {
      merchantId: merchant.id,
      livemode: livemodeOfKey(res.locals),
      key,
      method: 'POST',
      path: '/v1/invoices',
      body,
    };
    sendIdempotent(res, await idempotent(deps, request, create));
  });

  /** GET /v1/invoices?status=&createdFrom=&createdTo=&externalId=&limit=&cursor= — newest first (api/paging.ts). */
  router.get('/v1/invoices', requireMerchant, async (req, res) => {
    const q = listInvoicesQuery.parse(req.query);
    const page = await listInvoices(db, scopeOf(res.locals), {
      ...(q.status !== undefined && { statuses: q.status }),
      ...(q.createdFrom !== undefined && { createdFrom: q.createdFrom }),
      ...(q.createdTo !== undefined && { createdBefore: q.createdTo }),
      ...(q.externalId !== undefined && { externalId: q.externalId }),
      limit: q.limit,
      ...(q.cursor !== undefined && { cursor: q.cursor }),
    });
    res.json(pageView(page, invoiceView));
  });

  /**
   * GET /v1/invoices/{id} — with its audit trail, from PostgreSQL alone (a busy worker never slows it). While
   * 2Checkout is asked again, `statusReason` says what failed, which attempt, and when the next is.
   */
  router.get('/v1/invoices/:id', requireMerchant, async (req, res) => {
    const invoice = await own(scopeOf(res.locals), String(req.params.id));
    const [events, refunds] = await Promise.all([
      db<InvoiceEventRow>('invoice_events').where({ invoice_id: invoice.id }).orderBy('id'),
      refundsOf(deps, invoice.id),
    ]);
    res.json({ ...invoiceView(invoice), events: events.map(invoiceEventView), refunds: refunds.map(refundView) });
  });

  /**
   * POST /v1/invoices/{id}/refunds — answers 202 with the refund `requested`: the invoice's workflow sends it to
   * 2Checkout, and the invoice turns `partially_refunded` or `refunded` when 2Checkout's refund notification confirms
   * it. An Idempotency-Key is required: a retry answers the first answer again (api/idempotency.ts), never a second
   * refund.
   */
  router.post('/v1/invoices/:id/refunds', requireMerchant, async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new HttpError(
        400,
        'invalid_request',
        'Idempotency-Key is required: 1 to 255 visible ASCII characters, the same when the request is retried',
      );
    }
    const body = createRefundBody.parse(req.body ?? {});
    sendIdempotent(res, await requestRefundOnce(deps, scopeOf(res.locals), String(req.params.id), body, key, 'api'));
  });

  /** GET /v1/invoices/{id}/refunds?limit=&cursor= — the invoice's refunds, whoever made them, newest first. */
  router.get('/v1/invoices/:id/refunds', requireMerchant, async (req, res) => {
    const q = listRefundsQuery.parse(req.query);
    const invoice = await own(scopeOf(res.locals), String(req.params.id));
    const query = deps.db('refunds').where({ invoice_id: invoice.id }).select('*');
    res.json(pageView(await paginate<RefundRow>(deps.db, query, CREATED_KEYS, q), refundView));
  });

  /** POST /v1/invoices/{id}/cancel — only while awaiting payment; the workflow decides, by Workflow Update. */
  router.post('/v1/invoices/:id/cancel', requireMerchant, async (req, res) => {
    const body = cancelInvoiceBody.parse(req.body ?? {});
    const invoice = await own(scopeOf(res.locals), String(req.params.id));
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
      if (err instanceof WorkflowUpdateFailedError) throw refuse((await own(scopeOf(res.locals), invoice.id)).status);
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(409, 'invoice_not_cancelable', 'The invoice workflow is not running');
      throw new HttpError(503, 'service_unavailable', 'Could not reach the invoice workflow; retry');
    }
    res.json(invoiceView(await own(scopeOf(res.locals), invoice.id)));
  });

  /** GET /v1/ipn-events?since=&limit=&cursor= — the IPN log, newest first: every attempt, its verdict and outcome. */
  router.get('/v1/ipn-events', requireMerchant, async (req, res) => {
    const q = listIpnEventsQuery.parse(req.query);
    res.json(pageView(await listIpnEvents(db, scopeOf(res.locals), q), ipnEventView));
  });

  return router;
}
