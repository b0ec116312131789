/**
 * The dashboard's HTML: server-rendered pages in the reader's language (api/i18n.ts), every value escaped, no script.
 * Styled by Pico CSS's classless build and a few lines of ours (api/assets.ts), both served by the app.
 */
import type { InvoiceRow } from '../lib/invoice';
import { fromMinorUnits } from '../lib/money';
import { MERCHANT_REFUNDABLE, OPEN_REFUND_STATUSES, type RefundRow } from '../lib/refunds';
import type { CheckResult } from '../lib/connection-check';
import { escapeHtml as esc } from '../lib/html';
import type { MerchantRow } from '../lib/merchants';

/** The signed-in merchant and the mode of the key the session was opened with: its pages show that mode only. */
export type SessionMerchant = MerchantRow & { readonly livemode: boolean };
import { INVOICE_STATUSES, workflowIdOf, type InvoiceStatus } from '../workflows/shared';
import { STYLESHEETS } from './assets';
import { LANGUAGES, localeOf, switchHref, type Locale } from './i18n';
import type { TimelineEntry } from './invoice-timeline';
import type { IpnEventRow, ReplayRefusal } from './ipn';
import type { IpnSummaryRow } from './ipn-log';
import type { SettingsChangeRow } from './merchant-settings';
import type { AttentionRow, MoneyTotal, Overview, PaidTotals } from './overview';
import { invoiceView } from './views';

/** What a page is rendered with: the reader's language, and this page's address (for the language switch). */
export interface PageContext extends Locale {
  /** A GET address showing this page again: the language switch links to it with `?lang=`. */
  readonly path: string;
}

/** English, for the few pages made without a request's context (api/dashboard-session.ts's refusal). */
const ENGLISH: PageContext = { ...localeOf('en'), path: '/dashboard' };

const alert = (error: string | undefined) => (error ? `<p class="error" role="alert">${esc(error)}</p>` : '');
const notice = (text: string | undefined) => (text ? `<p class="notice" role="status">${esc(text)}</p>` : '');
const invoiceLink = (id: string) => `<a href="/dashboard/invoices/${encodeURIComponent(id)}">${esc(id)}</a>`;
/** A table that scrolls sideways on a narrow screen instead of widening the page. */
const scroll = (table: string) => `<div class="scroll">${table}</div>`;
const dash = '—';

/** An invoice status as a badge: its colour (api/assets.ts) and its name in words, never the colour alone. */
export function statusBadge(ctx: Locale, status: InvoiceStatus, late = false): string {
  return `<span class="badge badge-${esc(status)}" data-status="${esc(status)}">${esc(ctx.t(`status.${status}`))}${
    late ? esc(ctx.t('status.late')) : ''
  }</span>`;
}

/** The invoice's fee and net payout as 2Checkout reported them, each in its own currency; "—" while unknown. */
function feeAndNet(ctx: Locale, row: InvoiceRow): { fee: string; net: string } {
  return {
    fee: row.fee_minor !== null && row.fee_currency ? ctx.money(row.fee_minor, row.fee_currency) : dash,
    net: row.payout_minor !== null && row.payout_currency ? ctx.money(row.payout_minor, row.payout_currency) : dash,
  };
}

export function page(title: string, body: string, merchant?: SessionMerchant, ctx: PageContext = ENGLISH): string {
  const { t } = ctx;
  const here = ctx.path.split('?')[0]!;
  const link = (href: string, label: string) =>
    `<li><a href="${href}"${here === href ? ' aria-current="page"' : ''}>${esc(label)}</a></li>`;
  const nav = merchant
    ? `<header><nav aria-label="${esc(t('nav.label'))}"><ul><li><strong>${esc(merchant.name)}</strong></li>${modeMarker(ctx, merchant.livemode)}</ul><ul>
${link('/dashboard', t('nav.overview'))}${link('/dashboard/invoices', t('nav.invoices'))}${link('/dashboard/products', t('nav.products'))}
${link('/dashboard/ipn', t('nav.ipn'))}${link('/dashboard/settings', t('nav.settings'))}
<li><form method="post" action="/dashboard/logout" class="inline"><button class="secondary">${esc(t('nav.signOut'))}</button></form></li></ul></nav></header>`
    : '';
  return document(ctx, `${title} — ${t('product')}`, `${nav}<main><h1>${esc(title)}</h1>${body}</main>`);
}

/** Which mode the pages show: a "Test mode" mark on every page of a test session, so test data is never taken for live. */
function modeMarker(ctx: Locale, livemode: boolean): string {
  return livemode
    ? `<li><small id="mode" data-livemode="true">${esc(ctx.t('mode.live'))}</small></li>`
    : `<li><mark id="mode" data-livemode="false" title="${esc(ctx.t('mode.testHelp'))}">${esc(ctx.t('mode.test'))}</mark></li>`;
}

/**
 * A whole page: the language, the phone-sized viewport, the stylesheets, and the language switch at its foot. Also
 * the buyer's pages (api/routes/public.ts).
 */
