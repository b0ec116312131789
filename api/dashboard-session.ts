import { createHmac } from 'node:crypto';
import { doubleCsrf } from 'csrf-csrf';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { escapeHtml as esc } from '../lib/html';
import type { MerchantRow } from '../lib/merchants';
import type { SessionMerchant } from './dashboard-pages';
import { page } from './dashboard-pages';

const SESSION_HOURS = 12;
/** The form field every dashboard POST carries its CSRF token in. */
const CSRF_FIELD = '_csrf';

/**
 * The dashboard's session and its CSRF protection.
 *
 * The session is a signed, http-only, SameSite=Lax cookie naming the merchant, its expiry, the merchant's
 * `dashboard_session_version` and the mode of the key it was opened with (the dashboard shows that mode's data only): signing out moves the version on, so a copied cookie stops working too (every session
 * of the merchant ends). Over https it is `__Host-session` (Secure, Path=/, no Domain: no sibling host can set or
 * overwrite it); a plain-http PUBLIC_URL (`npm start` on this machine) gets the unprefixed name, which every browser
 * accepts there.
 *
 * Every POST form carries a CSRF token (csrf-csrf, double submit): an HMAC bound to the session cookie, in a hidden
 * field and in a SameSite=Strict cookie. A page of another origin, even of the same site (another port of this host,
 * a sibling subdomain), can neither read the token nor make one for this session, so its POST is refused with 403.
 */
export function dashboardSession(db: Knex, config: { publicUrl: string; sessionSecret: string }) {
  // Read at each request, not once: the test stack learns its public URL after the app is made.
  const https = () => config.publicUrl.startsWith('https:');
  const cookies = (secure: boolean) => ({
    session: secure ? '__Host-session' : 'session',
    sessionOptions: { httpOnly: true, secure, path: '/', sameSite: 'lax' } satisfies CookieOptions,
    csrf: secure ? '__Host-csrf' : 'csrf',
    csrfOptions: { httpOnly: true, secure, path: '/', sameSite: 'strict' } satisfies CookieOptions,
  });
  const over = { http: cookies(false), https: cookies(true) };
  const current = () => (https() ? over.https : over.http);
  const csrfSecret = createHmac('sha256', config.sessionSecret).update('dashboard-csrf').digest('hex');

  /** The session cookie as signed by us (cookie-parser checked the signature), or '' when there is none. */
  const rawSession = (req: Request): string => {
    const value: unknown = (req.signedCookies as Record<string, unknown>)[current().session];
    return typeof value === 'string' ? value : '';
  };

  const csrfOf = (c: ReturnType<typeof cookies>) =>
    doubleCsrf({
      getSecret: () => csrfSecret,
      // Bound to the session: a token made for one session (or for none, on the sign-in page) is no good in another.
      getSessionIdentifier: rawSession,
      cookieName: c.csrf,
      cookieOptions: c.csrfOptions,
      getCsrfTokenFromRequest: (req) => {
        const token: unknown = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
        return typeof token === 'string' ? token : undefined;
      },
    });
  const csrfs = { http: csrfOf(over.http), https: csrfOf(over.https) };
  const csrf = () => (https() ? csrfs.https : csrfs.http);

  return {
    /**
     * The signed-in merchant with the session's mode, if the cookie is ours, unexpired, of the merchant's current
     * version, and enabled.
     */
    async merchant(req: Request): Promise<SessionMerchant | undefined> {
      const [merchantId, expires, version, mode] = rawSession(req).split('|');
      if (!merchantId || !(Number(expires) > Date.now()) || (mode !== 'live' && mode !== 'test')) return undefined;
      const merchant = await db<MerchantRow>('merchants').where({ id: merchantId }).first();
      // A merchant the admin disabled is signed out at its next click, whatever its cookie says.
      if (!merchant || merchant.disabled_at || String(merchant.dashboard_session_version) !== version) return undefined;
      return { ...merchant, livemode: mode === 'live' };
    },

    /** Signs the merchant in, in the mode of the key it signed in with: a new session cookie of its current version. */
    signIn(res: Response, merchant: MerchantRow, livemode: boolean): void {
      const expires = Date.now() + SESSION_HOURS * 3600_000;
      const c = current();
      const mode = livemode ? 'live' : 'test';
      res.cookie(c.session, `${merchant.id}|${expires}|${merchant.dashboard_session_version}|${mode}`, {
        ...c.sessionOptions,
        signed: true,
        expires: new Date(expires),
      });
    },

    /** Signs out every session of the cookie's merchant (the version moves on, once), and clears this browser's. */
    async signOut(req: Request, res: Response): Promise<void> {
      const [merchantId, , version] = rawSession(req).split('|');
      if (merchantId && version !== undefined && /^\d+$/.test(version))
        await db('merchants')
          .where({ id: merchantId, dashboard_session_version: Number(version) })
          .increment('dashboard_session_version', 1);
      const c = current();
      res.clearCookie(c.session, c.sessionOptions).clearCookie(c.csrf, c.csrfOptions);
    },

    /**
     * Refuses a POST whose CSRF token is missing or not this session's: 403, and nothing changes. A good token is
     * taken out of the form: the handlers' schemas see only their own fields.
     */
    checkCsrf: ((req, res, next) => {
      if (req.method !== 'POST') return next();
      if (csrf().validateRequest(req)) {
        delete (req.body as Record<string, unknown>)[CSRF_FIELD];
        return next();
      }
      res
        .status(403)
        .type('html')
        .send(
          page(
            'Refused',
            '<p class="error" role="alert">This form was not sent from this dashboard, or it is out of date. Go back, reload the page and try again.</p>',
          ),
        );
    }) as RequestHandler,

    /** The page with this session's CSRF token in every POST form (the token's cookie is set alongside). */
    withCsrfTokens(req: Request, res: Response, html: string): string {
      const token = esc(csrf().generateCsrfToken(req, res));
      return html.replace(
        /<form method="post"[^>]*>/g,
        (tag) => `${tag}<input type="hidden" name="${CSRF_FIELD}" value="${token}">`,
      );
    },
  };
}
