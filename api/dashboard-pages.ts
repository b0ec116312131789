/** The dashboard's HTML: plain server-rendered pages, every value escaped, no script. */
import type { InvoiceRow } from '../lib/invoice';
import type { CheckResult } from '../lib/connection-check';
import { escapeHtml as esc } from '../lib/html';
import type { MerchantRow } from '../lib/merchants';
import { INVOICE_STATUSES, workflowIdOf } from '../workflows/shared';
import type { TimelineEntry } from './invoice-timeline';
import type { IpnEventRow } from './ipn';
import type { IpnSummaryRow } from './ipn-log';
import type { SettingsChangeRow } from './merchant-settings';
import { invoiceView } from './views';

/** `2026-11-29 00:41` (UTC), or nothing. */
const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}` : '');
/** `2026-11-29 00:41:07` (UTC): a timeline needs the seconds. */
const exactly = (d: Date | null) => (d ? d.toISOString().slice(0, 19).replace('T', ' ') : '');
const alert = (error: string | undefined) => (error ? `<p class="error" role="alert">${esc(error)}</p>` : '');
const notice = (text: string | undefined) => (text ? `<p class="notice" role="status">${esc(text)}</p>` : '');
const invoiceLink = (id: string) => `<a href="/dashboard/invoices/${encodeURIComponent(id)}">${esc(id)}</a>`;

/**
 * The dashboard's one stylesheet. The Content-Security-Policy (api/security.ts) allows exactly this text by its hash:
 * style attributes and other style elements are not applied.
 */
export const DASHBOARD_CSS = `body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}
.error{background:#f8d7da;padding:.5rem 1rem;border-radius:4px}.notice{background:#d1e7dd;padding:.5rem 1rem;border-radius:4px}
label{margin-right:1rem}input,select,button{padding:.3rem;font-size:1rem}dt{font-weight:bold;float:left;clear:left;width:12rem}
dd{margin:0 0 .3rem 12rem}.flag{background:#fff3cd;padding:0 .3rem;border-radius:3px}code{background:#f4f4f4;padding:0 .2rem}
.status-paid,.check-ok{color:#146c2e;font-weight:bold}.check-rejected,.check-unreachable,.verdict-rejected{color:#b02a37;font-weight:bold}
.inline{display:inline}`;

export function page(title: string, body: string, merchant?: MerchantRow): string {
  const nav = merchant
    ? `<nav><strong>${esc(merchant.name)}</strong> · <a href="/dashboard/products">Products</a> · <a href="/dashboard/invoices">Invoices</a>
 · <a href="/dashboard/ipn">IPN log</a> · <a href="/dashboard/settings">Settings</a>
<form method="post" action="/dashboard/logout" class="inline"><button>Sign out</button></form></nav>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — Payments</title>
<style>${DASHBOARD_CSS}</style></head><body>${nav}<h1>${esc(title)}</h1>${body}</body></html>`;
}

export function notFoundPage(what: string, merchant: MerchantRow): string {
  return page('Not found', `<p class="error" role="alert">${esc(what)} not found.</p>`, merchant);
}

export function loginPage(error?: string): string {
  return page(
    'Sign in',
    `${alert(error)}
<form method="post" action="/dashboard/login"><label>API key <input name="apiKey" type="password" required size="40"></label>
<button type="submit">Sign in</button></form>`,
  );
}

export function productsPage(
  merchant: MerchantRow,
  products: { name: string; price: string; currency: string; orderUrl: string }[],
  error?: string,
): string {
  const rows = products
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}</td><td>${esc(p.price)} ${esc(p.currency)}</td><td><a class="order-link" href="${esc(p.orderUrl)}">${esc(p.orderUrl)}</a></td></tr>`,
    )
    .join('');
  return page(
    'Products',
    `${alert(error)}
<form method="post" action="/dashboard/products">
<label>Name <input name="name" required></label><label>Price <input name="price" required placeholder="50.00" size="8"></label>
<label>Currency <input name="currency" required value="RUB" size="4"></label><button type="submit">Create product</button></form>
<table><thead><tr><th>Product</th><th>Price</th><th>Order link (share it with buyers)</th></tr></thead><tbody>${rows || '<tr><td colspan="3">No products yet.</td></tr>'}</tbody></table>`,
    merchant,
  );
}

/** The filter form's values as typed, shown back even when they are wrong. */
export interface InvoiceFilterForm {
  status: string;
  from: string;
  to: string;
}

export function invoicesPage(
  merchant: MerchantRow,
  form: InvoiceFilterForm,
  result: { rows: InvoiceRow[]; nextPage: string | null; firstPage: string | null } | { error: string },
): string {
  const options = ['', ...INVOICE_STATUSES]
    .map((s) => `<option value="${s}"${s === form.status ? ' selected' : ''}>${s || 'any status'}</option>`)
    .join('');
  const filters = `<form method="get" action="/dashboard/invoices" id="filters">
<label>Status <select name="status">${options}</select></label>
<label>Created from <input type="date" name="from" value="${esc(form.from)}"></label>
<label>to <input type="date" name="to" value="${esc(form.to)}"></label> (UTC days, both included)
<button>Filter</button> <a href="/dashboard/invoices">Clear</a></form>`;
  if ('error' in result) return page('Invoices', `${filters}${alert(result.error)}`, merchant);
  const table = result.rows
    .map(invoiceView)
    .map(
      (
        i,
      ) => `<tr data-invoice="${esc(i.id)}"><td>${invoiceLink(i.id)}</td><td class="status status-${esc(i.status)}">${esc(i.status)}${i.late ? ' (late)' : ''}</td>
<td>${esc(i.amount)} ${esc(i.currency)}</td><td>${esc(i.items.map((it) => it.name).join(', '))}</td><td>${when(i.createdAt)}</td><td>${when(i.paidAt)}</td>
<td>${when(i.expiresAt)}</td><td>${esc(i.twocheckout.refNo ?? '')}</td><td>${esc(i.statusReason ?? '')}</td></tr>`,
    )
    .join('');
  const paging = [
    result.firstPage !== null && `<a href="${esc(result.firstPage)}">← Newest</a>`,
    result.nextPage !== null && `<a href="${esc(result.nextPage)}" rel="next">Older →</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  return page(
    'Invoices',
    `${filters}
<table><thead><tr><th>Invoice</th><th>Status</th><th>Amount</th><th>Items</th><th>Created (UTC)</th><th>Paid</th><th>Expires</th><th>2Checkout RefNo</th><th>Why</th></tr></thead>
<tbody>${table || '<tr><td colspan="9">No invoices match.</td></tr>'}</tbody></table>
<p class="paging">${paging}</p>`,
    merchant,
  );
}

export function invoicePage(merchant: MerchantRow, row: InvoiceRow, timeline: TimelineEntry[]): string {
  const i = invoiceView(row);
  const facts: [string, string][] = [
    ['Status', `<span class="status status-${esc(i.status)}">${esc(i.status)}${i.late ? ' (late)' : ''}</span>`],
    ['Why', esc(i.statusReason ?? '')],
    ['Late', i.late ? 'yes: paid after it expired or was canceled' : 'no'],
    [
      'Amount',
      `${esc(i.amount)} ${esc(i.currency)}${row.refunded_minor > 0 ? ` (refunded ${esc(i.refundedAmount)})` : ''}`,
    ],
    ['Items', esc(i.items.map((it) => `${it.quantity} × ${it.name} at ${it.price}`).join('; '))],
    ['2Checkout RefNo', esc(i.twocheckout.refNo ?? '—')],
    [
      'Checkout link',
      i.checkoutUrl ? `<a class="checkout-link" href="${esc(i.checkoutUrl)}">open the 2Checkout checkout</a>` : '—',
    ],
    ['Expires (UTC)', exactly(row.expires_at)],
    ['Created (UTC)', exactly(row.created_at)],
    ['Paid (UTC)', exactly(row.paid_at) || '—'],
    ['Customer e-mail', esc(i.customerEmail ?? '—')],
    ['Your reference', esc(i.externalId ?? '—')],
    ['Temporal workflow', `<code>${esc(workflowIdOf(i.id))}</code>`],
  ];
  const rows = timeline.map(timelineRow).join('');
  return page(
    `Invoice ${i.id}`,
    `<dl id="invoice">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<h2>Timeline</h2>
<table id="timeline"><thead><tr><th>Time (UTC)</th><th>Source</th><th>What</th><th>Result</th><th>Details</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5">Nothing yet.</td></tr>'}</tbody></table>`,
    merchant,
  );
}

function timelineRow(e: TimelineEntry): string {
  const tr = (cells: string[]) =>
    `<tr data-kind="${e.kind}" data-at="${e.at.toISOString()}"><td>${exactly(e.at)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  switch (e.kind) {
    case 'audit': {
      const ev = e.event;
      const what =
        ev.to_status === null
          ? esc(ev.type.replace(/_/g, ' '))
          : `${ev.from_status === null ? esc(ev.type.replace(/_/g, ' ')) : esc(ev.from_status)} → <strong>${esc(ev.to_status)}</strong>`;
      return tr([
        'status',
        what,
        '',
        `${esc(ev.cause)}${ev.ipn_event_id !== null ? ` (IPN #${ev.ipn_event_id})` : ''}`,
      ]);
    }
    case 'ipn': {
      const ipn = e.ipn;
      const details = ipn.claimed
        ? `not trusted: only claims this invoice (REFNOEXT); RefNo ${esc(ipn.refno ?? '—')}`
        : [
            `RefNo ${esc(ipn.refno ?? '')}`,
            `delivery: ${esc(ipn.delivery_state)}`,
            `outcome: ${esc(ipn.outcome ?? 'not yet')}`,
            ipn.duplicate_count > 0 ? `duplicates: ${ipn.duplicate_count}` : '',
          ]
            .filter(Boolean)
            .join(' · ');
      return tr([`IPN #${ipn.id}`, esc(ipn.order_status ?? '—'), verdictCell(ipn), details]);
    }
    case 'webhook': {
      const d = e.delivery;
      const result = `${esc(d.state)}${d.response_status !== null ? ` (HTTP ${d.response_status})` : ''}`;
      const details = [d.error && `error: ${esc(d.error)}`, `to ${esc(d.url)}`, `event ${esc(d.event_id)}`]
        .filter(Boolean)
        .join(' · ');
      return tr(['webhook', `${esc(d.event_type)}, attempt ${d.attempt}`, result, details]);
    }
  }
}

