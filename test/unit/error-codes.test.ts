/**
 * Issue 15: every error the API can answer is in one registry (api/error-codes.ts) and in OpenAPI with its code and
 * status. The source is read for every error it can answer, the registry and the document are compared with it and
 * with each other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../../api/error-codes';
import { HttpError } from '../../api/errors';
import { buildOpenApiDocument } from '../../api/openapi';
import { CODES_KEY, listedCodes, registered } from '../../api/openapi-errors';

const ROOT = path.join(__dirname, '../..');

/** Every .ts file under the folders the api process runs code from. */
function sources(): { file: string; text: string }[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
    );
  return ['api', 'lib'].flatMap(walk).map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') }));
}

/** `new HttpError(<status>, '<code>'` anywhere, across line breaks: every error the API answers is made so. */
function emitted(): { file: string; status: number; code: string }[] {
  return sources().flatMap(({ file, text }) =>
    [...text.matchAll(/new HttpError\(\s*(\d{3}),\s*'([a-z_]+)'/g)].map((m) => ({
      file,
      status: Number(m[1]),
      code: m[2]!,
    })),
  );
}

const registry = Object.entries(ERROR_CODES).flatMap(([code, e]) => e.status.map((status) => ({ code, status })));
const document = JSON.parse(JSON.stringify(buildOpenApiDocument('http://127.0.0.1:3000')));
const listed = listedCodes(document);

describe('the error codes', () => {
  it('When the source is read, then every HttpError it makes has a registered code and status', () => {
    const found = emitted();
    expect(found.length).toBeGreaterThan(20);
    expect(found.filter((e) => !registered(e.code, e.status))).toEqual([]);
  });

  it('When the source is read, then no JSON error is answered around api/errors.ts', () => {
    // An answer shaped `{ error: … }` made by hand would skip docUrl, requestId and the registry.
    const byHand = sources().filter(
      ({ file, text }) => file !== 'api/errors.ts' && /\.json\(\s*\{\s*error\s*:/.test(text),
    );
    expect(byHand.map((s) => s.file)).toEqual([]);
  });

  it('When the registry is compared with the source, then every code and status it lists can be answered', () => {
    const found = emitted();
    const unused = registry.filter((r) => !found.some((e) => e.code === r.code && e.status === r.status));
    expect(unused).toEqual([]);
  });

  it('When a code is not registered or comes with another status, then HttpError refuses it (types and run time)', () => {
    expect(new HttpError(404, 'not_found', 'Invoice not found')).toMatchObject({ status: 404, code: 'not_found' });
    // @ts-expect-error: not a registered code
    expect(() => new HttpError(400, 'no_such_code', 'x')).toThrow(TypeError);
    // @ts-expect-error: not_found comes with 404 only
    expect(() => new HttpError(400, 'not_found', 'x')).toThrow(TypeError);
  });

  it('When the OpenAPI document is read, then its Error schema enumerates exactly the registry, each in its table', () => {
    const schema = document.components.schemas.Error;
    const code = schema.properties.error.properties.code;
    expect([...code.enum].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [name, e] of Object.entries(ERROR_CODES))
      expect(schema.description).toContain(`| \`${name}\` | ${e.status.join(', ')} |`);
    expect(Object.keys(schema.properties.error.properties).sort()).toEqual(
      ['code', 'docUrl', 'errors', 'message', 'param', 'requestId'].sort(),
    );
    expect([...schema.properties.error.required].sort()).toEqual(['code', 'docUrl', 'message', 'requestId']);
  });

  it('When each operation’s error answers are read, then each lists its codes, all registered with that status', () => {
    const errorAnswers = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([p, item]) =>
      Object.entries(item).flatMap(([method, op]) =>
        Object.entries((op.responses ?? {}) as Record<string, any>)
          .filter(([, r]) => JSON.stringify(r.content ?? {}).includes('#/components/schemas/Error'))
          .map(([status, r]) => ({ operation: `${method.toUpperCase()} ${p}`, status, codes: r[CODES_KEY] })),
      ),
    );
    expect(errorAnswers.length).toBeGreaterThan(50);
    expect(errorAnswers.filter((a) => !(a.codes?.length > 0))).toEqual([]);
    expect(listed.filter((l) => !registered(l.code, l.status))).toEqual([]);
  });

  it('When OpenAPI is compared with the registry and the source, then every code and status is documented somewhere', () => {
    const documented = (code: string, status: number) => listed.some((l) => l.code === code && l.status === status);
    expect(registry.filter((r) => !documented(r.code, r.status))).toEqual([]);
    expect(emitted().filter((e) => !documented(e.code, e.status))).toEqual([]);
  });

  it('When an error answer can say when to retry, then OpenAPI declares Retry-After on it', () => {
    const answers = Object.values(document.paths as Record<string, Record<string, any>>).flatMap((item) =>
      Object.values(item).flatMap((op) =>
        ['429', '503']
          .map((s) => op.responses?.[s])
          .filter((r) => r?.[CODES_KEY])
          .map((r) => Object.keys(r.headers ?? {})),
      ),
    );
    expect(answers.length).toBeGreaterThan(10);
    expect(answers.filter((headers) => !headers.includes('Retry-After'))).toEqual([]);
  });
});
