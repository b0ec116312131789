/**
 * The stylesheets of the dashboard and the buyer's pages, served by the app itself (no CDN): Pico CSS's classless
 * build (npm @picocss/pico, pinned) and a few lines of our own. Each address carries a hash of its content, so it is
 * cached for a year and a new version is a new address. The Content-Security-Policy allows styles from 'self' only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router } from 'express';

/** Ours, on top of Pico: wide tables scroll on a phone, status badges, the overview's cards and chart. */
const APP_CSS = `nav,nav ul{flex-wrap:wrap}
.scroll{overflow-x:auto;margin-bottom:var(--pico-spacing)}.scroll table{margin-bottom:0}
td,th{vertical-align:top}td.num,th.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:.05em .6em;border:1px solid;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap;line-height:1.5}
.badge-paid{background:#d3f4dd;color:#0b5128;border-color:#1a7f37}
.badge-needs_review,.badge-disputed{background:#ffe8c7;color:#6f3800;border-color:#c06000}
.badge-failed,.badge-charged_back{background:#fbdadd;color:#7d1a24;border-color:#c4293b}
.badge-awaiting_payment,.badge-processing{background:#dce9fb;color:#123f7a;border-color:#3a6fb5}
.badge-refunded,.badge-partially_refunded{background:#ece3fb;color:#442279;border-color:#7a52b8}
.badge-expired,.badge-canceled{background:#eceff2;color:#3b4249;border-color:#7b8590}
.error{background:#fbdadd;color:#7d1a24;padding:.5rem 1rem;border-radius:var(--pico-border-radius)}
.notice{background:#d3f4dd;color:#0b5128;padding:.5rem 1rem;border-radius:var(--pico-border-radius)}
.flag{background:#fff3cd;padding:0 .3rem;border-radius:3px}
.check-ok{color:#146c2e;font-weight:bold}.check-rejected,.check-unreachable,.verdict-rejected{color:#b02a37;font-weight:bold}
.inline{display:inline}.inline button{margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.5rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
@media (max-width:576px){dl.facts{grid-template-columns:1fr;gap:0}dl.facts dd{margin-bottom:.6rem}}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:0 1rem;align-items:end}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem;margin-bottom:var(--pico-spacing)}
.cards article{margin:0}.cards h3{margin-bottom:.5rem}.cards p{margin:0}.muted{color:var(--pico-muted-color)}
.statuses{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;padding:0}.statuses li{list-style:none}
svg.chart{width:100%;height:auto;max-height:16rem}svg.chart .bar{fill:#1a7f37}svg.chart .axis{stroke:#7b8590;stroke-width:1}
svg.chart text{font-size:11px;fill:#3b4249}
footer nav{justify-content:flex-start;gap:1rem}nav a[aria-current]{font-weight:700;text-decoration:underline}
#timeline td:first-child{white-space:nowrap}#attention h3::first-letter{text-transform:uppercase}`;

const PICO_CSS = readFileSync(require.resolve('@picocss/pico/css/pico.classless.min.css'));

const hashOf = (content: string | Buffer) => createHash('sha256').update(content).digest('hex').slice(0, 12);
const FILES = new Map<string, string | Buffer>([
  [`/assets/pico.classless-${hashOf(PICO_CSS)}.css`, PICO_CSS],
  [`/assets/app-${hashOf(APP_CSS)}.css`, APP_CSS],
]);

/** The stylesheets' addresses, in the order a page links them. */
export const STYLESHEETS: readonly string[] = [...FILES.keys()];

/** GET /assets/… — the stylesheets; anything else under /assets is left to the app's 404. */
export function assetRoutes() {
  const router = Router();
  router.get('/assets/:file', (req, res, next) => {
    const content = FILES.get(req.path);
    if (content === undefined) return next();
    res.set('Cache-Control', 'public, max-age=31536000, immutable').type('css').send(content);
  });
  return router;
}
