/** The sandbox's HTML: plain server-rendered pages, every value escaped. */
import { escapeHtml as esc } from '../lib/html';

export { esc };

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — 2Checkout sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem}
.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:4px}.error{background:#f8d7da;padding:.5rem 1rem;border-radius:4px}
label{display:block;margin:.5rem 0}input{padding:.3rem;font-size:1rem}button{padding:.4rem 1rem;font-size:1rem}</style></head>
<body><p class="banner">2Checkout <strong>sandbox</strong> — a local stand-in; no real payment is made.</p>${body}</body></html>`;
}

export const TEST_CARDS: readonly { number: string; outcome: string }[] = [
  { number: '4111111111111111', outcome: "Visa, 2Checkout's test card: authorized at once, complete soon after" },
  { number: '5555555555554444', outcome: "Mastercard, 2Checkout's test card: as the Visa" },
  { number: '4000000000000002', outcome: 'sandbox only: declined' },
  { number: '4000000000000077', outcome: 'sandbox only: PENDING, authorized a few seconds later' },
  { number: '4000000000000259', outcome: 'sandbox only: held for fraud review, then approved' },
  { number: '4000000000000341', outcome: 'sandbox only: held for fraud review, then denied' },
];

export function checkoutPage(opts: {
  merchantName: string;
  items: { name: string; price: string; quantity: number }[];
  netPrice: string;
  vat: string;
  grossPrice: string;
  currency: string;
  query: string;
  test: boolean;
  error?: string;
}): string {
  const rows = opts.items
    .map((i) => `<tr><td>${esc(i.name)}</td><td>${i.quantity}</td><td>${esc(i.price)} ${esc(opts.currency)}</td></tr>`)
    .join('');
  const cards = TEST_CARDS.map((c) => `<li><code>${c.number}</code> — ${esc(c.outcome)}</li>`).join('');
  return layout(
    'Checkout',
    `<h1>Pay ${esc(opts.merchantName)}</h1>
${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}
<table><thead><tr><th>Product</th><th>Qty</th><th>Price</th></tr></thead><tbody>${rows}</tbody></table>
${Number(opts.vat) !== 0 ? `<p>Subtotal ${esc(opts.netPrice)} ${esc(opts.currency)}, tax <span id="tax">${esc(opts.vat)} ${esc(opts.currency)}</span></p>` : ''}
<p>Total: <strong id="total">${esc(opts.grossPrice)} ${esc(opts.currency)}</strong>${opts.test ? ' (test order)' : ''}</p>
<form method="post" action="/checkout/pay">
<input type="hidden" name="link" value="${esc(opts.query)}">
<label>Name on card <input name="name" required value="Иван Петров"></label>
<label>E-mail <input name="email" type="email" required value="buyer@example.com"></label>
<label>Card number <input name="card" required inputmode="numeric" autocomplete="off"></label>
<label>Expiry (MM/YY) <input name="expiry" required value="12/30"></label>
<label>CVV <input name="cvv" required value="123"></label>
<button type="submit">Place order</button>
</form>
<h2>Test cards</h2><ul>${cards}</ul>`,
  );
}

export function errorPage(title: string, text: string): string {
  return layout(title, `<h1>${esc(title)}</h1><p class="error" role="alert">${esc(text)}</p>`);
}