export function document(ctx: PageContext, title: string, body: string): string {
  const switches = LANGUAGES.map((lang) => {
    const name = esc(localeOf(lang).t('language.name'));
    return lang === ctx.lang
      ? `<li><strong aria-current="true" lang="${lang}">${name}</strong></li>`
      : `<li><a href="${esc(switchHref(ctx.path, lang))}" hreflang="${lang}" lang="${lang}">${name}</a></li>`;
  }).join('');
  return `<!doctype html><html lang="${ctx.lang}" data-theme="light"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
${STYLESHEETS.map((href) => `<link rel="stylesheet" href="${href}">`).join('')}</head>
<body>${body}<footer><nav aria-label="${esc(ctx.t('language.switch'))}"><ul>${switches}</ul></nav></footer></body></html>`;
}

export function notFoundPage(ctx: PageContext, what: 'invoice' | 'ipn', merchant: SessionMerchant): string {
  return page(
    ctx.t('notFound.title'),
    `<p class="error" role="alert">${esc(ctx.t(`notFound.${what}`))}</p>`,
    merchant,
    ctx,
  );
}

export function loginPage(ctx: PageContext, error?: string): string {
  const { t } = ctx;
  return page(
    t('login.title'),
    `${alert(error)}
<form method="post" action="/dashboard/login"><label>${esc(t('login.apiKey'))} <input name="apiKey" type="password" required size="40" autocomplete="current-password"></label>
<button type="submit">${esc(t('login.submit'))}</button></form>`,
    undefined,
    ctx,
  );
}

// ---- Overview -----------------------------------------------------------------------------------------------------

/** Amounts of several currencies, one per line. */
const amounts = (ctx: Locale, list: readonly MoneyTotal[]) =>
  list.length === 0 ? dash : list.map((m) => esc(ctx.money(m.minor, m.currency))).join('<br>');

function periodCard(ctx: Locale, id: string, title: string, p: PaidTotals): string {
  const { t } = ctx;
  const unknown =
    p.feesUnknown > 0
      ? `<p class="muted" data-fees-unknown="${p.feesUnknown}">${esc(t('overview:feesUnknown', { count: p.feesUnknown }))}</p>`
      : '';
  return `<article id="paid-${id}"><h3>${esc(title)}</h3>
<p><strong data-payments="${p.payments}">${esc(t('overview:payments', { count: p.payments, formatted: ctx.count(p.payments) }))}</strong></p>
<dl class="facts"><dt>${esc(t('overview:gross'))}</dt><dd data-kind="gross">${amounts(ctx, p.gross)}</dd>
<dt>${esc(t('overview:fees'))}</dt><dd data-kind="fees">${amounts(ctx, p.fees)}</dd>
<dt>${esc(t('overview:net'))}</dt><dd data-kind="net">${amounts(ctx, p.net)}</dd></dl>${unknown}</article>`;
}

const CHART = { width: 600, height: 200, top: 16, bottom: 170, left: 28, slot: 19 } as const;

/**
 * Payments per day as an inline SVG bar chart (no script): one bar per day that had payments, its height the number
 * of payments; each bar's <title> and the table below say the same in words, for screen readers and for copying.
 */
