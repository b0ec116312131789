import { randomUUID } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { InvoiceRow } from '../../lib/invoice';
import { checkTwoCheckoutConnection } from '../../lib/connection-check';
import { checkApiKey } from '../../lib/api-keys';
import { isLive, openMerchant, webhookEnvironment, type ModeScope } from '../../lib/merchants';
import { webhookUrlProblem } from '../../lib/webhooks';
import { INVOICE_STATUSES } from '../../workflows/shared';
import {
  invoicePage,
  invoicesPage,
  ipnLogPage,
  loginPage,
  notFoundPage,
  overviewPage,
  productsPage,
  replayRefusal,
  settingsPage,
  type PageContext,
  type RefundFlash,
  type SessionMerchant,
  type SettingsView,
} from '../dashboard-pages';
import { dashboardSession } from '../dashboard-session';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { languageSwitch, localeOf, pageLanguage } from '../i18n';
import { merchantOverview } from '../overview';
import { listInvoices } from '../invoice-list';
import { invoiceTimeline } from '../invoice-timeline';
import { listIpnEvents } from '../ipn-log';
import { changesOfMode, listSettingsChanges } from '../merchant-settings';
import { replayIpnEvent } from '../ipn';
import { createProduct, listProducts } from '../products';
import { refundsOf, requestRefundOnce } from '../refunds';
import { createRefundBody } from '../schemas';
import type { RateLimits } from '../security';
import { merchantView, orderUrlOf } from '../views';
import { updateWebhookSettings } from '../webhooks';

const INVOICES_PER_PAGE = 50;
const IPNS_PER_PAGE = 100;
const PRODUCTS_PER_PAGE = 100;
const SETTINGS_CHANGES_SHOWN = 20;
const DAY_MS = 86400_000;

/** An empty form field means "not given". */
const blank = (v: unknown) => (v === '' ? undefined : v);
/**
 * Messages of our own schemas are names of sentences in locales/<language>/common.json (`errors.*`), said in the
 * reader's language; zod's own messages are shown as zod words them.
 */
const FORM_ERRORS = ['date', 'notStatus', 'afterTo', 'httpUrl', 'enterUrl'] as const;
type FormError = (typeof FORM_ERRORS)[number];
const formError = (name: FormError) => name;

const day = z.preprocess(blank, z.iso.date({ error: formError('date') }).optional());

/** The invoice list's query string: what a person typed into the filter form, so every mistake gets a sentence. */
const invoiceFilters = z
  .object({
    status: z.preprocess(blank, z.enum(INVOICE_STATUSES, { error: formError('notStatus') }).optional()),
    from: day,
    to: day,
    cursor: z.preprocess(blank, z.string().max(500).optional()),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    message: formError('afterTo'),
    path: ['from'],
  });
const FILTER_LABELS = {
  status: 'invoices:status',
  from: 'invoices:createdFromLong',
  to: 'invoices:createdToLong',
  cursor: 'invoices:page',
} as const;

const ipnLogQuery = z.object({
  cursor: z.preprocess(blank, z.string().max(500).optional()),
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
        .url({ protocol: /^https?$/, error: formError('httpUrl') })
        .max(2000)
        .optional(),
    ),
  })
  .refine((f) => f.action !== 'save' || f.webhookUrl !== undefined, {
    message: formError('enterUrl'),
    path: ['webhookUrl'],
  });

/** A form's mistakes in one sentence: `Label: what is wrong; …`, labels being locale keys. */
/** The form fields a sentence names, by their labels' keys. */
type FieldLabel =
  | (typeof FILTER_LABELS)[keyof typeof FILTER_LABELS]
  | `products:${'name' | 'price' | 'currency'}`
  | `settings:${'webhookUrl' | 'action'}`
  | `refunds:${'amount' | 'reason'}`;
const sentence = (ctx: PageContext, err: z.ZodError, labels: Record<string, FieldLabel> = {}) =>
  err.issues
    .map((i) => {
      const label = labels[String(i.path[0])];
      const message = FORM_ERRORS.includes(i.message as FormError)
        ? ctx.t(`errors.${i.message as FormError}`)
        : i.message;
      return `${label ? ctx.t(label) : i.path.join('.')}: ${message}`;
    })
    .join('; ');