function verdictCell(ipn: Pick<IpnEventRow, 'verdict' | 'algorithm'>): string {
  const cls = ipn.verdict === 'verified' ? 'verdict-verified' : 'verdict-rejected';
  return `<span class="verdict ${cls}">${esc(ipn.verdict)}</span>${ipn.algorithm ? ` (${esc(ipn.algorithm)})` : ''}`;
}

export function ipnLogPage(
  merchant: MerchantRow,
  result: { rows: IpnSummaryRow[]; olderPage: string | null } | { error: string },
  flash: { notice?: string; error?: string },
): string {
  const intro = `<p>Every IPN 2Checkout sent to this merchant's IPN URL, newest first: rejected ones too (the signature did
not verify: nothing in them is trusted), and verified ones that name no invoice of yours (flagged; they never create one).
"Replay to workflow" hands a stored, verified IPN to its invoice's workflow again; handling is idempotent, so a replay
changes nothing unless something was missed.</p>`;
  const head = `${alert(flash.error)}${notice(flash.notice)}${intro}`;
  if ('error' in result) return page('IPN log', `${head}${alert(result.error)}`, merchant);
  const rows = result.rows.map(ipnLogRow).join('');
  return page(
    'IPN log',
    `${head}
<table id="ipn-log"><thead><tr><th>#</th><th>Received (UTC)</th><th>Verdict</th><th>ORDERSTATUS</th><th>RefNo</th><th>Invoice</th>
<th>Delivery</th><th>Outcome</th><th>Duplicates</th><th></th></tr></thead>
<tbody>${rows || '<tr><td colspan="10">No IPN yet.</td></tr>'}</tbody></table>
<p class="paging">${result.olderPage !== null ? `<a href="${esc(result.olderPage)}" rel="next">Older →</a>` : ''}</p>`,
    merchant,
  );
}

