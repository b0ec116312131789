import cookieParser from 'cookie-parser';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { InvoiceRow } from '../../activities/invoices';
import { escapeHtml as esc } from '../../lib/html';
import { hashApiKey } from '../../lib/ids';
import type { MerchantRow } from '../../lib/merchants';
import { INVOICE_STATUSES } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { createProduct, listProducts } from '../products';
import { invoiceView, productView } from '../views';

const SESSION = 'session';
const SESSION_HOURS = 12;
/** `2026-11-29 00:41` (UTC), or nothing. */
const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}` : '');

function page(title: string, body: string, merchant?: MerchantRow): string {
  const nav = merchant
    ? `<nav><strong>${esc(merchant.name)}</strong> · <a href="/dashboard/products">Products</a> · <a href="/dashboard/invoices">Invoices</a>
<form method="post" action="/dashboard/logout" style="display:inline"><button>Sign out</button></form></nav>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — Payments</title>
<style>body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem}
.error{background:#f8d7da;padding:.5rem 1rem;border-radius:4px}label{margin-right:1rem}input,select,button{padding:.3rem;font-size:1rem}
.status-paid{color:#146c2e;font-weight:bold}</style></head><body>${nav}<h1>${esc(title)}</h1>${body}</body></html>`;
}

/**
 * The merchant dashboard (the original product's Sales → Products and Sales → Invoices), signed in with the API key;
 * the session is a signed, http-only cookie that names the merchant and expires.
 */
export function dashboardRoutes(deps: ApiDeps) {
  const { db, config } = deps;
  const router = Router();
  router.use('/dashboard', cookieParser(config.sessionSecret), express.urlencoded({ extended: false }));

  async function signedIn(req: Request, res: Response): Promise<MerchantRow | undefined> {
    const value: unknown = (req.signedCookies as Record<string, unknown>)[SESSION];
    const [merchantId, expires] = typeof value === 'string' ? value.split('|') : [];
    if (merchantId && Number(expires) > Date.now()) {
      const merchant = await db<MerchantRow>('merchants').where({ id: merchantId }).first();
      if (merchant) return merchant;
    }
    res.redirect(303, '/dashboard/login');
    return undefined;
  }

  router.get('/dashboard', (_req, res) => res.redirect(303, '/dashboard/invoices'));

  router.get('/dashboard/login', (_req, res) => {
    res.type('html').send(loginPage());
  });

  router.post('/dashboard/login', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = typeof body.apiKey === 'string' ? body.apiKey.trim() : '';
    const merchant =
      key &&
      (await db<MerchantRow>('merchants')
        .where({ api_key_hash: hashApiKey(key) })
        .first());
    if (!merchant) {
      res.status(401).type('html').send(loginPage('This API key is not valid.'));
      return;
    }
    const expires = Date.now() + SESSION_HOURS * 3600_000;
    res.cookie(SESSION, `${merchant.id}|${expires}`, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.startsWith('https:'),
      expires: new Date(expires),
    });
    res.redirect(303, '/dashboard/invoices');
  });

  router.post('/dashboard/logout', (_req, res) => {
    res.clearCookie(SESSION).redirect(303, '/dashboard/login');
  });

  router.get('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (merchant) res.type('html').send(await productsPage(merchant));
  });

  router.post('/dashboard/products', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    try {
      await createProduct(deps, merchant.id, req.body);
    } catch (err) {
      if (!(err instanceof z.ZodError)) throw err;
      const message = err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      res
        .status(400)
        .type('html')
        .send(await productsPage(merchant, message));
      return;
    }
    res.redirect(303, '/dashboard/products');
  });

  router.get('/dashboard/invoices', async (req, res) => {
    const merchant = await signedIn(req, res);
    if (!merchant) return;
    const status =
      typeof req.query.status === 'string' && (INVOICE_STATUSES as readonly string[]).includes(req.query.status)
        ? req.query.status
        : undefined;
    const query = db<InvoiceRow>('invoices')
      .where({ merchant_id: merchant.id })
      .orderBy('created_at', 'desc')
      .limit(200);
    if (status) void query.where('status', status);
    const rows = (await query).map(invoiceView);
    const options = ['', ...INVOICE_STATUSES]
      .map((s) => `<option value="${s}"${s === (status ?? '') ? ' selected' : ''}>${s || 'any status'}</option>`)
      .join('');
    const table = rows
      .map(
        (
          i,
        ) => `<tr data-invoice="${esc(i.id)}"><td>${esc(i.id)}</td><td class="status status-${esc(i.status)}">${esc(i.status)}${i.late ? ' (late)' : ''}</td>
<td>${esc(i.amount)} ${esc(i.currency)}</td><td>${esc(i.items.map((it) => it.name).join(', '))}</td><td>${when(i.createdAt)}</td><td>${when(i.paidAt)}</td>
<td>${when(i.expiresAt)}</td><td>${esc(i.twocheckout.refNo ?? '')}</td><td>${esc(i.statusReason ?? '')}</td></tr>`,
      )
      .join('');
    res.type('html').send(
      page(
        'Invoices',
        `<form method="get"><select name="status">${options}</select> <button>Filter</button></form>
<table><thead><tr><th>Invoice</th><th>Status</th><th>Amount</th><th>Items</th><th>Created (UTC)</th><th>Paid</th><th>Expires</th><th>2Checkout RefNo</th><th>Why</th></tr></thead>
<tbody>${table || '<tr><td colspan="9">No invoices yet.</td></tr>'}</tbody></table>`,
        merchant,
      ),
    );
  });

  async function productsPage(merchant: MerchantRow, error?: string): Promise<string> {
    const rows = (await listProducts(deps, merchant.id))
      .map((p) => productView(p, config.publicUrl))
      .map(
        (p) =>
          `<tr><td>${esc(p.name)}</td><td>${esc(p.price)} ${esc(p.currency)}</td><td><a class="order-link" href="${esc(p.orderUrl)}">${esc(p.orderUrl)}</a></td></tr>`,
      )
      .join('');
    return page(
      'Products',
      `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/dashboard/products">
<label>Name <input name="name" required></label><label>Price <input name="price" required placeholder="50.00" size="8"></label>
<label>Currency <input name="currency" required value="RUB" size="4"></label><button type="submit">Create product</button></form>
<table><thead><tr><th>Product</th><th>Price</th><th>Order link (share it with buyers)</th></tr></thead><tbody>${rows || '<tr><td colspan="3">No products yet.</td></tr>'}</tbody></table>`,
      merchant,
    );
  }

  return router;
}

function loginPage(error?: string): string {
  return page(
    'Sign in',
    `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/dashboard/login"><label>API key <input name="apiKey" type="password" required size="40"></label>
<button type="submit">Sign in</button></form>`,
  );
}
