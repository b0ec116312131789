import { randomBytes } from 'node:crypto';
import { loadApiConfig } from '../../api/config';
import { loadWorkerConfig } from '../../worker/config';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const SANDBOX_DISABLED = {
  error: {
    code: 'sandbox_disabled',
    message: 'The 2Checkout sandbox is disabled in this deployment: merchants here use environment "live"',
    docUrl: expect.stringMatching(/\/docs\/errors#sandbox_disabled$/),
    requestId: expect.any(String),
  },
};

/** DESIGN.md §8: the sandbox exists only where the deployment enables it; production configuration does not. */
describe('a deployment without the sandbox', () => {
  jest.setTimeout(60_000);
  let stack: Stack;
  const account = { merchantCode: 'LIVE0002', secretKey: 'live key', buyLinkSecretWord: 'live word' };

  beforeAll(async () => {
    stack = await startStack({ sandboxEnabled: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('When the api and the worker are configured without SANDBOX_ENABLED, then the sandbox is off', () => {
    const env = {
      DATABASE_URL: 'postgres://u:p@db:5432/payments',
      ADMIN_TOKEN: 'admin-token-0123456789',
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PUBLIC_URL: 'https://pay.example',
    };
    expect(loadApiConfig(env).sandboxEnabled).toBe(false);
    expect(loadWorkerConfig(env).sandboxEnabled).toBe(false);
    expect(loadApiConfig({ ...env, SANDBOX_ENABLED: 'true' }).sandboxEnabled).toBe(true);
    expect(() => loadApiConfig({ ...env, SANDBOX_ENABLED: 'yes' })).toThrow(/SANDBOX_ENABLED/);
  });

  it('When the admin creates a sandbox merchant, then it is refused with a 422 and nothing is stored', async () => {
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Shop', twocheckout: { ...account, environment: 'sandbox' } },
    });
    expect({ status: created.status, json: created.json }).toEqual({ status: 422, json: SANDBOX_DISABLED });
    expect(await stack.db('merchants').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('When a live merchant switches its test setup to the sandbox, then it is refused with a 422, and its settings and audit are unchanged', async () => {
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Shop', twocheckout: { ...account, environment: 'live' } },
    });
    expect(created.status).toBe(201);
    // the test setup (2Checkout with test orders) is the one that may be the sandbox, where a deployment has it
    const apiKey = created.json.testApiKey as string;
    const audit = async () => (await stack.call('GET', '/v1/merchant/settings-changes', { token: apiKey })).json.data;
    const before = {
      merchant: (await stack.call('GET', '/v1/merchant', { token: apiKey })).json,
      audit: await audit(),
    };

    const patched = await stack.call('PATCH', '/v1/merchant', {
      token: apiKey,
      body: { twocheckout: { merchantCode: 'MINE', secretKey: 'mine', environment: 'sandbox' } },
    });

    expect({ status: patched.status, json: patched.json }).toEqual({ status: 422, json: SANDBOX_DISABLED });
    expect({
      merchant: (await stack.call('GET', '/v1/merchant', { token: apiKey })).json,
      audit: await audit(),
    }).toEqual(before);
    expect(before.merchant.twocheckout).toMatchObject({ environment: 'live', merchantCode: 'LIVE0002' });
  });

  it('When a sandbox merchant from before remains, then it cannot make invoices here', async () => {
    const created = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Old', twocheckout: { ...account, merchantCode: 'OLD', environment: 'live' } },
    });
    const apiKey = created.json.testApiKey as string;
    const product = await stack.call('POST', '/v1/products', {
      token: apiKey,
      body: { name: 'P', price: '50.00', currency: 'RUB' },
    });
    // its test setup made when the deployment still had the sandbox
    await stack.db('merchants').where({ id: created.json.id }).update({ twocheckout_environment: 'sandbox' });

    const invoice = await stack.call('POST', '/v1/invoices', { token: apiKey, body: { productId: product.json.id } });
    expect({ status: invoice.status, json: invoice.json }).toEqual({ status: 422, json: SANDBOX_DISABLED });
    const link = await fetch(product.json.orderUrl, { redirect: 'manual' });
    expect(link.status).toBe(422);
    expect(await stack.db('invoices').where({ merchant_id: created.json.id }).count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});
