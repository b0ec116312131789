import cookieParser from 'cookie-parser';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { InvoiceRow } from '../../lib/invoice';
import { checkTwoCheckoutConnection } from '../../lib/connection-check';
import { checkApiKey } from '../../lib/api-keys';
import { openMerchant, type MerchantRow } from '../../lib/merchants';
import { webhookUrlProblem } from '../../lib/webhooks';
import { INVOICE_STATUSES } from '../../workflows/shared';
import {
  invoicePage,
  invoicesPage,
  ipnLogPage,
  loginPage,
  notFoundPage,
  productsPage,
  settingsPage,
  type SettingsView,
} from '../dashboard-pages';
import { dashboardSession } from '../dashboard-session';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { listInvoices } from '../invoice-list';
import { invoiceTimeline } from '../invoice-timeline';
import { listIpnEvents } from '../ipn-log';
import { listSettingsChanges } from '../merchant-settings';
import { replayIpnEvent, replayRefusalMessage } from '../ipn';
import { createProduct, listProducts } from '../products';
import type { RateLimits } from '../security';
import { merchantView, productView } from '../views';
import { updateWebhookSettings } from '../webhooks';

const INVOICES_PER_PAGE = 50;
const IPNS_PER_PAGE = 100;
const SETTINGS_CHANGES_SHOWN = 20;
const DAY_MS = 86400_000;

/** An empty form field means "not given". */
const blank = (v: unknown) => (v === '' ? undefined : v);
const day = z.preprocess(blank, z.iso.date({ error: 'must be a date such as 2026-11-29' }).optional());

/** The invoice list's query string: what a person typed into the filter form, so every mistake gets a sentence. */
const invoiceFilters = z
  .object({
    status: z.preprocess(blank, z.enum(INVOICE_STATUSES, { error: 'is not an invoice status' }).optional()),
    from: day,
    to: day,
    cursor: z.preprocess(blank, z.string().max(500).optional()),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    message: 'is after the "to" date',
    path: ['from'],
  });
const FILTER_LABELS: Record<string, string> = {
  status: 'Status',
  from: 'Created from',
  to: 'Created to',
  cursor: 'Page',
};

const ipnLogQuery = z.object({
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  replayed: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  refused: z.preprocess(blank, z.enum(['not_found', 'not_verified', 'no_invoice', 'temporal_unavailable']).optional()),
  ipn: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});

const webhookForm = z
  .object({
    action: z.enum(['save', 'rotate', 'clear']),
    webhookUrl: z.preprocess(
      blank,
      z
        .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
        .max(2000)
        .optional(),
    ),
  })
  .refine((f) => f.action !== 'save' || f.webhookUrl !== undefined, {
    message: 'enter the URL to send webhooks to',
    path: ['webhookUrl'],
  });

const sentence = (err: z.ZodError, labels: Record<string, string> = {}) =>
  err.issues.map((i) => `${labels[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`).join('; ');

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The merchant dashboard (the original product's Sales → Products and Sales → Invoices, plus the IPN log and the
 * settings), signed in with the API key. The session (a signed cookie of a revocable version) and the CSRF token of
 * every form are api/dashboard-session.ts's; every action also checks the row is the session merchant's.
 */