function paymentsChart(ctx: Locale, days: Overview['days']): string {
  const { t } = ctx;
  const max = Math.max(1, ...days.map((d) => d.payments));
  const total = days.reduce((n, d) => n + d.payments, 0);
  const scale = (CHART.bottom - CHART.top) / max;
  const label = (d: Overview['days'][number]) =>
    `${ctx.day(d.date)}: ${t('overview:payments', { count: d.payments, formatted: ctx.count(d.payments) })}${
      d.gross.length ? ` — ${d.gross.map((m) => ctx.money(m.minor, m.currency)).join(', ')}` : ''
    }`;
  const bars = days
    .map((d, i) => ({ d, x: CHART.left + i * CHART.slot + 3 }))
    .filter(({ d }) => d.payments > 0)
    .map(({ d, x }) => {
      const h = Math.max(2, Math.round(d.payments * scale));
      return `<rect class="bar" data-day="${d.day}" data-payments="${d.payments}" x="${x}" y="${CHART.bottom - h}" width="${CHART.slot - 6}" height="${h}"><title>${esc(label(d))}</title></rect>`;
    })
    .join('');
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const axisRight = CHART.left + days.length * CHART.slot;
  const desc = t('overview:chartDesc', {
    count: total,
    formatted: ctx.count(total),
    from: ctx.day(first.date),
    to: ctx.day(last.date),
    days: days.filter((d) => d.payments > 0).length,
    max,
  });
  const rows = days
    .filter((d) => d.payments > 0)
    .map(
      (d) =>
        `<tr data-day="${d.day}"><td>${esc(ctx.day(d.date))}</td><td class="num">${esc(ctx.count(d.payments))}</td><td class="num">${amounts(ctx, d.gross)}</td></tr>`,
    )
    .join('');
  return `<figure id="chart">
<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${CHART.width} ${CHART.height}" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">${esc(t('overview:chartTitle'))}</title><desc id="chart-desc">${esc(desc)}</desc>
<line class="axis" x1="${CHART.left}" y1="${CHART.bottom}" x2="${axisRight}" y2="${CHART.bottom}"/>
<line class="axis" x1="${CHART.left}" y1="${CHART.top}" x2="${CHART.left}" y2="${CHART.bottom}"/>
<text x="${CHART.left - 4}" y="${CHART.top + 4}" text-anchor="end">${max}</text><text x="${CHART.left - 4}" y="${CHART.bottom}" text-anchor="end">0</text>
<text x="${CHART.left}" y="${CHART.bottom + 18}">${esc(ctx.day(first.date))}</text><text x="${axisRight}" y="${CHART.bottom + 18}" text-anchor="end">${esc(ctx.day(last.date))}</text>
<g class="bars">${bars}</g></svg>
<figcaption>${esc(desc)}</figcaption></figure>
<details id="chart-table"><summary>${esc(t('overview:chartAsTable'))}</summary>${scroll(
    `<table><thead><tr><th>${esc(t('overview:day'))}</th><th class="num">${esc(t('overview:paymentsColumn'))}</th><th class="num">${esc(t('overview:gross'))}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="3">${esc(t('overview:noPayments'))}</td></tr>`}</tbody></table>`,
  )}</details>`;
}

function attentionList(ctx: Locale, id: string, title: string, list: { rows: AttentionRow[]; total: number }): string {
  const { t } = ctx;
  const items = list.rows
    .map(
      (r) =>
        `<tr data-invoice="${esc(r.id)}"><td>${invoiceLink(r.id)}</td><td>${statusBadge(ctx, r.status)}</td><td class="num">${esc(ctx.money(r.amount_minor, r.currency))}</td>
<td>${esc(ctx.dateTime(r.updated_at))}</td><td>${esc(r.status_reason ?? '')}</td></tr>`,
    )
    .join('');
  const more =
    list.total > list.rows.length ? `<p class="muted">${esc(t('overview:more', { count: list.total }))}</p>` : '';
  return `<section id="${id}"><h3>${esc(title)} (${list.total})</h3>${
    list.total === 0
      ? `<p class="muted">${esc(t('overview:nothing'))}</p>`
      : `${scroll(`<table><thead><tr><th>${esc(t('invoices:invoice'))}</th><th>${esc(t('invoices:status'))}</th><th class="num">${esc(t('invoices:amount'))}</th><th>${esc(t('overview:since'))}</th><th>${esc(t('invoices:why'))}</th></tr></thead>
<tbody>${items}</tbody></table>`)}${more}`
  }</section>`;
}

/** The first page after sign-in: money paid lately, invoices by status, what needs a person, payments per day. */
export function overviewPage(ctx: PageContext, merchant: SessionMerchant, o: Overview): string {
  const { t } = ctx;
  const byStatus = o.byStatus
    .map(
      (s) =>
        `<li data-status="${esc(s.status)}"><a href="/dashboard/invoices?status=${encodeURIComponent(s.status)}">${statusBadge(ctx, s.status)} <span class="count">${esc(ctx.count(s.count))}</span></a></li>`,
    )
    .join('');
  return page(
    t('overview:title'),
    `<p class="muted">${esc(t('overview:asOf', { time: ctx.dateTime(o.asOf) }))}</p>
<section id="paid"><h2>${esc(t('overview:paid'))}</h2><div class="cards">
${periodCard(ctx, 'today', t('overview:today'), o.periods.today)}${periodCard(ctx, 'week', t('overview:week'), o.periods.week)}${periodCard(ctx, 'month', t('overview:month'), o.periods.month)}
</div><p class="muted">${esc(t('overview:paidNote'))}</p></section>
<section id="payments-per-day"><h2>${esc(t('overview:chartHeading'))}</h2>${paymentsChart(ctx, o.days)}</section>
<section id="attention"><h2>${esc(t('overview:attention'))}</h2>
${attentionList(ctx, 'needs-review', t('status.needs_review'), o.attention.needsReview)}
${attentionList(ctx, 'disputed', t('status.disputed'), o.attention.disputed)}
${attentionList(ctx, 'stuck-processing', t('overview:stuckProcessing'), o.attention.stuckProcessing)}</section>
<section id="by-status"><h2>${esc(t('overview:byStatus'))}</h2>${
      byStatus ? `<ul class="statuses">${byStatus}</ul>` : `<p class="muted">${esc(t('overview:noInvoices'))}</p>`
    }</section>`,
    merchant,
    ctx,
  );
}

// ---- Products -----------------------------------------------------------------------------------------------------

export function productsPage(
  ctx: PageContext,
  merchant: SessionMerchant,
  products: {
    rows: { name: string; priceMinor: number; currency: string; orderUrl: string }[];
    olderPage: string | null;
  },
  error?: string,
): string {
  const { t } = ctx;
  const rows = products.rows
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}</td><td class="num">${esc(ctx.money(p.priceMinor, p.currency))}</td><td><a class="order-link" href="${esc(p.orderUrl)}">${esc(p.orderUrl)}</a></td></tr>`,
    )
    .join('');
  return page(
    t('products:title'),
    `${alert(error)}
<form method="post" action="/dashboard/products" class="filters">
<label>${esc(t('products:name'))} <input name="name" required></label><label>${esc(t('products:price'))} <input name="price" required placeholder="50.00" size="8"></label>
<label>${esc(t('products:currency'))} <input name="currency" required value="RUB" size="4"></label><button type="submit">${esc(t('products:create'))}</button></form>
${scroll(`<table><thead><tr><th>${esc(t('products:product'))}</th><th class="num">${esc(t('products:price'))}</th><th>${esc(t('products:orderLink'))}</th></tr></thead><tbody>${rows || `<tr><td colspan="3">${esc(t('products:none'))}</td></tr>`}</tbody></table>`)}
${products.olderPage !== null ? `<p class="paging"><a href="${esc(products.olderPage)}" rel="next">${esc(t('invoices:older'))}</a></p>` : ''}`,
    merchant,
    ctx,
  );
}

