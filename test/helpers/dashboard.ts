import { ADMIN_TOKEN, type Stack } from './stack';

/**
 * The dashboard over plain HTTP, as a browser uses it: a cookie jar, and forms posted with the CSRF token of the page
 * they are on (`headers` go with every request). For tests that look at answers and cookies rather than at a rendered page (those use Chromium).
 */
export function dashboardClient(apiUrl: string, headers: Record<string, string> = {}) {
  const jar = new Map<string, string>();

  async function request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...headers,
        ...(jar.size > 0 && { Cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') }),
        ...(form && { 'Content-Type': 'application/x-www-form-urlencoded' }),
      },
      ...(form && { body: new URLSearchParams(form).toString() }),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      if (/expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, pair.slice(name.length + 1));
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** The CSRF token in a page's forms. */
  const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

  return {
    jar,
    tokenOf,
    get: (path: string) => request('GET', path),
    /** A POST exactly as given: no token unless `form` has one. */
    post: (path: string, form: Record<string, string>) => request('POST', path, form),
    /** Opens `page`, then posts its form to `action` with the page's CSRF token, as a person clicking would. */
    async submit(page: string, action: string, form: Record<string, string> = {}) {
      const { text } = await request('GET', page);
      return request('POST', action, { ...form, _csrf: tokenOf(text) ?? '' });
    },
    signIn(apiKey: string) {
      return this.submit('/dashboard/login', '/dashboard/login', { apiKey });
    },
  };
}

/** A merchant of the 2Checkout sandbox, as the admin makes it: its API key and the settings it was made with. */
export interface SandboxShop {
  id: string;
  apiKey: string;
  ipnUrl: string;
  settings: { merchantCode: string; secretKey: string; buyLinkSecretWord: string };
}

/** Makes a `sandbox` merchant taking test orders through `POST /v1/merchants` (what the sandbox knows of it comes with it). */
export async function newSandboxShop(
  stack: Pick<Stack, 'call'>,
  name: string,
  merchantCode: string,
): Promise<SandboxShop> {
  const settings = { merchantCode, secretKey: `${name} secret key`, buyLinkSecretWord: `${name} buy-link word` };
  const { json } = await stack.call('POST', '/v1/merchants', {
    token: ADMIN_TOKEN,
    body: { name, twocheckout: { ...settings, environment: 'sandbox', testOrders: true } },
  });
  expect(json.warnings).toBeUndefined();
  return { id: json.id, apiKey: json.apiKey, ipnUrl: json.ipnUrl, settings };
}
