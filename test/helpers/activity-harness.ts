import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { newId } from '../../lib/ids';
import { sealContext } from '../../lib/merchants';
import { createSecretBox } from '../../lib/secret-box';
import { createTestDatabase } from './db';
import { signedIpnBody, type IpnFacts } from './ipn';
import { standInOrder, startTwoCheckoutStandIn } from './twocheckout-stand-in';

/**
 * The invoice activities on a real PostgreSQL, asking a real HTTP stand-in for 2Checkout's REST API, with rows made
 * the way the api makes them: for tests of one activity at a time. Call `start` in beforeAll and `stop` in afterAll.
 * `secretKeys` is what the stand-in 2Checkout holds: merchant code → Secret Key.
 */
export function activityHarness(secretKeys: Map<string, string>) {
  const box = createSecretBox(randomBytes(32).toString('base64'));
  const env = new MockActivityEnvironment();
  let db!: Awaited<ReturnType<typeof createTestDatabase>>;
  let twoCheckout!: Awaited<ReturnType<typeof startTwoCheckoutStandIn>>;

  const harness = {
    box,
    get db() {
      return db.db;
    },
    get twoCheckout() {
      return twoCheckout;
    },
    async start() {
      db = await createTestDatabase();
      await db.db.migrate.latest();
      twoCheckout = await startTwoCheckoutStandIn(secretKeys);
    },
    async stop() {
      await twoCheckout?.close();
      await db?.drop();
    },
    /** The activities as a worker of a deployment with or without the sandbox builds them. */
    activities: (sandboxEnabled = true) =>
      createActivities({
        db: db.db,
        secretBox: box,
        sandboxUrl: twoCheckout.url,
        sandboxEnabled,
        publicUrl: 'http://127.0.0.1:3000',
        fetch: globalThis.fetch,
        clock: () => new Date(),
      }),
    /** Runs an activity the way a worker does (in an activity context). */
    run: <R>(fn: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(fn),
    /** A `sandbox` merchant with merchant code M and Secret Key k, taking test orders. */
    async newMerchant(id = newId('mer')): Promise<string> {
      await db.db('merchants').insert({
        id,
        name: 'Shop',
        twocheckout_merchant_code: 'M',
        twocheckout_secret_key_sealed: box.seal('k', sealContext.secretKey(id)),
        twocheckout_buy_link_secret_word_sealed: box.seal('w', sealContext.buyLinkSecretWord(id)),
        twocheckout_environment: 'sandbox',
        accept_test_orders: true,
      });
      return id;
    },
    /** A 50.00 RUB test-mode invoice of that merchant's (test) account, expiring `expiresInMs` from now. */
    async newInvoice(merchantId: string, expiresInMs = 3_600_000): Promise<string> {
      const id = newId('inv');
      await db.db('invoices').insert({
        id,
        merchant_id: merchantId,
        items: JSON.stringify([{ name: 'P', unitPriceMinor: 5000, quantity: 1 }]),
        amount_minor: 5000,
        currency: 'RUB',
        expires_at: new Date(Date.now() + expiresInMs),
        twocheckout_environment: 'sandbox',
        twocheckout_merchant_code: 'M',
        livemode: false,
      });
      return id;
    },
    /** An IPN as the api stores it, signed with `secretKey` (verified unless `verdict` says otherwise). */
    async storedIpn(o: {
      merchantId: string;
      invoiceId: string;
      facts: Partial<IpnFacts>;
      secretKey?: string;
      verdict?: string;
    }): Promise<number> {
      const f: IpnFacts = {
        refNo: 'R1',
        invoiceId: o.invoiceId,
        orderStatus: 'COMPLETE',
        total: '50.00',
        currency: 'RUB',
        ...o.facts,
      };
      const [{ id }] = await db
        .db('ipn_events')
        .insert({
          merchant_id: o.merchantId,
          raw_body: Buffer.from(signedIpnBody(o.secretKey ?? 'k', f)),
          headers: '{}',
          verdict: o.verdict ?? 'verified',
          refno: f.refNo,
          order_status: f.orderStatus,
          ipn_date: f.ipnDate ?? '20261128120010',
          invoice_id: o.invoiceId,
          livemode: false,
          delivery_state: 'delivered',
        })
        .returning('id');
      return id as number;
    },
    /** An order of 50.00 RUB at the stand-in 2Checkout, for `invoiceId`. */
    order(refNo: string, invoiceId: string, status = 'COMPLETE') {
      twoCheckout.orders.set(refNo, standInOrder(refNo, invoiceId, status));
    },
  };
  return harness;
}
