/**
 * The dashboard's and the buyer's pages in the reader's language (i18next): English or Russian, picked by a `lang`
 * cookie (the switch at the foot of each page sets it) or else by Accept-Language. Strings live in
 * locales/<language>/<namespace>.json, one namespace per area (README: "Languages" says how to add one).
 *
 * Translations are plain text: i18next escapes nothing (`escapeValue: false`) and every page escapes what t() returns
 * (lib/html.ts), like any other value. A key ending in `_html` holds markup of our own; `html()` escapes only the
 * values put into it.
 */
import type { Request, RequestHandler } from 'express';
import i18next, { type TFunction } from 'i18next';
import { escapeHtml } from '../lib/html';
import { fromMinorUnits } from '../lib/money';
import enCommon from '../locales/en/common.json';
import enInvoices from '../locales/en/invoices.json';
import enIpn from '../locales/en/ipn.json';
import enOverview from '../locales/en/overview.json';
import enProducts from '../locales/en/products.json';
import enPublic from '../locales/en/public.json';
import enRefunds from '../locales/en/refunds.json';
import enSettings from '../locales/en/settings.json';
import ruCommon from '../locales/ru/common.json';
import ruInvoices from '../locales/ru/invoices.json';
import ruIpn from '../locales/ru/ipn.json';
import ruOverview from '../locales/ru/overview.json';
import ruProducts from '../locales/ru/products.json';
import ruPublic from '../locales/ru/public.json';
import ruRefunds from '../locales/ru/refunds.json';
import ruSettings from '../locales/ru/settings.json';

export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';
/** The cookie the language switch sets: a preference, no secret. */
export const LANGUAGE_COOKIE = 'lang';
const YEAR_MS = 365 * 86400_000;

/** Every namespace of every language (a unit test checks both languages have the same keys, and every file is here). */
export const RESOURCES = {
  en: {
    common: enCommon,
    overview: enOverview,
    invoices: enInvoices,
    products: enProducts,
    ipn: enIpn,
    settings: enSettings,
    public: enPublic,
    refunds: enRefunds,
  },
  ru: {
    common: ruCommon,
    overview: ruOverview,
    invoices: ruInvoices,
    products: ruProducts,
    ipn: ruIpn,
    settings: ruSettings,
    public: ruPublic,
    refunds: ruRefunds,
  },
} satisfies Record<Language, Record<string, unknown>>;

/** The namespaces, the default first: a t() of them all takes `key` of common and `ns:key` of the others. */
export const NAMESPACES = [
  'common',
  'overview',
  'invoices',
  'products',
  'ipn',
  'settings',
  'public',
  'refunds',
] as const satisfies readonly (keyof (typeof RESOURCES)['en'])[];
export type Namespaces = typeof NAMESPACES;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    // English is the reference: t() accepts only its keys (`ns:key`), so a typo is a compile error.
    resources: (typeof RESOURCES)['en'];
  }
}

const i18n = i18next.createInstance();
void i18n.init({
  resources: RESOURCES,
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  ns: [...NAMESPACES],
  defaultNS: 'common',
  initAsync: false, // the resources are in memory: ready when this module is
  interpolation: { escapeValue: false },
});

const isLanguage = (v: unknown): v is Language => LANGUAGES.includes(v as Language);

/** The `lang` cookie's value, when it names a language of ours. */
function cookieLanguage(req: Request): Language | undefined {
  const match = new RegExp(`(?:^|;\\s*)${LANGUAGE_COOKIE}=([a-z]{2})(?:;|$)`).exec(req.headers.cookie ?? '');
  return isLanguage(match?.[1]) ? match[1] : undefined;
}

/**
 * The language the reader asked for: the switch's cookie, else the best of Accept-Language (`ru-RU` is `ru`);
 * undefined when neither names one of ours (`*` or no header names none).
 */
export function requestedLanguage(req: Request): Language | undefined {
  const cookie = cookieLanguage(req);
  if (cookie) return cookie;
  const header = req.headers['accept-language'];
  if (!header || header.trim() === '*') return undefined;
  const best = req.acceptsLanguages(...LANGUAGES);
  return isLanguage(best) ? best : undefined;
}

/** The language a page is shown in: the one asked for, else English. */
export const pageLanguage = (req: Request): Language => requestedLanguage(req) ?? DEFAULT_LANGUAGE;

/**
 * The language switch: `GET …?lang=ru` remembers the choice in a cookie (a year) and shows the same address without
 * it. It changes no data, so it needs no CSRF token; an unknown value is ignored.
 */
export function languageSwitch(opts: { secure: () => boolean }): RequestHandler {
  return (req, res, next) => {
    const lang = req.query.lang;
    if (req.method !== 'GET' || !isLanguage(lang)) return next();
    res.cookie(LANGUAGE_COOKIE, lang, {
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secure(),
      path: '/',
      maxAge: YEAR_MS,
    });
    const url = new URL(req.originalUrl, 'http://here');
    url.searchParams.delete('lang');
    res.redirect(303, `${url.pathname}${url.search}`);
  };
}

/** The switch's address for `lang` from `path` (a GET page of ours, with its query). */
export function switchHref(path: string, lang: Language): string {
  const url = new URL(path, 'http://here');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

/** A reader's language: its strings, and numbers, money and times as Intl writes them there. */
export interface Locale {
  readonly lang: Language;
  /** Plain text: escape it like any value. */
  readonly t: TFunction<Namespaces>;
  /** A `_html` key's markup, with `values` escaped. */
  html(key: string, values?: Record<string, string | number>): string;
  /** `5000`, `RUB` → `RUB 50.00` / `50,00 RUB` (exact: formatted from the decimal string, never a float). */
  money(minor: number, currency: string): string;
  /** A time in UTC, to the minute (`seconds`: to the second). */
  dateTime(d: Date, seconds?: boolean): string;
  /** A UTC day, short: `Nov 30` / `30 нояб.`. */
  day(d: Date): string;
  count(n: number): string;
}

const locales = new Map<Language, Locale>();

export function localeOf(lang: Language): Locale {
  let locale = locales.get(lang);
  if (locale) return locale;
  const t = i18n.getFixedT(lang, NAMESPACES);
  const minutes = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  const seconds = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
  const day = new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const count = new Intl.NumberFormat(lang);
  const money = new Map<string, Intl.NumberFormat>();
  locale = {
    lang,
    t,
    html: (key, values = {}) =>
      // the key is checked where it is written (a literal of ours); escape: only the values are escaped
      (t as unknown as (k: string, o: object) => string)(key, {
        ...values,
        interpolation: { escapeValue: true, escape: escapeHtml },
      }),
    money(minor, currency) {
      let f = money.get(currency);
      if (!f) {
        f = new Intl.NumberFormat(lang, { style: 'currency', currency, currencyDisplay: 'code' });
        money.set(currency, f);
      }
      // Intl formats a decimal string exactly (Intl.NumberFormat v3); the type says number.
      return f.format(fromMinorUnits(minor, currency) as unknown as number);
    },
    dateTime: (d, withSeconds = false) => (withSeconds ? seconds : minutes).format(d),
    day: (d) => day.format(d),
    count: (n) => count.format(n),
  };
  locales.set(lang, locale);
  return locale;
}
