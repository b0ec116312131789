import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGES, NAMESPACES, RESOURCES, localeOf } from '../../api/i18n';

const LOCALES = join(__dirname, '../../locales');
const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Every key of a resource, nested objects flattened with '.', plural forms as their base key. */
function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix.replace(PLURAL, '')];
  return Object.entries(value).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}
const unique = (keys: string[]) => [...new Set(keys)].sort();
const tagsOf = (html: string) => (html.match(/<\/?[a-z]+/g) ?? []).sort();

describe('the dashboard and buyer pages in English and Russian (locales/)', () => {
  it('When the locales folder is listed, then each language has the same files, each registered as a namespace', () => {
    const files = Object.fromEntries(
      LANGUAGES.map((lang) => [lang, readdirSync(join(LOCALES, lang)).sort()]),
    ) as Record<string, string[]>;
    const expected = [...NAMESPACES].map((ns) => `${ns}.json`).sort();
    expect(files).toEqual(Object.fromEntries(LANGUAGES.map((lang) => [lang, expected])));
    for (const lang of LANGUAGES) {
      expect(Object.keys(RESOURCES[lang]).sort()).toEqual([...NAMESPACES].sort());
      for (const ns of NAMESPACES)
        expect(RESOURCES[lang][ns]).toEqual(JSON.parse(readFileSync(join(LOCALES, lang, `${ns}.json`), 'utf8')));
    }
  });

  it.each(NAMESPACES)('When namespace %s is compared, then Russian has every English key and no other', (ns) => {
    expect(unique(keysOf(RESOURCES.ru[ns]))).toEqual(unique(keysOf(RESOURCES.en[ns])));
  });

  it('When a Russian plural is used with 1, 3, 5 and 21, then each count takes its own form', () => {
    const ru = localeOf('ru');
    const said = [1, 3, 5, 21].map((n) => ru.t('overview:payments', { count: n, formatted: String(n) }));
    expect(said).toEqual(['1 платёж', '3 платежа', '5 платежей', '21 платёж']);
  });

  it('When a _html string is translated, then it has the same markup in both languages, and values are escaped', () => {
    for (const ns of NAMESPACES) {
      const en = RESOURCES.en[ns] as Record<string, unknown>;
      const ru = RESOURCES.ru[ns] as Record<string, unknown>;
      for (const key of Object.keys(en).filter((k) => k.endsWith('_html')))
        expect({ key, tags: tagsOf(String(ru[key])) }).toEqual({ key, tags: tagsOf(String(en[key])) });
    }
    expect(localeOf('en').html('settings:fingerprint_html', { value: '<script>"' })).toBe(
      'fingerprint <code>&#60;script&#62;&#34;</code>',
    );
    // plain strings are not escaped by i18next: the pages escape them, once
    expect(localeOf('en').t('invoices:webhookTo', { url: 'https://a.example/?x=<b>&y' })).toBe(
      'to https://a.example/?x=<b>&y',
    );
  });

  it('When money is written, then Intl writes it exactly from the minor units, in each language', () => {
    expect([localeOf('en').money(5000, 'RUB'), localeOf('ru').money(5000, 'RUB')]).toEqual([
      'RUB\u00a050.00',
      '50,00\u00a0RUB',
    ]);
    expect(localeOf('en').money(9_007_199_254_740_991, 'USD')).toBe('USD\u00a090,071,992,547,409.91');
    expect(localeOf('ru').money(-57, 'USD')).toBe('-0,57\u00a0USD');
  });
});
