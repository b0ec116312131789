import express, { Router } from 'express';
import { contentSecurityPolicy } from 'helmet';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import type { ApiDeps } from '../deps';
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
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('js').send(INITIALIZER);
  });
  router.use('/docs', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h' }));

  return router;
}