function ipnLogRow(e: IpnSummaryRow): string {
  const invoice =
    e.invoice_id !== null
      ? invoiceLink(e.invoice_id)
      : e.unknown_invoice
        ? `<span class="flag">unknown invoice</span> REFNOEXT ${esc(e.refnoext || '(empty)')}`
        : e.refnoext
          ? `claims ${esc(e.refnoext)}`
          : '—';
  const replayable = e.verdict === 'verified' && e.invoice_id !== null;
  const action = replayable
    ? `<form method="post" action="/dashboard/ipn/${e.id}/replay"><button>Replay to workflow</button></form>`
    : '';
  const delivery =
    e.delivery_state === 'not_applicable'
      ? '—'
      : `${esc(e.delivery_state)}${e.delivery_attempts > 1 ? ` (${e.delivery_attempts} signals)` : ''}`;
  const outcomeAt = e.outcome_at ? e.outcome_at.toISOString() : '';
  return `<tr data-ipn="${e.id}"><td>${e.id}</td><td>${exactly(e.received_at)}</td><td>${verdictCell(e)}</td>
<td>${esc(e.order_status ?? '—')}</td><td>${esc(e.refno ?? '')}</td><td>${invoice}</td><td class="delivery">${delivery}</td>
<td class="outcome" data-outcome-at="${outcomeAt}">${esc(e.outcome ?? '')}${e.outcome_at ? ` <small>at ${exactly(e.outcome_at)}</small>` : ''}</td>
<td>${e.duplicate_count}</td><td>${action}</td></tr>`;
}

