/**
 * `npm run selftest`: the merchant's self-test of DESIGN.md §1 against a configured merchant, sandbox or live —
 * create a product priced 50 RUB, open its order link, place and pay the order, and watch the invoice turn `paid`.
 * When it does not, it says which setting is at fault.
 */
import { z } from 'zod';
import { fields, parseConfig } from '../lib/config';
import { checkBuyLink } from '../lib/connection-check';

export interface SelfTestOptions {
  apiUrl: string;
  apiKey: string;
  /** How long to wait for `paid`. */
  timeoutMs: number;
  log: (line: string) => void;
  /** For a live merchant the buyer is a person: told the link, they pay in a browser. */
  waitForHuman?: (checkoutUrl: string) => Promise<void>;
}

export type SelfTestResult = { ok: true; invoiceId: string } | { ok: false; problem: string; invoiceId?: string };

interface IpnEvent {
  verdict: string;
  refNoExt: string | null;
  invoiceId: string | null;
  outcome: string | null;
}
interface SandboxDelivery {
  refNo: string;
  attempts: { receiptOk: boolean; httpStatus: number | null; error: string | null }[];
}

export async function runSelfTest(o: SelfTestOptions): Promise<SelfTestResult> {
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const r = await fetch(`${o.apiUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${o.apiKey}`, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: r.status, json: (await r.json()) as T };
  };
  const startedAt = new Date();

  const me = await api<{ name: string; ipnUrl: string; twocheckout: { merchantCode: string; environment: string } }>(
    'GET',
    '/v1/merchant',
  );
  if (me.status !== 200) return { ok: false, problem: `The API key was refused by ${o.apiUrl} (HTTP ${me.status}).` };
  const { merchantCode, environment } = me.json.twocheckout;
  o.log(`Merchant ${me.json.name}: 2Checkout merchant code ${merchantCode}, ${environment}; IPN URL ${me.json.ipnUrl}`);

  o.log('1. Creating a product priced 50.00 RUB');
  const product = await api<{ id: string; orderUrl: string }>('POST', '/v1/products', {
    name: 'Self-test product',
    price: '50.00',
    currency: 'RUB',
  });
  if (product.status !== 201) return { ok: false, problem: `Could not create the product (HTTP ${product.status}).` };

  o.log(`2. Opening its order link ${product.json.orderUrl}`);
  const order = await fetch(product.json.orderUrl, { redirect: 'manual' });
  const checkoutUrl = order.headers.get('location');
  if (order.status !== 302 || !checkoutUrl) {
    return {
      ok: false,
      problem: `The order link did not lead to a checkout (HTTP ${order.status}): is the worker running?`,
    };
  }
  const invoiceId = new URL(checkoutUrl).searchParams.get('order-ext-ref') ?? '';
  o.log(`   invoice ${invoiceId}, checkout ${new URL(checkoutUrl).origin}`);

  if (environment === 'sandbox') {
    o.log('3. Placing the order on the sandbox checkout');
    const link = await checkBuyLink(fetch, checkoutUrl);
    if (link.verdict !== 'ok') return { ok: false, invoiceId, problem: link.message };
    o.log('4. Paying with the test card 4111 1111 1111 1111');
    const paid = await fetch(new URL('/checkout/pay', checkoutUrl), {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        link: new URL(checkoutUrl).search.slice(1),
        name: 'Self Test',
        email: 'selftest@example.com',
        card: '4111111111111111',
      }),
    });
    if (paid.status >= 400)
      return { ok: false, invoiceId, problem: `The sandbox did not take the payment (HTTP ${paid.status}).` };
  } else {
    o.log(`3-4. Open this link in a browser and pay with a 2Checkout test card:\n   ${checkoutUrl}`);
    await o.waitForHuman?.(checkoutUrl);
  }

  o.log('5. Waiting for the invoice to turn paid by itself');
  const deadline = Date.now() + o.timeoutMs;
  let invoice: { status: string; statusReason: string | null } = { status: 'awaiting_payment', statusReason: null };
  while (Date.now() < deadline) {
    invoice = (await api<typeof invoice>('GET', `/v1/invoices/${invoiceId}`)).json;
    if (invoice.status === 'paid') {
      o.log(`   paid. The integration works.`);
      return { ok: true, invoiceId };
    }
    if (!['awaiting_payment', 'processing'].includes(invoice.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, invoiceId, problem: await diagnose() };

  async function diagnose(): Promise<string> {
    const events = (await api<{ data: IpnEvent[] }>('GET', `/v1/ipn-events?since=${startedAt.toISOString()}`)).json
      .data;
    const ours = events.filter((e) => e.refNoExt === invoiceId || e.invoiceId === invoiceId);
    if (ours.some((e) => e.verdict === 'bad_signature' || e.verdict === 'missing_signature')) {
      return 'IPNs arrived but their signature did not verify: the Secret Key here differs from the one in 2Checkout.';
    }
    if (ours.some((e) => e.verdict === 'md5_not_allowed')) {
      return 'IPNs arrived signed with MD5 only: enable SHA-256/SHA3-256 IPN signatures in 2Checkout (or allow MD5).';
    }
    if (environment === 'sandbox') {
      const deliveries = await fetch(new URL('/api/ipn-deliveries', checkoutUrl!)).then(
        (r) => r.json() as Promise<{ data: SandboxDelivery[] }>,
        () => ({ data: [] }),
      );
      const refused = deliveries.data.some((d) => d.attempts.some((a) => a.httpStatus === 200 && !a.receiptOk));
      if (ours.length > 0 && refused) {
        return "2Checkout refused our read receipts: the Secret Key here differs from 2Checkout's.";
      }
    }
    if (ours.length === 0) {
      return `No IPN arrived: set the IPN URL in 2Checkout to ${me.json.ipnUrl} (and check it is reachable from the internet).`;
    }
    if (invoice.statusReason?.includes('refused our authentication')) {
      return `2Checkout's API refused our requests (${invoice.statusReason}): check the merchant code and the Secret Key.`;
    }
    return `The invoice is ${invoice.status}: ${invoice.statusReason ?? 'no reason given'}.`;
  }
}

async function main(): Promise<void> {
  const config = parseConfig(
    z.object({
      SELFTEST_API_URL: fields.optional(z.string().url()).default('http://127.0.0.1:3000'),
      SELFTEST_API_KEY: z
        .string()
        .min(1, 'set SELFTEST_API_KEY to the merchant API key (npm start prints the demo one)'),
      SELFTEST_TIMEOUT_S: fields.optional(z.coerce.number().int().positive()).default(120),
    }),
    process.env,
  );
  const result = await runSelfTest({
    apiUrl: config.SELFTEST_API_URL.replace(/\/+$/, ''),
    apiKey: config.SELFTEST_API_KEY,
    timeoutMs: config.SELFTEST_TIMEOUT_S * 1000,
    log: (line) => console.log(line),
    waitForHuman: () => Promise.resolve(),
  });
  if (result.ok) {
    console.log(`Self-test passed: invoice ${result.invoiceId} is paid.`);
  } else {
    console.error(`Self-test FAILED${result.invoiceId ? ` (invoice ${result.invoiceId})` : ''}: ${result.problem}`);
    process.exit(1);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