// ---- Invoices -----------------------------------------------------------------------------------------------------

/** The filter form's values as typed, shown back even when they are wrong. */
export interface InvoiceFilterForm {
  status: string;
  from: string;
  to: string;
}

export function invoicesPage(
  ctx: PageContext,
  merchant: SessionMerchant,
  form: InvoiceFilterForm,
  result: { rows: InvoiceRow[]; nextPage: string | null; firstPage: string | null } | { error: string },
): string {
  const { t } = ctx;
  const options = (['', ...INVOICE_STATUSES] as const)
    .map(
      (s) =>
        `<option value="${s}"${s === form.status ? ' selected' : ''}>${esc(s ? t(`status.${s}`) : t('invoices:anyStatus'))}</option>`,
    )
    .join('');
  const filters = `<form method="get" action="/dashboard/invoices" id="filters" class="filters">
<label>${esc(t('invoices:status'))} <select name="status">${options}</select></label>
<label>${esc(t('invoices:createdFrom'))} <input type="date" name="from" value="${esc(form.from)}"></label>
<label>${esc(t('invoices:createdTo'))} <input type="date" name="to" value="${esc(form.to)}"></label>
<p><button>${esc(t('invoices:filter'))}</button> <a href="/dashboard/invoices">${esc(t('invoices:clear'))}</a></p></form>
<p class="muted">${esc(t('invoices:utcDays'))}</p>`;
  if ('error' in result) return page(t('invoices:title'), `${filters}${alert(result.error)}`, merchant, ctx);
  const table = result.rows
    .map((row) => {
      const i = invoiceView(row);
      const { fee, net } = feeAndNet(ctx, row);
      return `<tr data-invoice="${esc(i.id)}"><td>${invoiceLink(i.id)}</td><td class="status">${statusBadge(ctx, row.status, i.late)}</td>
<td class="num">${esc(ctx.money(row.amount_minor, row.currency))}</td><td class="num fee">${esc(fee)}</td><td class="num net">${esc(net)}</td>
<td>${esc(i.items.map((it) => it.name).join(', '))}</td><td>${esc(ctx.dateTime(row.created_at))}</td><td>${row.paid_at ? esc(ctx.dateTime(row.paid_at)) : ''}</td>
<td>${esc(ctx.dateTime(row.expires_at))}</td><td>${esc(i.twocheckout.refNo ?? '')}</td><td>${esc(i.statusReason ?? '')}</td></tr>`;
    })
    .join('');
  const paging = [
    result.firstPage !== null && `<a href="${esc(result.firstPage)}">${esc(t('invoices:newest'))}</a>`,
    result.nextPage !== null && `<a href="${esc(result.nextPage)}" rel="next">${esc(t('invoices:older'))}</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  const head = [
    'invoice',
    'status',
    'amount',
    'fee',
    'net',
    'items',
    'createdUtc',
    'paid',
    'expires',
    'refNo',
    'why',
  ] as const;
  const numeric = new Set<string>(['amount', 'fee', 'net']);
  return page(
    t('invoices:title'),
    `${filters}
${scroll(`<table><thead><tr>${head.map((h) => `<th${numeric.has(h) ? ' class="num"' : ''}>${esc(t(`invoices:${h}`))}</th>`).join('')}</tr></thead>
<tbody>${table || `<tr><td colspan="${head.length}">${esc(t('invoices:noneMatch'))}</td></tr>`}</tbody></table>`)}
<p class="paging">${paging}</p>`,
    merchant,
    ctx,
  );
}

/**
 * Where the invoice page shows its refunds and the form to ask for one (issue 14 §2, the lead's part): returns the
 * section's HTML, placed between the facts and the timeline; empty until refunds come.
 */
/** What the refund form says after a POST: the refund asked for, or why not. */
export interface RefundFlash {
  readonly requested?: string;
  readonly error?: string;
}

/**
 * The invoice's refunds, and the form asking for one where 2Checkout would take it (paid, nothing refunding). The form
 * carries a fresh Idempotency-Key: sent twice (a double click, a reload), it is one refund.
 */
export function refundSection(
  ctx: PageContext,
  row: InvoiceRow,
  refunds: readonly RefundRow[],
  idempotencyKey: string,
  flash: RefundFlash = {},
): string {
  const { t } = ctx;
  const rows = refunds
    .map(
      (
        r,
      ) => `<tr data-refund="${esc(r.id)}"><td>${esc(ctx.dateTime(r.created_at))}</td><td class="num">${esc(ctx.money(r.amount_minor, r.currency))}</td>
<td class="refund-status" data-status="${esc(r.status)}">${esc(t(`refunds:statusName.${r.status}`))}</td><td>${esc(r.reason ?? '')}</td>
<td>${esc(t(`refunds:sourceName.${r.source}`))}</td><td>${esc(r.status_reason ?? '')}</td></tr>`,
    )
    .join('');
  const table = refunds.length
    ? scroll(`<table id="refunds"><thead><tr><th>${esc(t('refunds:created'))}</th><th>${esc(t('refunds:amount'))}</th><th>${esc(t('refunds:status'))}</th>
<th>${esc(t('refunds:reason'))}</th><th>${esc(t('refunds:source'))}</th><th>${esc(t('refunds:why'))}</th></tr></thead><tbody>${rows}</tbody></table>`)
    : `<p>${esc(t('refunds:none'))}</p>`;
  const left = row.amount_minor - row.refunded_minor;
  const open = refunds.some((r) => OPEN_REFUND_STATUSES.includes(r.status));
  let form = '';
  if (open) form = `<p>${esc(t('refunds:openOne'))}</p>`;
  else if (MERCHANT_REFUNDABLE.includes(row.status) && left > 0)
    form = `<form method="post" action="/dashboard/invoices/${encodeURIComponent(row.id)}/refunds" id="refund-form">
<input type="hidden" name="idempotencyKey" value="${esc(idempotencyKey)}">
<label>${esc(t('refunds:formAmount', { currency: row.currency, left: ctx.money(left, row.currency) }))}
<input name="amount" inputmode="decimal" value="${esc(fromMinorUnits(left, row.currency))}" required></label>
<label>${esc(t('refunds:formReason'))} <input name="reason" maxlength="150"></label>
<button type="submit">${esc(t('refunds:submit'))}</button></form><p><small>${esc(t('refunds:explain'))}</small></p>`;
  return `<h2>${esc(t('refunds:title'))}</h2>${notice(flash.requested && t('refunds:requested', { id: flash.requested }))}${alert(
    flash.error && t('refunds:refused', { message: flash.error }),
  )}${table}${form}`;
}

export function invoicePage(
  ctx: PageContext,
  merchant: SessionMerchant,
  row: InvoiceRow,
  timeline: TimelineEntry[],
  refunds: { rows: readonly RefundRow[]; idempotencyKey: string; flash?: RefundFlash },
): string {
  const { t } = ctx;
  const i = invoiceView(row);
  const { fee, net } = feeAndNet(ctx, row);
  const facts: [string, string][] = [
    [t('invoices:status'), statusBadge(ctx, row.status, i.late)],
    [t('invoices:why'), esc(i.statusReason ?? '')],
    [t('invoices:late'), esc(i.late ? t('invoices:lateYes') : t('invoices:lateNo'))],
    [
      t('invoices:amount'),
      `${esc(ctx.money(row.amount_minor, row.currency))}${
        row.refunded_minor > 0
          ? ` ${esc(t('invoices:refundedPart', { amount: ctx.money(row.refunded_minor, row.currency) }))}`
          : ''
      }`,
    ],
    [t('invoices:fee'), `<span id="fee">${esc(fee)}</span>`],
    [t('invoices:net'), `<span id="net">${esc(net)}</span>`],
    ...(row.fx_rate !== null
      ? [
          [t('invoices:fxRate'), esc(`${row.fx_rate} (${row.currency} → ${row.payout_currency ?? '?'})`)] as [
            string,
            string,
          ],
        ]
      : []),
    [
      t('invoices:items'),
      esc(
        i.items
          .map((it, n) =>
            t('invoices:itemLine', {
              quantity: it.quantity,
              name: it.name,
              price: ctx.money(row.items[n]!.unitPriceMinor, row.currency),
            }),
          )
          .join('; '),
      ),
    ],
    [t('invoices:refNo'), esc(i.twocheckout.refNo ?? dash)],
    [
      t('invoices:checkoutLink'),
      i.checkoutUrl
        ? `<a class="checkout-link" href="${esc(i.checkoutUrl)}">${esc(t('invoices:openCheckout'))}</a>`
        : dash,
    ],
    [
      t('invoices:checkoutLanguage'),
      esc(row.language ? localeOf(row.language).t('language.name') : t('invoices:twoCheckoutPicks')),
    ],
    [t('invoices:expiresUtc'), esc(ctx.dateTime(row.expires_at, true))],
    [t('invoices:createdUtc'), esc(ctx.dateTime(row.created_at, true))],
    [t('invoices:paidUtc'), row.paid_at ? esc(ctx.dateTime(row.paid_at, true)) : dash],
    [t('invoices:customerEmail'), esc(i.customerEmail ?? dash)],
    [t('invoices:externalId'), esc(i.externalId ?? dash)],
    [t('invoices:workflow'), `<code>${esc(workflowIdOf(i.id))}</code>`],
  ];
  const rows = timeline.map((e) => timelineRow(ctx, e)).join('');
  return page(
    t('invoices:invoiceTitle', { id: i.id }),
    `<dl id="invoice" class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>
${refundSection(ctx, row, refunds.rows, refunds.idempotencyKey, refunds.flash)}
<h2>${esc(t('invoices:timeline'))}</h2>
${scroll(`<table id="timeline"><thead><tr><th>${esc(t('invoices:timeUtc'))}</th><th>${esc(t('invoices:source'))}</th><th>${esc(t('invoices:what'))}</th><th>${esc(t('invoices:result'))}</th><th>${esc(t('invoices:details'))}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="5">${esc(t('invoices:nothingYet'))}</td></tr>`}</tbody></table>`)}`,
    merchant,
    ctx,
  );
}

/** One line of the timeline; the statuses and causes are the audit trail's own words, as the API shows them. */
function timelineRow(ctx: Locale, e: TimelineEntry): string {
  const { t } = ctx;
  const tr = (cells: string[]) =>
    `<tr data-kind="${e.kind}" data-at="${e.at.toISOString()}"><td>${esc(ctx.dateTime(e.at, true))}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  switch (e.kind) {
    case 'audit': {
      const ev = e.event;
      const what =
        ev.to_status === null
          ? esc(ev.type.replace(/_/g, ' '))
          : `${ev.from_status === null ? esc(ev.type.replace(/_/g, ' ')) : esc(ev.from_status)} → <strong>${esc(ev.to_status)}</strong>`;
      return tr([
        esc(t('invoices:sourceStatus')),
        what,
        '',
        `${esc(ev.cause)}${ev.ipn_event_id !== null ? ` (IPN #${ev.ipn_event_id})` : ''}`,
      ]);
    }
    case 'ipn': {
      const ipn = e.ipn;
      const details = ipn.claimed
        ? esc(t('invoices:ipnClaim', { refNo: ipn.refno ?? dash }))
        : [
            `RefNo ${esc(ipn.refno ?? '')}`,
            esc(t('invoices:ipnDelivery', { state: ipn.delivery_state })),
            esc(t('invoices:ipnOutcome', { outcome: ipn.outcome ?? t('invoices:notYet') })),
            ipn.duplicate_count > 0 ? esc(t('invoices:ipnDuplicates', { count: ipn.duplicate_count })) : '',
          ]
            .filter(Boolean)
            .join(' · ');
      return tr([`IPN #${ipn.id}`, esc(ipn.order_status ?? dash), verdictCell(ipn), details]);
    }
    case 'webhook': {
      const d = e.delivery;
      const result = `${esc(d.state)}${d.response_status !== null ? ` (HTTP ${d.response_status})` : ''}`;
      const details = [
        d.error && esc(t('invoices:webhookError', { error: d.error })),
        esc(t('invoices:webhookTo', { url: d.url })),
        esc(t('invoices:webhookEvent', { event: d.event_id })),
      ]
        .filter(Boolean)
        .join(' · ');
      return tr([
        esc(t('invoices:sourceWebhook')),
        esc(t('invoices:webhookAttempt', { type: d.event_type, attempt: d.attempt })),
        result,
        details,
      ]);
    }
  }
}