export interface SettingsView {
  merchant: MerchantRow;
  ipnUrl: string;
  /** PUBLIC_URL is a loopback or plain-http address: 2Checkout itself cannot reach it. */
  ipnUrlLocal: boolean;
  secretFingerprints: { secretKey: string; buyLinkSecretWord: string };
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
function settingsChangesTable(changes: readonly SettingsChangeRow[]): string {
  if (changes.length === 0) return '<p id="settings-changes">None yet.</p>';
  const what = (c: SettingsChangeRow) =>
    c.fields
      .map((name) => [name, c.changes[name] ?? {}] as const)
      .map(([name, d]) =>
        d.changed ? `${esc(name)} changed` : `${esc(name)}: ${esc(String(d.from ?? '—'))} → ${esc(String(d.to))}`,
      )
      .join('; ');
  const who = (c: SettingsChangeRow) =>
    c.actor_type === 'admin' ? 'admin' : `${c.actor_type === 'api_key' ? 'API key' : 'dashboard'} ${esc(c.actor)}`;
  return `<table id="settings-changes"><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th></tr></thead><tbody>
${changes.map((c) => `<tr data-change="${c.id}"><td>${exactly(c.created_at)}</td><td>${who(c)}</td><td>${what(c)}</td></tr>`).join('\n')}
</tbody></table>`;
}

export function settingsPage(v: SettingsView): string {
  const m = v.merchant;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const account: [string, string][] = [
    ['Merchant code', `<code id="merchant-code">${esc(m.twocheckout_merchant_code)}</code>`],
    [
      'Environment',
      m.twocheckout_environment === 'sandbox'
        ? 'sandbox (the local 2Checkout sandbox)'
        : 'live (secure.2checkout.com, api.2checkout.com)',
    ],
    ['Secret Key', `fingerprint <code>${esc(v.secretFingerprints.secretKey)}</code>`],
    ['Buy-link Secret Word', `fingerprint <code>${esc(v.secretFingerprints.buyLinkSecretWord)}</code>`],
    ['Test orders count as paid', yes(m.accept_test_orders)],
    ['MD5-only IPNs accepted', yes(m.allow_md5_ipn)],
  ];
  const checkLine = (name: string, r: CheckResult) =>
    `<li class="check-${r.verdict}" data-check="${esc(name)}">${esc(name)}: ${r.verdict === 'ok' ? 'OK' : r.verdict} — ${esc(r.message)}</li>`;
  const check = v.check
    ? `<ul id="connection-check">${checkLine('REST API', v.check.restApi)}${v.check.buyLink ? checkLine('Buy link', v.check.buyLink) : ''}</ul>`
    : '';
  const secret = v.webhookSecret
    ? `<p class="notice" role="status">Signing secret, shown only this once — copy it now: <code id="webhook-secret">${esc(v.webhookSecret)}</code></p>`
    : '';
  const webhookUrl = v.webhookUrlInput ?? m.webhook_url ?? '';
  return page(
    'Settings',
    `${alert(v.error)}${notice(v.notice)}
<h2>2Checkout account</h2>
<dl id="account">${account.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('')}</dl>
<p>Change these with <code>PATCH /v1/merchant</code>. A fingerprint is the start of the secret's SHA-256
(<code>printf %s 'secret' | sha256sum</code>): enough to tell which secret is saved, nothing of the secret itself.</p>

<h2>Changes of these settings</h2>
${settingsChangesTable(v.settingsChanges)}

<h2>IPN URL</h2>
<p><input id="ipn-url" readonly size="70" value="${esc(v.ipnUrl)}" aria-label="IPN URL"></p>
${
  v.ipnUrlLocal
    ? `<p class="flag">This address is not reachable from the internet: enough for the sandbox; a live merchant needs the api's
public HTTPS address in <code>PUBLIC_URL</code>.</p>`
    : ''
}
<ol id="ipn-setup">
<li>In 2Checkout's Control Panel open <strong>Dashboard → Integrations → Webhooks &amp; API → IPN Settings</strong> and
click <strong>Add IPN URL</strong>; paste the URL above. 2Checkout checks it with a GET, which answers 200.</li>
<li>Hash algorithm: select <strong>SHA3-256</strong> (and SHA-256 if offered); leave MD5 off${m.allow_md5_ipn ? '' : ' — an IPN signed with MD5 alone is refused here'}.
The strongest signature present is verified with the Secret Key.</li>
<li>Read receipt: nothing to switch on here. Each verified IPN is answered at once with the read receipt 2Checkout
requires (<code>&lt;sig algo="sha3-256" date="…"&gt;…&lt;/sig&gt;</code>, in the algorithm of the strongest signature
received); without it 2Checkout retries for two days.</li>
<li>Parameters of the IPN trigger: tick <code>REFNOEXT</code> (the invoice id) and <code>TEST_ORDER</code>, and
<code>CHARGEBACK_RESOLUTION</code> to see chargebacks.</li>
</ol>

<h2>Check connection</h2>
<p>Asks 2Checkout's REST API 6.0 with this Merchant Code and Secret Key${m.twocheckout_environment === 'sandbox' ? ', and the sandbox whether it knows this merchant with the same Buy-link Secret Word' : ''}.</p>
<form method="post" action="/dashboard/settings/check"><button>Check connection</button></form>
${check}

<h2>Webhooks</h2>
<p>Every status change of an invoice is POSTed to this URL, signed in the <code>Webhook-Signature</code> header with
the signing secret. Now: ${m.webhook_url ? `<code id="webhook-url">${esc(m.webhook_url)}</code>` : '<span id="webhook-url">not set</span>'}.</p>
${secret}
<form method="post" action="/dashboard/settings/webhook">
<label>Webhook URL <input name="webhookUrl" type="url" size="60" value="${esc(webhookUrl)}" placeholder="https://shop.example/payments/webhook"></label>
<button name="action" value="save">Save webhook URL</button>
${m.webhook_url ? '<button name="action" value="rotate">New signing secret</button> <button name="action" value="clear" formnovalidate>Stop webhooks</button>' : ''}
</form>`,
    m,
  );
}
