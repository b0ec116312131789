import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One scrape of a `/metrics` endpoint, parsed. Absent series read as 0, so tests compare before and after. */
export interface Scrape {
  readonly text: string;
  readonly families: ReturnType<typeof parsePrometheusTextFormat>;
  /** A counter's or gauge's value for exactly these labels. */
  value(name: string, labels?: Record<string, string>): number;
  /** Every series of a counter or gauge, as label sets with values. */
  series(name: string): { labels: Record<string, string>; value: number }[];
  /** How many observations a histogram holds, for exactly these labels (none: an unlabelled histogram). */
  histogramCount(name: string, labels?: Record<string, string>): number;
}

const sameLabels = (a: Record<string, string> = {}, b: Record<string, string> = {}) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * GETs `url` (with `token` as a Bearer token: the api's /metrics wants the admin token) and parses the Prometheus text format with parse-prometheus-text-format. That parser folds a histogram's
 * series into one, so a labelled histogram's `_count` lines are read from the text directly.
 */
export async function scrape(url: string, token?: string): Promise<Scrape> {
  const response = await fetch(url, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/plain')) throw new Error(`GET ${url}: Content-Type ${contentType}`);
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  const family = (name: string) => families.find((f) => f.name === name);
  const series = (name: string) =>
    (family(name)?.metrics ?? []).map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }));
  return {
    text,
    families,
    series,
    value: (name, labels) => series(name).find((s) => sameLabels(s.labels, labels))?.value ?? 0,
    histogramCount(name, labels) {
      const f = family(name);
      if (f && f.type !== 'HISTOGRAM') throw new Error(`${name} is a ${f.type}, not a histogram`);
      if (!labels) return Number(f?.metrics[0]?.count ?? 0);
      for (const line of text.split('\n')) {
        const m = /^(\w+)_count\{(.*)\} (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const parsed = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
        if (sameLabels(parsed, labels)) return Number(m[3]);
      }
      return 0;
    },
  };
}