function verdictCell(ipn: Pick<IpnEventRow, 'verdict' | 'algorithm'>): string {
  const cls = ipn.verdict === 'verified' ? 'verdict-verified' : 'verdict-rejected';
  return `<span class="verdict ${cls}">${esc(ipn.verdict)}</span>${ipn.algorithm ? ` (${esc(ipn.algorithm)})` : ''}`;
}

// ---- IPN log ------------------------------------------------------------------------------------------------------

/** Why a replay was refused, in the reader's words (api/ipn.ts's reasons). */
export function replayRefusal(ctx: Locale, reason: ReplayRefusal, ipnEventId: number): string {
  return ctx.t(`ipn:refused.${reason}`, { id: ipnEventId });
}

export function ipnLogPage(
  ctx: PageContext,
  merchant: SessionMerchant,
  result: { rows: IpnSummaryRow[]; olderPage: string | null } | { error: string },
  flash: { notice?: string; error?: string },
): string {
  const { t } = ctx;
  const head = `${alert(flash.error)}${notice(flash.notice)}<p>${esc(t('ipn:intro'))}</p>`;
  if ('error' in result) return page(t('ipn:title'), `${head}${alert(result.error)}`, merchant, ctx);
  const rows = result.rows.map((e) => ipnLogRow(ctx, e)).join('');
  const cols = [
    'number',
    'received',
    'verdict',
    'orderStatus',
    'refNo',
    'invoice',
    'delivery',
    'outcome',
    'duplicates',
  ];
  return page(
    t('ipn:title'),
    `${head}
${scroll(`<table id="ipn-log"><thead><tr>${cols.map((c) => `<th>${esc(t(`ipn:columns.${c}` as 'ipn:columns.number'))}</th>`).join('')}<th></th></tr></thead>
<tbody>${rows || `<tr><td colspan="10">${esc(t('ipn:none'))}</td></tr>`}</tbody></table>`)}
<p class="paging">${result.olderPage !== null ? `<a href="${esc(result.olderPage)}" rel="next">${esc(t('invoices:older'))}</a>` : ''}</p>`,
    merchant,
    ctx,
  );
}