/** The address a page answering a POST offers the language switch: the page itself where it is also a GET page. */
const GET_PAGES_OF_POSTS = new Set(['/dashboard/login', '/dashboard/products']);
function pageContext(req: Request): PageContext {
  const path = req.originalUrl.split('?')[0]!;
  const back =
    req.method === 'GET'
      ? req.originalUrl
      : GET_PAGES_OF_POSTS.has(path)
        ? path
        : path.slice(0, path.lastIndexOf('/')) || '/dashboard';
  return { ...localeOf(pageLanguage(req)), path: back };
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The merchant dashboard (the original product's Sales → Products and Sales → Invoices, plus the overview, the IPN
 * log and the settings), signed in with the API key, in English or Russian. The session (a signed cookie of a
 * revocable version) and the CSRF token of every form are api/dashboard-session.ts's; every action also checks the
 * row is the session merchant's.
 */
export function dashboardRoutes(deps: ApiDeps, limits: Pick<RateLimits, 'dashboardLogin'>) {
  const { db, config } = deps;
  const router = Router();
  const session = dashboardSession(db, config);
  router.use(
    '/dashboard',
    languageSwitch({ secure: () => config.publicUrl.startsWith('https:') }),
    cookieParser(config.sessionSecret),
    express.urlencoded({ extended: false }),
    session.checkCsrf,
  );

  /** The rows a session sees: its merchant's, of the mode of the key it signed in with. */
  const scope = (m: SessionMerchant): ModeScope => ({ merchant_id: m.id, livemode: m.livemode });

  async function signedIn(req: Request, res: Response): Promise<SessionMerchant | undefined> {
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

  /** Overview: the first page after sign-in. */
  router.get('/dashboard', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (merchant)
      html(res, overviewPage(pageContext(req), merchant, await merchantOverview(db, scope(merchant), deps.clock())));
  });

  router.get('/dashboard/login', (req, res) => {
    html(res, loginPage(pageContext(req)));
  });

  /** Failed sign-ins are rate limited per client: the sign-in page says when to try again. */
  const loginLimit = limits.dashboardLogin((req, res, seconds) => {
    const ctx = pageContext(req);
    html(res, loginPage(ctx, ctx.t('login.tooMany', { count: Math.ceil(seconds / 60) })), 429);
  });

  router.post('/dashboard/login', loginLimit, async (req, res) => {
    const ctx = pageContext(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = text(body.apiKey).trim();
    // The API's own check (lib/api-keys.ts): a revoked or expired key, or a disabled merchant, signs nobody in.
    const check = key ? await checkApiKey(db, key) : undefined;
    if (!check?.ok) {
      if (check?.reason === 'merchant_disabled') html(res, loginPage(ctx, ctx.t('login.disabled')), 403);
      else html(res, loginPage(ctx, ctx.t('login.invalid')), 401);
      return;
    }
    session.signIn(res, check.merchant, check.key.livemode);
    res.redirect(303, '/dashboard');
  });

  /** Sign out: this merchant's sessions end on the server too, so a copy of the cookie is worthless. */
  router.post('/dashboard/logout', async (req, res) => {
    await session.signOut(req, res);
    res.redirect(303, '/dashboard/login');
  });

  /** A page of products, newest first, and the link to the next (older) page, if any. */
  const products = async (merchant: SessionMerchant, cursor?: string) => {
    const page = await listProducts(deps, scope(merchant), { limit: PRODUCTS_PER_PAGE, cursor });
    const rows = page.rows.map((p) => ({
      name: p.name,
      priceMinor: p.price_minor,
      currency: p.currency,
      orderUrl: orderUrlOf(config.publicUrl, p.id),
    }));
    const olderPage =
      page.nextCursor === null ? null : `/dashboard/products?cursor=${encodeURIComponent(page.nextCursor)}`;
    return { rows, olderPage };
  };

  /** Products: create one, copy its public order link. */
  router.get('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const ctx = pageContext(req);
    const cursor = text(req.query.cursor);
    try {
      html(res, productsPage(ctx, merchant, await products(merchant, cursor || undefined)));
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 400) throw err;
      html(res, productsPage(ctx, merchant, await products(merchant), ctx.t('invoices:staleCursor')), 400);
    }
  });

  router.post('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    try {
      await createProduct(deps, scope(merchant), req.body);
    } catch (err) {
      if (!(err instanceof z.ZodError)) throw err;
      const ctx = pageContext(req);
      const labels = { name: 'products:name', price: 'products:price', currency: 'products:currency' } as const;
      html(res, productsPage(ctx, merchant, await products(merchant), sentence(ctx, err, labels)), 400);
      return;
    }
    res.redirect(303, '/dashboard/products');
  });

  /** Invoices, newest first, filtered by status and creation day (UTC), paged like GET /v1/invoices. */
  router.get('/dashboard/invoices', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const ctx = pageContext(req);
    const form = { status: text(req.query.status), from: text(req.query.from), to: text(req.query.to) };
    const parsed = invoiceFilters.safeParse(req.query);
    if (!parsed.success) {
      html(res, invoicesPage(ctx, merchant, form, { error: sentence(ctx, parsed.error, FILTER_LABELS) }), 400);
      return;
    }
    const f = parsed.data;
    let result;
    try {
      result = await listInvoices(db, scope(merchant), {
        ...(f.status !== undefined && { statuses: [f.status] }),
        ...(f.from !== undefined && { createdFrom: new Date(`${f.from}T00:00:00Z`) }),
        ...(f.to !== undefined && { createdBefore: new Date(new Date(`${f.to}T00:00:00Z`).getTime() + DAY_MS) }),
        limit: INVOICES_PER_PAGE,
        ...(f.cursor !== undefined && { cursor: f.cursor }),
      });
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 400) throw err;
      html(res, invoicesPage(ctx, merchant, form, { error: ctx.t('invoices:staleCursor') }), 400);
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
      invoicesPage(ctx, merchant, form, {
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
    const ctx = pageContext(req);
    const invoice = await db<InvoiceRow>('invoices')
      .where({ id: String(req.params.id), ...scope(merchant) })
      .first();
    if (!invoice) {
      html(res, notFoundPage(ctx, 'invoice', merchant), 404);
      return;
    }
    const requested = text(req.query.refundRequested);
    html(res, await invoicePageOf(ctx, merchant, invoice, requested ? { requested } : {}));
  });

  async function invoicePageOf(ctx: PageContext, merchant: SessionMerchant, invoice: InvoiceRow, flash: RefundFlash) {
    const [timeline, refunds] = await Promise.all([
      invoiceTimeline(db, merchant.id, invoice.id),
      refundsOf(deps, invoice.id),
    ]);
    return invoicePage(ctx, merchant, invoice, timeline, {
      rows: refunds,
      idempotencyKey: `dashboard-${randomUUID()}`,
      flash,
    });
  }

  /**
   * The invoice page's refund form: the same request as `POST /v1/invoices/{id}/refunds`, with the form's own
   * Idempotency-Key. Refused: the invoice page again, saying why.
   */
  router.post('/dashboard/invoices/:id/refunds', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const ctx = pageContext(req);
    const invoiceId = String(req.params.id);
    const form = (req.body ?? {}) as Record<string, unknown>;
    const key = typeof form.idempotencyKey === 'string' ? form.idempotencyKey : '';
    const body = createRefundBody.safeParse({
      ...(blank(form.amount) !== undefined && { amount: String(form.amount).trim() }),
      ...(blank(form.reason) !== undefined && { reason: String(form.reason) }),
    });
    const again = async (status: number, error: string) => {
      const invoice = await db<InvoiceRow>('invoices')
        .where({ id: invoiceId, ...scope(merchant) })
        .first();
      if (!invoice) html(res, notFoundPage(ctx, 'invoice', merchant), 404);
      else html(res, await invoicePageOf(ctx, merchant, invoice, { error }), status);
    };
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) return again(400, 'the form is incomplete: reload the page');
    if (!body.success) {
      return again(400, sentence(ctx, body.error, { amount: 'refunds:amount', reason: 'refunds:reason' }));
    }
    try {
      // sent twice (a double click, a reload): the first answer again, so the same refund
      const answer = await requestRefundOnce(deps, scope(merchant), invoiceId, body.data, key, 'dashboard');
      const refund = JSON.parse(answer.body) as { id: string };
      res.redirect(
        303,
        `/dashboard/invoices/${encodeURIComponent(invoiceId)}?refundRequested=${encodeURIComponent(refund.id)}`,
      );
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      await again(err.status, err.message);
    }
  });

  /** The IPN log: every IPN sent to this merchant, newest first, with "Replay to workflow" where it can apply. */
  router.get('/dashboard/ipn', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const ctx = pageContext(req);
    const parsed = ipnLogQuery.safeParse(req.query);
    if (!parsed.success) {
      const error = ctx.t('ipn:badLink', { problem: sentence(ctx, parsed.error) });
      html(res, ipnLogPage(ctx, merchant, { error }, {}), 400);
      return;
    }
    const q = parsed.data;
    const flash =
      q.replayed !== undefined
        ? { notice: ctx.t('ipn:replayed', { id: q.replayed }) }
        : q.refused !== undefined && q.ipn !== undefined
          ? { error: replayRefusal(ctx, q.refused, q.ipn) }
          : {};
    let page;
    try {
      page = await listIpnEvents(db, scope(merchant), { limit: IPNS_PER_PAGE, cursor: q.cursor });
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 400) throw err;
      html(res, ipnLogPage(ctx, merchant, { error: ctx.t('ipn:badLink', { problem: err.message }) }, {}), 400);
      return;
    }
    const olderPage = page.nextCursor === null ? null : `/dashboard/ipn?cursor=${encodeURIComponent(page.nextCursor)}`;
    html(res, ipnLogPage(ctx, merchant, { rows: page.rows, olderPage }, flash));
  });

  /** Replay to workflow: only the session merchant's verified IPNs of an invoice; then back to the log. */
  router.post('/dashboard/ipn/:id/replay', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const id = Number(req.params.id);
    const result = Number.isSafeInteger(id) && id > 0 ? await replayIpnEvent(deps, scope(merchant), id) : undefined;
    if (!result || (!result.ok && result.reason === 'not_found')) {
      html(res, notFoundPage(pageContext(req), 'ipn', merchant), 404);
      return;
    }
    const flash = result.ok ? `replayed=${id}` : `refused=${result.reason}&ipn=${id}`;
    res.redirect(303, `/dashboard/ipn?${flash}`);
  });

  /** The settings of the session's mode: its 2Checkout setup (none yet for live mode before going live). */
  async function settingsView(merchant: SessionMerchant, extra: Partial<SettingsView> = {}): Promise<SettingsView> {
    const view = merchantView(merchant, config.publicUrl, merchant.livemode, deps.secretBox);
    const setup = view.twocheckout;
    return {
      merchant,
      setup: setup && {
        merchantCode: setup.merchantCode,
        environment: setup.environment,
        testOrders: setup.testOrders,
        allowMd5Ipn: setup.allowMd5Ipn,
      },
      ipnUrl: view.ipnUrl,
      ipnUrlLocal: !/^https:\/\//.test(config.publicUrl) || /\/\/(127\.|localhost|\[::1\])/.test(config.publicUrl),
      secretFingerprints: setup && { secretKey: setup.secretKey, buyLinkSecretWord: setup.buyLinkSecretWord },
      settingsChanges: changesOfMode(
        await listSettingsChanges(db, merchant.id, SETTINGS_CHANGES_SHOWN),
        merchant.livemode,
      ),
      ...extra,
    };
  }

  /** Settings: the IPN URL to paste into 2Checkout, the account, the connection check, the webhook URL. */
  router.get('/dashboard/settings', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (merchant) html(res, settingsPage(pageContext(req), await settingsView(merchant)));
  });

  /** Check connection: 2Checkout's REST API with the Secret Key; for sandbox merchants, the Buy-link Secret Word. */
  router.post('/dashboard/settings/check', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    if (merchant.livemode && !isLive(merchant)) {
      html(res, settingsPage(pageContext(req), await settingsView(merchant)));
      return;
    }
    const check = await checkTwoCheckoutConnection(
      { fetch: deps.fetch, clock: deps.clock, sandboxUrl: config.sandboxUrl },
      openMerchant(merchant, deps.secretBox, merchant.livemode),
    );
    html(res, settingsPage(pageContext(req), await settingsView(merchant, { check })));
  });

  /** Set, change or clear the webhook URL, or rotate the signing secret; a new secret is shown on this page, once. */
  router.post('/dashboard/settings/webhook', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const ctx = pageContext(req);
    const parsed = webhookForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const error = sentence(ctx, parsed.error, { webhookUrl: 'settings:webhookUrl', action: 'settings:action' });
      html(
        res,
        settingsPage(ctx, await settingsView(merchant, { error, webhookUrlInput: text(body.webhookUrl) })),
        400,
      );
      return;
    }
    const f = parsed.data;
    // one URL for both modes: once live, only a live session changes where live events go (as PATCH /v1/merchant)
    const refused =
      isLive(merchant) && !merchant.livemode
        ? ctx.t('settings:webhookLiveOnly')
        : f.action === 'save'
          ? webhookUrlProblem(webhookEnvironment(merchant), f.webhookUrl!)
          : undefined;
    if (refused !== undefined) {
      const error = `${ctx.t('settings:webhookUrl')}: ${refused}`;
      html(res, settingsPage(ctx, await settingsView(merchant, { error, webhookUrlInput: f.webhookUrl })), 400);
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
        ? ctx.t('settings:stopped')
        : f.action === 'rotate'
          ? webhookSecret !== undefined
            ? ctx.t('settings:rotated')
            : ctx.t('settings:nothingToSign')
          : ctx.t('settings:saved', { url: row.webhook_url });
    html(
      res,
      settingsPage(
        ctx,
        await settingsView(
          { ...row, livemode: merchant.livemode },
          { notice: said, ...(webhookSecret !== undefined && { webhookSecret }) },
        ),
      ),
    );
  });

  return router;
}