export function dashboardRoutes(deps: ApiDeps, limits: Pick<RateLimits, 'dashboardLogin'>) {
  const { db, config } = deps;
  const router = Router();
  const session = dashboardSession(db, config);
  router.use(
    '/dashboard',
    cookieParser(config.sessionSecret),
    express.urlencoded({ extended: false }),
    session.checkCsrf,
  );

  async function signedIn(req: Request, res: Response): Promise<MerchantRow | undefined> {
    const merchant = await session.merchant(req);
    if (!merchant) res.redirect(303, '/dashboard/login');
    return merchant;
  }

  /** A page, with the CSRF token in each of its POST forms. */
  const html = (res: Response, body: string, status = 200) =>
    res
      .status(status)
      .type('html')
      .send(session.withCsrfTokens(res.req, res, body));

  router.get('/dashboard', (_req, res) => res.redirect(303, '/dashboard/invoices'));

  router.get('/dashboard/login', (_req, res) => {
    html(res, loginPage());
  });

  /** Failed sign-ins are rate limited per client: the sign-in page says when to try again. */
  const loginLimit = limits.dashboardLogin((_req, res, seconds) =>
    html(res, loginPage(`Too many failed sign-ins: try again in ${Math.ceil(seconds / 60)} minutes.`), 429),
  );

  router.post('/dashboard/login', loginLimit, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = text(body.apiKey).trim();
    // The API's own check (lib/api-keys.ts): a revoked or expired key, or a disabled merchant, signs nobody in.
    const check = key ? await checkApiKey(db, key) : undefined;
    if (!check?.ok) {
      if (check?.reason === 'merchant_disabled')
        html(res, loginPage('This merchant is disabled. Please contact the operator of this service.'), 403);
      else html(res, loginPage('This API key is not valid.'), 401);
      return;
    }
    session.signIn(res, check.merchant);
    res.redirect(303, '/dashboard/invoices');
  });

  /** Sign out: this merchant's sessions end on the server too, so a copy of the cookie is worthless. */
  router.post('/dashboard/logout', async (req, res) => {
    await session.signOut(req, res);
    res.redirect(303, '/dashboard/login');
  });

  const products = async (merchant: MerchantRow) =>
    (await listProducts(deps, merchant.id)).map((p) => productView(p, config.publicUrl));

  /** Products: create one, copy its public order link. */
  router.get('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (merchant) html(res, productsPage(merchant, await products(merchant)));
  });

  router.post('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    try {
      await createProduct(deps, merchant.id, req.body);
    } catch (err) {
      if (!(err instanceof z.ZodError)) throw err;
      html(res, productsPage(merchant, await products(merchant), sentence(err)), 400);
      return;
    }
    res.redirect(303, '/dashboard/products');
  });

  /** Invoices, newest first, filtered by status and creation day (UTC), paged like GET /v1/invoices. */
  router.get('/dashboard/invoices', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const form = { status: text(req.query.status), from: text(req.query.from), to: text(req.query.to) };
    const parsed = invoiceFilters.safeParse(req.query);
    if (!parsed.success) {
      html(res, invoicesPage(merchant, form, { error: sentence(parsed.error, FILTER_LABELS) }), 400);
      return;
    }
    const f = parsed.data;
    let result;
    try {
      result = await listInvoices(db, merchant.id, {
        ...(f.status !== undefined && { status: f.status }),
        ...(f.from !== undefined && { createdFrom: new Date(`${f.from}T00:00:00Z`) }),
        ...(f.to !== undefined && { createdBefore: new Date(new Date(`${f.to}T00:00:00Z`).getTime() + DAY_MS) }),
        limit: INVOICES_PER_PAGE,
        ...(f.cursor !== undefined && { cursor: f.cursor }),
      });
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 400) throw err;
      const error = 'This page link is not valid any more: start again from the newest invoices.';
      html(res, invoicesPage(merchant, form, { error }), 400);
      return;
    }
    const link = (cursor?: string) => {
      const q = new URLSearchParams(
        Object.entries({ status: f.status, from: f.from, to: f.to, cursor }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      ).toString();
      return `/dashboard/invoices${q ? `?${q}` : ''}`;
    };
    html(
      res,
      invoicesPage(merchant, form, {
        rows: result.rows,
        nextPage: result.nextCursor === null ? null : link(result.nextCursor),
        firstPage: f.cursor === undefined ? null : link(),
      }),
    );
  });

  /** One invoice and its timeline: audit trail, IPNs with their verdicts, webhook attempts. Another's is a 404. */
  router.get('/dashboard/invoices/:id', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const invoice = await db<InvoiceRow>('invoices')
      .where({ id: String(req.params.id), merchant_id: merchant.id })
      .first();
    if (!invoice) {
      html(res, notFoundPage('Invoice', merchant), 404);
      return;
    }
    html(res, invoicePage(merchant, invoice, await invoiceTimeline(db, merchant.id, invoice.id)));
  });

  /** The IPN log: every IPN sent to this merchant, newest first, with "Replay to workflow" where it can apply. */
  router.get('/dashboard/ipn', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const parsed = ipnLogQuery.safeParse(req.query);
    if (!parsed.success) {
      html(res, ipnLogPage(merchant, { error: `This page link is not valid: ${sentence(parsed.error)}` }, {}), 400);
      return;
    }
    const q = parsed.data;
    const flash =
      q.replayed !== undefined
        ? {
            notice: `IPN ${q.replayed} was handed to its invoice's workflow again; its outcome below changes once the workflow has handled it.`,
          }
        : q.refused !== undefined && q.ipn !== undefined
          ? { error: replayRefusalMessage(q.refused, q.ipn) }
          : {};
    const { rows, older } = await listIpnEvents(db, merchant.id, {
      ...(q.before !== undefined && { before: q.before }),
      limit: IPNS_PER_PAGE,
    });
    const olderPage = older === null ? null : `/dashboard/ipn?before=${older}`;
    html(res, ipnLogPage(merchant, { rows, olderPage }, flash));
  });

  /** Replay to workflow: only the session merchant's verified IPNs of an invoice; then back to the log. */
  router.post('/dashboard/ipn/:id/replay', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const id = Number(req.params.id);
    const result = Number.isSafeInteger(id) && id > 0 ? await replayIpnEvent(deps, merchant.id, id) : undefined;
    if (!result || (!result.ok && result.reason === 'not_found')) {
      html(res, notFoundPage('IPN', merchant), 404);
      return;
    }
    const flash = result.ok ? `replayed=${id}` : `refused=${result.reason}&ipn=${id}`;
    res.redirect(303, `/dashboard/ipn?${flash}`);
  });

  async function settingsView(merchant: MerchantRow, extra: Partial<SettingsView> = {}): Promise<SettingsView> {
    const opened = openMerchant(merchant, deps.secretBox);
    const view = merchantView(merchant, config.publicUrl, opened);
    return {
      merchant,
      ipnUrl: view.ipnUrl,
      ipnUrlLocal: !/^https:\/\//.test(config.publicUrl) || /\/\/(127\.|localhost|\[::1\])/.test(config.publicUrl),
      secretFingerprints: {
        secretKey: view.twocheckout.secretKey,
        buyLinkSecretWord: view.twocheckout.buyLinkSecretWord,
      },
      settingsChanges: await listSettingsChanges(db, merchant.id, SETTINGS_CHANGES_SHOWN),
      ...extra,
    };
  }

  /** Settings: the IPN URL to paste into 2Checkout, the account, the connection check, the webhook URL. */
  router.get('/dashboard/settings', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (merchant) html(res, settingsPage(await settingsView(merchant)));
  });

  /** Check connection: 2Checkout's REST API with the Secret Key; for sandbox merchants, the Buy-link Secret Word. */
  router.post('/dashboard/settings/check', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const check = await checkTwoCheckoutConnection(
      { fetch: deps.fetch, clock: deps.clock, sandboxUrl: config.sandboxUrl },
      openMerchant(merchant, deps.secretBox),
    );
    html(res, settingsPage(await settingsView(merchant, { check })));
  });

  /** Set, change or clear the webhook URL, or rotate the signing secret; a new secret is shown on this page, once. */
  router.post('/dashboard/settings/webhook', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const parsed = webhookForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const error = sentence(parsed.error, { webhookUrl: 'Webhook URL', action: 'Action' });
      html(res, settingsPage(await settingsView(merchant, { error, webhookUrlInput: text(body.webhookUrl) })), 400);
      return;
    }
    const f = parsed.data;
    const refused =
      f.action === 'save' ? webhookUrlProblem(merchant.twocheckout_environment, f.webhookUrl!) : undefined;
    if (refused !== undefined) {
      html(
        res,
        settingsPage(await settingsView(merchant, { error: `Webhook URL: ${refused}`, webhookUrlInput: f.webhookUrl })),
        400,
      );
      return;
    }
    const { row, webhookSecret } = await updateWebhookSettings(
      deps,
      merchant.id,
      f.action === 'save'
        ? { webhookUrl: f.webhookUrl! }
        : f.action === 'clear'
          ? { webhookUrl: null }
          : { rotateSecret: true },
    );
    const said =
      f.action === 'clear'
        ? 'Webhooks stopped.'
        : f.action === 'rotate'
          ? webhookSecret !== undefined
            ? 'New signing secret made; for 24 hours webhooks are signed with the old one too.'
            : 'No webhook URL is set: there is nothing to sign.'
          : `Webhooks go to ${row.webhook_url}.`;
    html(
      res,
      settingsPage(await settingsView(row, { notice: said, ...(webhookSecret !== undefined && { webhookSecret }) })),
    );
  });

  return router;
}
