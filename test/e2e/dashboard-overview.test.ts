import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { verifyBuyLink } from '../../lib/twocheckout';
import { launchChromium, signIn } from '../helpers/browser';
import { newSandboxShop, type SandboxShop } from '../helpers/dashboard';
import { eventually } from '../helpers/eventually';
import { payOnSandbox, startSandbox, type RunningSandbox } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';

const DAY_MS = 86400_000;
const SCREENSHOTS = join(__dirname, '../../docs/screenshots');
const RUSSIAN = { apiKey: 'API-ключ', submit: 'Войти' };
const startOfUtcDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

type Shop = SandboxShop;

/** An invoice row as the overview reads it. */
interface Paid {
  id: string;
  status: string;
  amount_minor: number;
  currency: string;
  fee_minor: number | null;
  fee_currency: string | null;
  payout_minor: number | null;
  payout_currency: string | null;
  paid_at: Date;
}

/** Money as the reader's language writes it (the minor unit of every currency used here is a hundredth). */
const money = (lang: string, minor: number, currency: string) =>
  new Intl.NumberFormat(lang, { style: 'currency', currency, currencyDisplay: 'code' }).format(minor / 100);

/** What the overview should say for a period, worked out here from the invoices themselves. */
function expectedPeriod(lang: string, rows: Paid[], from: Date) {
  const inPeriod = rows.filter((r) => r.paid_at >= from && r.status !== 'failed');
  const sum = (pick: (r: Paid) => [string | null, number | null]) => {
    const totals = new Map<string, number>();
    for (const r of inPeriod) {
      const [currency, minor] = pick(r);
      if (currency !== null && minor !== null) totals.set(currency, (totals.get(currency) ?? 0) + minor);
    }
    return [...totals]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, m]) => money(lang, m, c))
      .join('\n');
  };
  return {
    payments: String(inPeriod.length),
    gross: sum((r) => [r.currency, r.amount_minor]),
    fees: sum((r) => [r.fee_currency, r.fee_minor]),
    net: sum((r) => [r.payout_currency, r.payout_minor]),
  };
}

/**
 * The dashboard's overview, its chart and an invoice page, in Chromium, in Russian and in English, against the whole
 * service and the 2Checkout sandbox, with invoices paid there for real. The tests also take the README's screenshots
 * (docs/screenshots/), so that they show what the dashboard shows.
 */