function ipnLogRow(ctx: Locale, e: IpnSummaryRow): string {
  const { t } = ctx;
  const invoice =
    e.invoice_id !== null
      ? invoiceLink(e.invoice_id)
      : e.unknown_invoice
        ? `<span class="flag">${esc(t('ipn:unknownInvoice'))}</span> REFNOEXT ${esc(e.refnoext || t('ipn:empty'))}`
        : e.refnoext
          ? esc(t('ipn:claims', { id: e.refnoext }))
          : dash;
  const replayable = e.verdict === 'verified' && e.invoice_id !== null;
  const action = replayable
    ? `<form method="post" action="/dashboard/ipn/${e.id}/replay"><button>${esc(t('ipn:replay'))}</button></form>`
    : '';
  const delivery =
    e.delivery_state === 'not_applicable'
      ? dash
      : `${esc(e.delivery_state)}${e.delivery_attempts > 1 ? ` ${esc(t('ipn:signals', { count: e.delivery_attempts }))}` : ''}`;
  const outcomeAt = e.outcome_at ? e.outcome_at.toISOString() : '';
  return `<tr data-ipn="${e.id}"><td>${e.id}</td><td>${esc(ctx.dateTime(e.received_at, true))}</td><td>${verdictCell(e)}</td>
<td>${esc(e.order_status ?? dash)}</td><td>${esc(e.refno ?? '')}</td><td>${invoice}</td><td class="delivery">${delivery}</td>
<td class="outcome" data-outcome-at="${outcomeAt}">${esc(e.outcome ?? '')}${e.outcome_at ? ` <small>${esc(t('ipn:at', { time: ctx.dateTime(e.outcome_at, true) }))}</small>` : ''}</td>
<td>${e.duplicate_count}</td><td>${action}</td></tr>`;
}

