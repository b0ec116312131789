import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/logger';
import { createSandbox } from '../../sandbox/app';

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