describe('the overview, the chart and an invoice page in Russian and English, in headless Chromium', () => {
  jest.setTimeout(240_000);
  let sandbox: RunningSandbox;
  let stack: Stack;
  let browser: Browser;
  let shop: Shop;
  let other: Shop;
  /** What the Russian-speaking buyer saw: 2Checkout's checkout address, and the return page. */
  let russianBuyer: { checkoutUrl: string; returnLang: string | null; returnTitle: string | null };
  let paidRu: string;
  let paidUsd: string;

  const newShop = (name: string, merchantCode: string) => newSandboxShop(stack, name, merchantCode);

  /** Waits until the invoice is paid and 2Checkout's IPN has told its fee and payout. */
  const settled = (id: string) =>
    eventually(
      async () => {
        const row = await stack.db('invoices').where({ id }).first();
        return row.status === 'paid' && row.fee_minor !== null && row.payout_minor !== null ? row : undefined;
      },
      60_000,
      `invoice ${id} paid with its fee`,
    );

  /** An invoice made through the API and paid on the sandbox with the success card. */
  async function paidThroughApi(body: Record<string, unknown>) {
    const created = await stack.call('POST', '/v1/invoices', { token: shop.apiKey, body });
    expect(created.status).toBe(201);
    expect((await payOnSandbox(sandbox.url, created.json.checkoutUrl)).status).toBeLessThan(400);
    await settled(created.json.id);
    return created.json.id as string;
  }

  const movePaidAt = (id: string, daysAgo: number) =>
    stack
      .db('invoices')
      .where({ id })
      .update({ paid_at: new Date(Date.now() - daysAgo * DAY_MS) });

  /** Invoices that need a person, as rows of their own (no workflow behind them to change them meanwhile). */
  async function insertInvoice(merchantId: string, fields: Record<string, unknown>) {
    const id = `inv_overview${Math.random().toString(36).slice(2, 12)}`;
    await stack.db('invoices').insert({
      id,
      merchant_id: merchantId,
      items: JSON.stringify([{ name: 'Manual', unitPriceMinor: 1000, quantity: 1 }]),
      amount_minor: 1000,
      currency: 'RUB',
      expires_at: new Date(Date.now() + DAY_MS),
      twocheckout_environment: 'sandbox',
      twocheckout_merchant_code: 'manual',
      livemode: false, // the sandbox shop's test mode, which its dashboard session shows
      ...fields,
    });
    return id;
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    sandbox = await startSandbox();
    stack = await startStack({ sandboxUrl: sandbox.url });
    shop = await newShop('Магазин', '250000000401');
    other = await newShop('Other shop', '250000000402');
    browser = await launchChromium();

    // A buyer whose browser prefers Russian follows the shop's order link and pays on 2Checkout's (the sandbox's) page.
    const product = await stack.call('POST', '/v1/products', {
      token: shop.apiKey,
      body: { name: 'Подписка', price: '50.00', currency: 'RUB' },
    });
    const buyer = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
    await buyer.goto(product.json.orderUrl);
    const checkoutUrl = buyer.url();
    await buyer.getByLabel('Card number').fill('4111111111111111');
    await buyer.getByRole('button', { name: 'Place order' }).click();
    await buyer.waitForURL('**/pay/return?**');
    russianBuyer = {
      checkoutUrl,
      returnLang: await buyer.locator('html').getAttribute('lang'),
      returnTitle: await buyer.locator('h1').textContent(),
    };
    await buyer.context().close();
    paidRu = new URL(checkoutUrl).searchParams.get('order-ext-ref')!;

    // More payments, through the API: RUB in English, USD with no language; then two moved back in time.
    const [, usd, older] = await Promise.all([
      paidThroughApi({
        items: [{ name: 'Консультация', price: '75.00', quantity: 1 }],
        currency: 'RUB',
        language: 'en',
      }),
      paidThroughApi({ items: [{ name: 'E-book', price: '20.00', quantity: 1 }], currency: 'USD' }),
      paidThroughApi({ items: [{ name: 'Old order', price: '30.00', quantity: 1 }], currency: 'RUB' }),
      settled(paidRu),
    ]);
    paidUsd = usd;
    await movePaidAt(usd, 3);
    await movePaidAt(older, 10);

    await insertInvoice(shop.id, { status: 'needs_review', status_reason: 'amount differs: 9.00 RUB paid' });
    await insertInvoice(shop.id, { status: 'disputed', status_reason: 'chargeback opened' });
    await insertInvoice(shop.id, {
      status: 'processing',
      status_reason: 'PENDING at 2Checkout',
      updated_at: new Date(Date.now() - 2 * 3600_000),
    });
    await insertInvoice(shop.id, {
      status: 'processing',
      status_reason: 'just arrived',
      updated_at: new Date(Date.now() - 10 * 60_000),
    });
    // Another merchant's payment today: never in this shop's numbers.
    await insertInvoice(other.id, {
      status: 'paid',
      amount_minor: 99_900,
      paid_at: new Date(),
      fee_minor: 4000,
      fee_currency: 'RUB',
      payout_minor: 1200,
      payout_currency: 'USD',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await sandbox?.close();
  });

  async function signedIn(
    locale: string,
    labels?: { apiKey: string; submit: string },
    viewport?: { width: number; height: number },
  ) {
    const context = await browser.newContext({ locale, ...(viewport && { viewport }) });
    const page = await context.newPage();
    await signIn(page, stack.apiUrl, shop.apiKey, labels);
    return { context, page };
  }

  const paidRows = async () =>
    (await stack.db('invoices').where({ merchant_id: shop.id }).whereNotNull('paid_at')) as Paid[];

  /** The three cards as the page shows them: payments, and each amount on a line. */
  async function cards(page: Page) {
    const shown = [];
    for (const card of await page.locator('#paid article').all())
      shown.push({
        id: await card.getAttribute('id'),
        payments: await card.locator('[data-payments]').getAttribute('data-payments'),
        gross: await card.locator('[data-kind="gross"]').innerText(),
        fees: await card.locator('[data-kind="fees"]').innerText(),
        net: await card.locator('[data-kind="net"]').innerText(),
      });
    return shown;
  }

  it('When a buyer whose browser prefers Russian follows the order link, then the checkout is asked in Russian, the sandbox takes it, and the return page is Russian', async () => {
    const link = new URL(russianBuyer.checkoutUrl);
    expect(link.origin).toBe(sandbox.url);
    expect(link.searchParams.get('language')).toBe('ru');
    // unsigned, as 2Checkout's plugins send it: the signature verifies with or without it
    const verified = verifyBuyLink(link.searchParams, shop.settings.buyLinkSecretWord, new Date());
    link.searchParams.delete('language');
    expect([verified.ok, verifyBuyLink(link.searchParams, shop.settings.buyLinkSecretWord, new Date()).ok]).toEqual([
      true,
      true,
    ]);
    expect(russianBuyer).toMatchObject({ returnLang: 'ru', returnTitle: 'Спасибо' });
    expect((await stack.db('invoices').where({ id: paidRu }).first()).language).toBe('ru');

    // The API: `language` is stored and sent; none sends none; another is refused and makes nothing.
    const before = (await stack.db('invoices').where({ merchant_id: shop.id }).count({ n: '*' }))[0]!.n;
    const refused = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      body: { items: [{ name: 'X', price: '1.00', quantity: 1 }], currency: 'RUB', language: 'de' },
    });
    expect(refused.status).toBe(400);
    expect((await stack.db('invoices').where({ merchant_id: shop.id }).count({ n: '*' }))[0]!.n).toBe(before);
    const usd = (await stack.call('GET', `/v1/invoices/${paidUsd}`, { token: shop.apiKey })).json;
    expect([usd.language, new URL(usd.checkoutUrl).searchParams.has('language')]).toEqual([null, false]);
  });

  it("When buyers of other languages follow the order link or come back, then each gets their own language or none, and the pages' <html lang> says which", async () => {
    const product = await stack.call('POST', '/v1/products', {
      token: shop.apiKey,
      body: { name: 'Langs', price: '10.00', currency: 'RUB' },
    });
    const languageAsked = async (acceptLanguage: string) => {
      const order = await fetch(product.json.orderUrl, {
        redirect: 'manual',
        headers: { 'Accept-Language': acceptLanguage },
      });
      return new URL(order.headers.get('location')!).searchParams.get('language');
    };
    expect([
      await languageAsked('ru-RU,ru;q=0.9,en-US;q=0.8'),
      await languageAsked('en-GB,en;q=0.9'),
      await languageAsked('de-DE,de;q=0.9,ru;q=0.5'),
      await languageAsked('de-DE'),
      await languageAsked('*'),
    ]).toEqual(['ru', 'en', 'ru', null, null]);

    const page = async (path: string, headers: Record<string, string>) => {
      const r = await stack.call('GET', path, { headers });
      return [r.status, /<html lang="(\w+)"/.exec(r.text)?.[1], /<h1>([^<]*)<\/h1>/.exec(r.text)?.[1]];
    };
    expect(await page(`/pay/return?invoice=${paidRu}`, { 'Accept-Language': 'ru' })).toEqual([200, 'ru', 'Спасибо']);
    expect(await page(`/pay/return?invoice=${paidRu}`, {})).toEqual([200, 'en', 'Thank you']);
    expect(await page('/order/prd_nosuchproduct', { 'Accept-Language': 'ru' })).toEqual([404, 'ru', 'Не продаётся']);
    // the switch's cookie wins over the browser's header
    expect(await page('/order/prd_nosuchproduct', { 'Accept-Language': 'ru', Cookie: 'lang=en' })).toEqual([
      404,
      'en',
      'Not for sale',
    ]);
    const switched = await stack.call('GET', `/pay/return?invoice=${paidRu}&lang=ru`);
    expect([switched.status, switched.headers.get('location'), switched.headers.get('set-cookie')]).toEqual([
      303,
      `/pay/return?invoice=${paidRu}`,
      expect.stringMatching(/^lang=ru; Max-Age=31536000; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/),
    ]);
  });

  it('When the merchant signs in with a Russian browser, then the overview says in Russian what was paid today, in 7 and in 30 days, per currency, with fees and net payouts', async () => {
    const { context, page } = await signedIn('ru-RU', RUSSIAN);
    expect(await page.locator('html').getAttribute('lang')).toBe('ru');
    expect(await page.locator('h1').textContent()).toBe('Сводка');

    const rows = await paidRows();
    const today = startOfUtcDay(new Date());
    expect(await cards(page)).toEqual([
      { id: 'paid-today', ...expectedPeriod('ru', rows, today) },
      { id: 'paid-week', ...expectedPeriod('ru', rows, new Date(today.getTime() - 6 * DAY_MS)) },
      { id: 'paid-month', ...expectedPeriod('ru', rows, new Date(today.getTime() - 29 * DAY_MS)) },
    ]);
    // the numbers themselves: 2 payments today (50 + 75 RUB), the USD one 3 days ago, 30 RUB 10 days ago
    expect((await cards(page)).map((c) => [c.payments, c.gross])).toEqual([
      ['2', money('ru', 12_500, 'RUB')],
      ['3', `${money('ru', 12_500, 'RUB')}\n${money('ru', 2000, 'USD')}`],
      ['4', `${money('ru', 15_500, 'RUB')}\n${money('ru', 2000, 'USD')}`],
    ]);
    // fees in the order currency, net payouts in the account's payout currency
    expect(await page.locator('#paid-month [data-kind="net"]').innerText()).toMatch(/^[-\d\s,]+\u00a0USD$/);
    expect(await page.content()).not.toContain('999,00');

    // What needs a person: each list with its invoices, links to them; recent `processing` is not stuck.
    const listed = (id: string) =>
      page.locator(`#${id} tr[data-invoice]`).evaluateAll((trs) => trs.map((tr) => tr.textContent));
    expect(await listed('needs-review')).toEqual([expect.stringContaining('amount differs: 9.00 RUB paid')]);
    expect(await listed('disputed')).toEqual([expect.stringContaining('chargeback opened')]);
    expect(await listed('stuck-processing')).toEqual([expect.stringContaining('PENDING at 2Checkout')]);
    expect(await page.locator('#needs-review h3').textContent()).toBe('нужна проверка (1)');

    // By status: Russian words on coloured badges, each a link to the filtered list.
    const paidCount = rows.filter((r) => r.status === 'paid').length;
    const badge = page.locator('#by-status li[data-status="paid"]');
    expect(await badge.innerText()).toBe(`оплачен ${paidCount}`);
    expect(await badge.locator('.badge').evaluate((b) => (globalThis as any).getComputedStyle(b).backgroundColor)).toBe(
      'rgb(211, 244, 221)',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-ru.png'), fullPage: true });
    await badge.getByRole('link').click();
    await page.waitForURL('**/dashboard/invoices?status=paid');
    expect(await page.locator('tr[data-invoice] td.status').allTextContents()).toEqual(
      Array<string>(paidCount).fill('оплачен'),
    );
    await context.close();
  });

  it('When the chart is read, then it has one bar per UTC day with payments, as tall as its payments, and says so in words', async () => {
    const { context, page } = await signedIn('en-US');
    const rows = (await paidRows()).filter((r) => r.status !== 'failed');
    const perDay = new Map<string, number>();
    for (const r of rows) perDay.set(utcDay(r.paid_at), (perDay.get(utcDay(r.paid_at)) ?? 0) + 1);
    const expected = [...perDay].sort(([a], [b]) => a.localeCompare(b));
    expect(expected.map(([, n]) => n)).toEqual([1, 1, 2]); // 10 days ago, 3 days ago, today

    const bars = await page
      .locator('svg.chart rect.bar')
      .evaluateAll((rects) =>
        rects.map((r) => [
          r.getAttribute('data-day'),
          Number(r.getAttribute('data-payments')),
          Number(r.getAttribute('height')),
        ]),
      );
    expect(bars.map(([day, n]) => [day, n])).toEqual(expected);
    // heights follow the counts: today's bar is twice the others
    expect(bars.map(([, , h]) => h)).toEqual([77, 77, 154]);
    expect(await page.locator('svg.chart').getAttribute('role')).toBe('img');
    expect(await page.locator('svg.chart > title').textContent()).toBe('Payments per day, last 30 days (UTC)');
    expect(await page.locator('svg.chart > desc').textContent()).toMatch(
      /^4 payments from .* on 3 days; at most 2 a day\.$/,
    );
    expect(await page.locator('svg.chart rect.bar title').last().textContent()).toMatch(
      /: 2 payments — RUB\u00a0125\.00$/,
    );
    expect(
      await page.locator('#chart-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-day'))),
    ).toEqual(expected.map(([day]) => day));
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-en.png'), fullPage: true });
    await context.close();
  });

  it('When the language is switched, then the same page comes back in the other language and stays so, whatever the browser asks', async () => {
    const { context, page } = await signedIn('en-US');
    await page.goto(`${stack.apiUrl}/dashboard/invoices?status=paid`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByRole('link', { name: 'Русский' }).click();
    await page.waitForURL(`${stack.apiUrl}/dashboard/invoices?status=paid`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ru');
    expect(await page.locator('h1').textContent()).toBe('Счета');
    expect((await context.cookies()).find((c) => c.name === 'lang')).toMatchObject({ value: 'ru', httpOnly: true });
    await page.goto(`${stack.apiUrl}/dashboard`);
    expect(await page.locator('h1').textContent()).toBe('Сводка');

    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${stack.apiUrl}/dashboard`);
    expect(await page.locator('h1').textContent()).toBe('Overview');

    // An unknown language is no switch: no cookie, no redirect.
    const unknown = await page.goto(`${stack.apiUrl}/dashboard?lang=xx`);
    expect([unknown!.status(), page.url(), await page.locator('html').getAttribute('lang')]).toEqual([
      200,
      `${stack.apiUrl}/dashboard?lang=xx`,
      'en',
    ]);
    expect((await context.cookies()).find((c) => c.name === 'lang')?.value).toBe('en');
    await context.close();
  });

  it('When a paid invoice is opened, then its fee and net payout show in their currencies, in each language, and the list shows them too', async () => {
    const row = await stack.db('invoices').where({ id: paidRu }).first();
    expect([row.fee_currency, row.payout_currency]).toEqual(['RUB', 'USD']);
    for (const [locale, lang, labels, words] of [
      ['ru-RU', 'ru', RUSSIAN, { status: 'оплачен', language: 'Русский', fee: 'Комиссия 2Checkout' }],
      ['en-US', 'en', undefined, { status: 'paid', language: 'Русский', fee: '2Checkout fee' }],
    ] as const) {
      const { context, page } = await signedIn(locale, labels);
      await page.goto(`${stack.apiUrl}/dashboard/invoices`);
      const listed = page.locator(`tr[data-invoice="${paidRu}"]`);
      expect([await listed.locator('td.fee').textContent(), await listed.locator('td.net').textContent()]).toEqual([
        money(lang, row.fee_minor, 'RUB'),
        money(lang, row.payout_minor, 'USD'),
      ]);
      await listed.getByRole('link', { name: paidRu }).click();
      await page.waitForURL(`**/dashboard/invoices/${paidRu}`);
      const fact = (name: string) => page.locator(`#invoice dt:text-is("${name}") + dd`).textContent();
      expect({
        status: await page.locator('#invoice .badge').textContent(),
        fee: await fact(words.fee),
        net: await page.locator('#net').textContent(),
        language: await page.locator('#invoice dd').filter({ hasText: words.language }).count(),
      }).toEqual({
        status: words.status,
        fee: money(lang, row.fee_minor, 'RUB'),
        net: money(lang, row.payout_minor, 'USD'),
        language: 1,
      });
      await page.screenshot({ path: join(SCREENSHOTS, `invoice-${lang}.png`), fullPage: true });
      await context.close();
    }
    // An invoice 2Checkout has not reported fees for: a dash, not a zero.
    const { context, page } = await signedIn('en-US');
    const open = await stack.call('POST', '/v1/invoices', {
      token: shop.apiKey,
      body: { items: [{ name: 'Unpaid', price: '5.00', quantity: 1 }], currency: 'RUB' },
    });
    await page.goto(`${stack.apiUrl}/dashboard/invoices/${open.json.id}`);
    expect([await page.locator('#fee').textContent(), await page.locator('#net').textContent()]).toEqual(['—', '—']);
    await context.close();
  });

  it("When the pages' stylesheets are fetched, then they come from this app, cached for a year, the only styles the policy allows, and Chromium refuses nothing", async () => {
    const { context, page } = await signedIn('en-US');
    const refused: string[] = [];
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && refused.push(m.text())));
    const overview = await page.goto(`${stack.apiUrl}/dashboard`);
    const csp = overview!.headers()['content-security-policy']!.split(';');
    expect(csp).toEqual(expect.arrayContaining(["style-src 'self'", "script-src 'none'", "img-src 'self' data:"]));
    const sheets = await page
      .locator('link[rel="stylesheet"]')
      .evaluateAll((links) => links.map((l) => l.getAttribute('href')));
    expect(sheets).toEqual([
      expect.stringMatching(/^\/assets\/pico\.classless-[0-9a-f]{12}\.css$/),
      expect.stringMatching(/^\/assets\/app-[0-9a-f]{12}\.css$/),
    ]);
    for (const href of sheets) {
      const sheet = await stack.call('GET', href);
      expect([sheet.status, sheet.headers.get('content-type'), sheet.headers.get('cache-control')]).toEqual([
        200,
        'text/css; charset=utf-8',
        'public, max-age=31536000, immutable',
      ]);
    }
    expect(await stack.call('GET', '/assets/pico.classless-000000000000.css').then((r) => r.status)).toBe(404);
    // Pico is applied: the page is not in the browser's default serif font
    expect(await page.locator('body').evaluate((b) => (globalThis as any).getComputedStyle(b).fontFamily)).toMatch(
      /system-ui/,
    );
    for (const path of ['/dashboard/invoices', `/dashboard/invoices/${paidRu}`, '/dashboard/settings', '/pay/return'])
      await page.goto(`${stack.apiUrl}${path}`);
    expect(refused).toEqual([]);
    await context.close();
  });

  it('When the overview is opened on a phone, then nothing is wider than the screen: the tables scroll inside', async () => {
    const { context, page } = await signedIn('ru-RU', RUSSIAN, { width: 390, height: 844 });
    expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toBe(
      'width=device-width, initial-scale=1',
    );
    for (const path of ['/dashboard', '/dashboard/invoices', `/dashboard/invoices/${paidRu}`]) {
      await page.goto(`${stack.apiUrl}${path}`);
      expect({
        path,
        overflow: await page.evaluate(
          () =>
            (globalThis as any).document.documentElement.scrollWidth -
            (globalThis as any).document.documentElement.clientWidth,
        ),
      }).toEqual({ path, overflow: 0 });
    }
    await page.goto(`${stack.apiUrl}/dashboard`);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone-ru.png') });
    await context.close();
  });
});