// ---- Settings -----------------------------------------------------------------------------------------------------

export interface SettingsView {
  merchant: SessionMerchant;
  /** The 2Checkout setup of the session's mode; null: live mode, not set up yet. */
  setup: { merchantCode: string; environment: 'sandbox' | 'live'; testOrders: boolean; allowMd5Ipn: boolean } | null;
  ipnUrl: string;
  /** PUBLIC_URL is a loopback or plain-http address: 2Checkout itself cannot reach it. */
  ipnUrlLocal: boolean;
  secretFingerprints: { secretKey: string; buyLinkSecretWord: string } | null;
  /** The latest audited changes of the 2Checkout settings, newest first. */
  settingsChanges: SettingsChangeRow[];
  /** The webhook signing secret, right after it was made: shown this once. */
  webhookSecret?: string;
  check?: { restApi: CheckResult; buyLink?: CheckResult };
  notice?: string;
  error?: string;
  /** The webhook URL as typed, when it was refused. */
  webhookUrlInput?: string;
}

/** Who changed the 2Checkout settings and which; secrets only by name. */
function settingsChangesTable(ctx: Locale, changes: readonly SettingsChangeRow[]): string {
  const { t } = ctx;
  if (changes.length === 0) return `<p id="settings-changes">${esc(t('settings:noChanges'))}</p>`;
  const what = (c: SettingsChangeRow) =>
    c.fields
      .map((name) => [name, c.changes[name] ?? {}] as const)
      .map(([name, d]) =>
        d.changed
          ? esc(t('settings:fieldChanged', { name }))
          : `${esc(name)}: ${esc(String(d.from ?? dash))} → ${esc(String(d.to))}`,
      )
      .join('; ');
  const who = (c: SettingsChangeRow) =>
    c.actor_type === 'admin'
      ? esc(t('settings:byAdmin'))
      : esc(t(c.actor_type === 'api_key' ? 'settings:byApiKey' : 'settings:byDashboard', { actor: c.actor }));
  return scroll(`<table id="settings-changes"><thead><tr><th>${esc(t('settings:whenUtc'))}</th><th>${esc(t('settings:who'))}</th><th>${esc(t('settings:what'))}</th></tr></thead><tbody>
${changes.map((c) => `<tr data-change="${c.id}"><td>${esc(ctx.dateTime(c.created_at, true))}</td><td>${who(c)}</td><td>${what(c)}</td></tr>`).join('\n')}
</tbody></table>`);
}

