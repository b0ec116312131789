import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startOfflineApi } from '../helpers/offline-api';

/** The API reference at /docs, in headless Chromium, from files this process serves (the machine is offline). */
describe('the API reference page in headless Chromium', () => {
  jest.setTimeout(60_000);
  let api: Awaited<ReturnType<typeof startOfflineApi>>;
  let browser: Browser;

  beforeAll(async () => {
    api = await startOfflineApi();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('When /docs is opened, then every operation of /openapi.json is rendered from local files, and one opens to show its parameters', async () => {
    const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { summary: string }>>;
      webhooks: Record<string, Record<string, { summary: string }>>;
    };
    expect(document.servers).toEqual([{ url: api.url }]);
    // the event types (OpenAPI `webhooks`) are rendered as operations too, named by type
    const operations = [...Object.entries(document.paths), ...Object.entries(document.webhooks)].flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(Object.keys(document.webhooks)).toContain('invoice.dispute_won');

    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => void requested.push(request.url()));
    // The page's Content-Security-Policy (routes/docs.ts) lets Swagger UI do all it needs: Chromium reports nothing.
    const refused: string[] = [];
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && refused.push(m.text())));
    await page.goto(`${api.url}/docs`);
    expect(page.url()).toBe(`${api.url}/docs/`);
    await page.locator('.opblock').first().waitFor();

    const rendered = await page
      .locator('.opblock')
      .evaluateAll((blocks) =>
        blocks.map(
          (b) =>
            `${b.querySelector('.opblock-summary-method')?.textContent?.trim()} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
        ),
      );
    expect(rendered.sort()).toEqual(operations.sort());
    await page.getByText('2Checkout payments on Temporal').first().waitFor();

    // Opening "POST /v1/invoices" shows its Idempotency-Key header and its request body.
    const createInvoice = page.locator('#operations-Invoices-createInvoice');
    await createInvoice.locator('.opblock-summary-control').click();
    await createInvoice.locator('.parameter__name', { hasText: 'Idempotency-Key' }).waitFor();
    await createInvoice.locator('.opblock-section-request-body').waitFor();

    expect(requested.filter((url) => !url.startsWith(`${api.url}/`))).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });
});
