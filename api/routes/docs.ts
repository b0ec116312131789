import express, { Router } from 'express';
import { contentSecurityPolicy } from 'helmet';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { escapeHtml as esc } from '../../lib/html';
import { STYLESHEETS } from '../assets';
import type { ApiDeps } from '../deps';
import { ERROR_CODES, type ErrorCode } from '../error-codes';
import { buildOpenApiDocument } from '../openapi';

/** Swagger UI pointed at our document, without its top bar (a URL box inviting other documents) or online validator. */
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
};
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API reference — Payments</title>
<link rel="stylesheet" href="./swagger-ui.css">
<link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js"></script>
<script src="./swagger-initializer.js"></script>
</body>
</html>
`;

/** The registry's texts use Markdown's `code` spans; everything else is text. */
const inline = (text: string) => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');

/** GET /docs/errors: every error code, each at its own anchor (`docUrl` of an error points there). */
const ERRORS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Errors — Payments API</title>
${STYLESHEETS.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
</head>
<body>
<main>
<h1>Errors</h1>
<p>Every error answer is JSON, with the HTTP status below:</p>
<pre><code>{ "error": { "code", "message", "param"?, "errors"?: [{ "field", "message" }], "docUrl", "requestId" } }</code></pre>
<p><code>code</code> is stable: act on it, not on <code>message</code>, which is for people and may change.
<code>param</code> names the field the error is about, <code>errors</code> lists every problem of an invalid request.
<code>requestId</code> is also in the <code>X-Request-Id</code> header: quote it when you ask about a request.
429 and 503 carry <code>Retry-After</code> (seconds). The <a href="/docs/">API reference</a> says which codes each
operation answers.</p>
${(Object.keys(ERROR_CODES) as ErrorCode[])
  .map((code) => {
    const { status, when, action } = ERROR_CODES[code];
    return `<section id="${code}">
<h2><code>${code}</code> <small>HTTP ${status.join(', ')}</small></h2>
<p><strong>When:</strong> ${inline(when)}</p>
<p><strong>What to do:</strong> ${inline(action)}</p>
</section>`;
  })
  .join('\n')}
</main>
</body>
</html>
`;

/**
 * What Swagger UI needs, and no more, in place of the app's script-free policy (api/security.ts): its own scripts and
 * stylesheet from here (no inline script: the initializer is a file), its icons as data: images, and requests to
 * this origin (the document, "Try it out").
 */
const DOCS_POLICY = contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
});

/** The API's OpenAPI document and its reference page, served from this process (no CDN: it works offline). */
export function docsRoutes(deps: ApiDeps) {
  const router = Router();
  router.use('/docs', DOCS_POLICY);
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;

  /** GET /openapi.json — OpenAPI 3.1, generated from the zod schemas that validate the requests. */
  router.get('/openapi.json', (_req, res) => {
    // Built on first use, after the test stack has set the public URL; the schemas do not change while running.
    document ??= buildOpenApiDocument(deps.config.publicUrl);
    res.json(document);
  });

  /** GET /docs/ — the API reference (Swagger UI). Relative asset URLs need the trailing slash. */
  router.get('/docs', (req, res, next) => {
    if (req.path !== '/docs') return next();
    res.redirect(301, '/docs/');
  });
  router.get('/docs/', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/errors', (_req, res) => {
    res.type('html').send(ERRORS_PAGE);
  });
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('js').send(INITIALIZER);
  });
  router.use('/docs', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h' }));

  return router;
}