export function settingsPage(ctx: PageContext, v: SettingsView): string {
  const { t } = ctx;
  const m = v.merchant;
  const yes = (b: boolean) => esc(b ? t('yes') : t('no'));
  const s = v.setup;
  const account: [string, string][] =
    s && v.secretFingerprints
      ? [
          [t('settings:merchantCode'), `<code id="merchant-code">${esc(s.merchantCode)}</code>`],
          [
            t('settings:environment'),
            esc(s.environment === 'sandbox' ? t('settings:envSandbox') : t('settings:envLive')),
          ],
          ['Secret Key', ctx.html('settings:fingerprint_html', { value: v.secretFingerprints.secretKey })],
          [
            'Buy-link Secret Word',
            ctx.html('settings:fingerprint_html', { value: v.secretFingerprints.buyLinkSecretWord }),
          ],
          [t('settings:testOrders'), yes(s.testOrders)],
          [t('settings:md5'), yes(s.allowMd5Ipn)],
        ]
      : [];
  const checkLine = (name: string, label: string, r: CheckResult) =>
    `<li class="check-${r.verdict}" data-check="${esc(name)}">${esc(label)}: ${esc(r.verdict === 'ok' ? 'OK' : t(`settings:verdict.${r.verdict}`))} — ${esc(r.message)}</li>`;
  const check = v.check
    ? `<ul id="connection-check">${checkLine('REST API', 'REST API', v.check.restApi)}${v.check.buyLink ? checkLine('Buy link', t('settings:buyLink'), v.check.buyLink) : ''}</ul>`
    : '';
  const secret = v.webhookSecret
    ? `<p class="notice" role="status">${esc(t('settings:secretOnce'))} <code id="webhook-secret">${esc(v.webhookSecret)}</code></p>`
    : '';
  const webhookUrl = v.webhookUrlInput ?? m.webhook_url ?? '';
  return page(
    t('settings:title'),
    `${alert(v.error)}${notice(v.notice)}
<h2>${esc(t(m.livemode ? 'settings:accountLive' : 'settings:accountTest'))}</h2>
${s ? `<dl id="account" class="facts">${account.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>` : `<p id="account" class="flag">${ctx.html('settings:liveNotSetUp_html')}</p>`}
<p>${ctx.html('settings:accountHelp_html')}</p>

<h2>${esc(t('settings:changes'))}</h2>
${settingsChangesTable(ctx, v.settingsChanges)}

<h2>${esc(t('settings:ipnUrl'))}</h2>
<p><input id="ipn-url" readonly size="70" value="${esc(v.ipnUrl)}" aria-label="${esc(t('settings:ipnUrl'))}"></p>
${v.ipnUrlLocal ? `<p class="flag">${ctx.html('settings:ipnUrlLocal_html')}</p>` : ''}
<ol id="ipn-setup">
<li>${ctx.html('settings:setup1_html')}</li>
<li>${s?.allowMd5Ipn ? ctx.html('settings:setup2_html') : ctx.html('settings:setup2Strict_html')}</li>
<li>${ctx.html('settings:setup3_html')}</li>
<li>${ctx.html('settings:setup4_html')}</li>
</ol>

<h2>${esc(t('settings:checkHeading'))}</h2>
<p>${esc(s?.environment === 'sandbox' ? t('settings:checkHelpSandbox') : t('settings:checkHelp'))}</p>
<form method="post" action="/dashboard/settings/check"><button>${esc(t('settings:check'))}</button></form>
${check}

<h2>${esc(t('settings:webhooks'))}</h2>
<p>${ctx.html('settings:webhooksHelp_html')} ${esc(t('settings:now'))} ${m.webhook_url ? `<code id="webhook-url">${esc(m.webhook_url)}</code>` : `<span id="webhook-url">${esc(t('settings:notSet'))}</span>`}.</p>
${secret}
<form method="post" action="/dashboard/settings/webhook">
<label>${esc(t('settings:webhookUrl'))} <input name="webhookUrl" type="url" size="60" value="${esc(webhookUrl)}" placeholder="https://shop.example/payments/webhook"></label>
<button name="action" value="save">${esc(t('settings:save'))}</button>
${m.webhook_url ? `<button name="action" value="rotate">${esc(t('settings:rotate'))}</button> <button name="action" value="clear" formnovalidate class="secondary">${esc(t('settings:stop'))}</button>` : ''}
</form>`,
    m,
    ctx,
  );
}
