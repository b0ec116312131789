import { eventually } from './eventually';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/logger';
import { createSandbox } from '../../sandbox/app';
import { ADMIN_TOKEN, type Stack } from './stack';

/** The 2Checkout sandbox on a free port, with its IPN retries and settle delays compressed. */
export async function startSandbox(opts: { settleDelayMs?: number; logger?: Logger; clock?: () => Date } = {}) {
  const sandbox = createSandbox({
    retryScale: 0.001,
    settleDelayMs: opts.settleDelayMs ?? 1500,
    fetch: globalThis.fetch,
    clock: opts.clock ?? (() => new Date()),
    ...(opts.logger && { logger: opts.logger }),
  });
  const server: Server = sandbox.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    ...sandbox,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      sandbox.stop();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type RunningSandbox = Awaited<ReturnType<typeof startSandbox>>;

/** A buyer pays a checkout link on the sandbox's checkout page: what a person does in the browser, as one POST. */
export function payOnSandbox(
  sandboxUrl: string,
  checkoutUrl: string,
  buyer: { card?: string; name?: string } = {},
): Promise<Response> {
  return fetch(`${sandboxUrl}/checkout/pay`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      link: new URL(checkoutUrl).search.slice(1),
      name: buyer.name ?? 'Ана Иванова',
      email: 'a@example.com',
      card: buyer.card ?? '4111111111111111',
    }),
  });
}

/**
 * A `sandbox` merchant of the stack taking test orders (Secret Key `key`, Buy-link Secret Word `word`), registered
 * in the sandbox by the service, with a 50.00 RUB product; `tellSandbox` registers it again with sandbox-only
 * settings (dropped IPNs, tax, plan), as the sandbox's control API allows.
 */
export async function sandboxShop(stack: Stack, sandboxUrl: string, merchantCode: string) {
  const merchant = await stack.call('POST', '/v1/merchants', {
    token: ADMIN_TOKEN,
    body: {
      name: 'Shop',
      twocheckout: {
        merchantCode,
        secretKey: 'key',
        buyLinkSecretWord: 'word',
        environment: 'sandbox',
        testOrders: true,
      },
    },
  });
  const apiKey = merchant.json.apiKey as string;
  const product = await stack.call('POST', '/v1/products', {
    token: apiKey,
    body: { name: 'Test product', price: '50.00', currency: 'RUB' },
  });
  async function tellSandbox(settings: Record<string, unknown>) {
    const me = (await stack.call('GET', '/v1/merchant', { token: apiKey })).json;
    const r = await fetch(`${sandboxUrl}/api/merchants/${merchantCode}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        secretKey: 'key',
        buyLinkSecretWord: 'word',
        name: 'Shop',
        ipnUrl: me.ipnUrl,
        ...settings,
      }),
    });
    if (!r.ok) throw new Error(`the sandbox refused the merchant's settings: HTTP ${r.status} ${await r.text()}`);
  }
  return { apiKey, merchantId: merchant.json.id as string, productId: product.json.id as string, tellSandbox };
}

/**
 * A buyer follows the product's order link and pays with the success card; returns once the invoice is paid and the
 * order COMPLETE at 2Checkout (what can be refunded): the invoice id and 2Checkout's RefNo.
 */
export async function completedOrder(
  stack: Stack,
  sandbox: RunningSandbox,
  shop: { apiKey: string; productId: string },
): Promise<{ id: string; refNo: string }> {
  const checkout = (await fetch(`${stack.apiUrl}/order/${shop.productId}`, { redirect: 'manual' })).headers.get(
    'location',
  )!;
  const id = new URL(checkout).searchParams.get('order-ext-ref')!;
  await payOnSandbox(sandbox.url, checkout);
  const refNo = await eventually(
    async () => {
      const invoice = (await stack.call('GET', `/v1/invoices/${id}`, { token: shop.apiKey })).json;
      return invoice.status === 'paid' ? (invoice.twocheckout.refNo as string) : undefined;
    },
    30_000,
    `invoice ${id} paid`,
  );
  await eventually(() => (sandbox.orders.get(refNo)?.status === 'COMPLETE' ? true : undefined), 30_000);
  return { id, refNo };
}
