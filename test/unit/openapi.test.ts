import type express from 'express';
import { buildOpenApiDocument } from '../../api/openapi';
import { offlineApp } from '../helpers/offline-api';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Pages for people, not API operations: the dashboard and its stylesheets, the API reference itself and its document. */
const NOT_API = /^\/(dashboard|docs|assets)(\/|$)|^\/openapi\.json$/;

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  slash?: boolean;
}

/**
 * Every `METHOD /path` the Express app routes, read from its router (Express 5). Routers are mounted at the root in
 * api/app.ts, so a route's path is its full path; a router mounted under a prefix would be misread, so it fails.
 */
function routesOf(app: express.Express): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        return Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .flatMap((m) => paths.map((p) => `${m.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`));
      }
      if (layer.handle.stack) {
        if (!layer.slash) throw new Error('a router mounted under a path prefix: routesOf cannot read its paths');
        return walk(layer.handle.stack);
      }
      return [];
    });
  return [...new Set(walk((app as unknown as { router: { stack: Layer[] } }).router.stack))].sort();
}

/** Every `$ref` anywhere in the document. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)));
  }
  return [];
}

/** Follows a local JSON pointer (`#/components/schemas/Invoice`). */
function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      document,
    );
}

describe('the OpenAPI document', () => {
  const document = JSON.parse(JSON.stringify(buildOpenApiDocument('http://127.0.0.1:3000'))) as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, any>>;
    components: { securitySchemes: Record<string, unknown> };
  };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, path, op: item[m] })),
  );

  it('When it is generated, then it is OpenAPI 3.1 in structure: every operation answers, every $ref resolves, every path parameter is declared', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
    expect(operations.length).toBeGreaterThan(10);

    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((ref) => resolve(document, ref) === undefined)).toEqual([]);

    const ids = operations.map((o) => o.op.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, path, op } of operations) {
      expect([key, Object.keys(op.responses ?? {}).length > 0]).toEqual([key, true]);
      for (const [status, response] of Object.entries(op.responses as Record<string, { description?: string }>)) {
        expect([key, status, typeof response.description]).toEqual([key, status, 'string']);
      }
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as { in: string; name: string; required?: boolean }[])
        .filter((p) => p.in === 'path')
        .map((p) => [p.name, p.required]);
      expect([key, declared.sort()]).toEqual([key, inPath.map((name) => [name, true])]);
      for (const requirement of (op.security ?? []) as Record<string, unknown>[]) {
        for (const scheme of Object.keys(requirement))
          expect(document.components.securitySchemes).toHaveProperty(scheme);
      }
    }
  });

  it('When it is compared with the routes the Express app registers, then every API route is documented and nothing else', async () => {
    const { app, close } = offlineApp();
    try {
      const routes = routesOf(app);
      expect(routes).toEqual(expect.arrayContaining(['POST /v1/invoices', 'GET /order/{productId}', 'GET /docs/']));
      const api = routes.filter((r) => !NOT_API.test(r.split(' ')[1]!));
      expect(api.filter((r) => r.includes(' /v1/')).length).toBeGreaterThanOrEqual(10);
      expect(operations.map((o) => o.key).sort()).toEqual(api);
    } finally {
      await close();
    }
  });
});
