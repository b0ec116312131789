import { runSelfTest } from '../../scripts/selftest';
import { startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';

const SETTINGS = { merchantCode: '250000000077', secretKey: 'the-secret-key', buyLinkSecretWord: 'the-buy-link-word' };

/** npm run selftest against the whole service and the sandbox, with one 2Checkout setting wrong at a time. */
describe('npm run selftest', () => {
  jest.setTimeout(120_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let apiKey: string;
  let ipnUrl: string;
  const lines: string[] = [];
  const selfTest = (timeoutMs = 30_000) =>
    runSelfTest({ apiUrl: stack.apiUrl, apiKey, timeoutMs, log: (l) => lines.push(l) });
  /** What 2Checkout (the sandbox) holds for this merchant, as if typed into its Control Panel. */
  const inTwoCheckout = (overrides: Record<string, string>) =>
    fetch(`${sandbox.url}/api/merchants/${SETTINGS.merchantCode}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...SETTINGS, name: 'Shop', ipnUrl, ...overrides }),
    });

  beforeAll(async () => {
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url });
    const merchant = await stack.call('POST', '/v1/merchants', {
      token: ADMIN_TOKEN,
      body: { name: 'Shop', twocheckout: { ...SETTINGS, environment: 'sandbox', testOrders: true } },
    });
    ({ apiKey, ipnUrl } = merchant.json);
  });
  afterEach(async () => {
    await inTwoCheckout({});
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('When every setting matches, then the five steps end with a paid invoice', async () => {
    const result = await selfTest();
    expect(result).toEqual({ ok: true, invoiceId: expect.stringMatching(/^inv_/) });
    expect(lines.filter((l) => /^\d/.test(l)).map((l) => l.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.', '5.']);
  });

  it('When 2Checkout holds another Buy-link Secret Word, then the self-test says the link was refused for it', async () => {
    await inTwoCheckout({ buyLinkSecretWord: 'another word' });
    expect(await selfTest()).toMatchObject({ ok: false, problem: expect.stringContaining('Buy-link Secret Word') });
  });

  it('When 2Checkout sends IPNs elsewhere, then the self-test says no IPN arrived and names the IPN URL', async () => {
    await inTwoCheckout({ ipnUrl: 'http://127.0.0.1:9/nowhere' });
    expect(await selfTest(4000)).toMatchObject({
      ok: false,
      problem: expect.stringContaining(`No IPN arrived: set the IPN URL in 2Checkout to ${ipnUrl}`),
    });
  });

  it('When 2Checkout holds another Secret Key, then the self-test says the IPN signature did not verify', async () => {
    await inTwoCheckout({ secretKey: 'another secret key' });
    expect(await selfTest(4000)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('the Secret Key here differs'),
    });
  });
});
