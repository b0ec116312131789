import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { schema as apiSchema, loadApiConfig } from '../../api/config';
import { schema as sandboxSchema, loadSandboxConfig } from '../../sandbox/config';
import { schema as workerSchema, loadWorkerConfig } from '../../worker/config';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared';
import { ROOT } from '../helpers/tools';

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is held to the code instead: every variable a service
 * is given is one its config knows and accepts, addresses and ports agree across services, and what the image runs
 * is what the build emits.
 */

type Shell = Readonly<Record<string, string | undefined>>;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean> | string[];
  ports?: (string | number)[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }> | string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  container_name?: string;
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  deploy?: { replicas?: number };
}

/** What the README tells people to export before `docker compose up`. */
const SHELL: Shell = { SECRETS_KEY: randomBytes(32).toString('base64'), ADMIN_TOKEN: randomBytes(24).toString('hex') };

/** Compose's interpolation, as `docker compose` applies it to the whole file: $$, $VAR, ${VAR}, ${VAR:-x}, ${VAR:?x}. */
function interpolate(text: string, shell: Shell): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      if (bare !== undefined) return shell[bare] ?? '';
      const value = shell[name!];
      const unset = value === undefined || (op?.startsWith(':') === true && value === '');
      if (op?.endsWith('-')) return unset ? arg! : value;
      if (op?.endsWith('?')) {
        if (unset) throw new Error(`required variable ${name} is missing: ${arg}`);
        return value;
      }
      return value ?? '';
    },
  );
}

function resolveStrings<T>(value: T, shell: Shell): T {
  if (typeof value === 'string') return interpolate(value, shell) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => resolveStrings(v, shell)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveStrings(v, shell)])) as T;
  return value;
}

function loadCompose(shell: Shell): Record<string, ComposeService> {
  const doc = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return resolveStrings(doc.services, shell);
}

/** A service's environment as its process sees it: strings. */
function envOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  return Array.isArray(env)
    ? Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]))
    : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? {};
  return Array.isArray(deps)
    ? Object.fromEntries(deps.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

/** The names a service answers to inside the compose network: its own, and its aliases. */
function namesOf(services: Record<string, ComposeService>, name: string): string[] {
  const networks = services[name]?.networks;
  const aliases = networks && !Array.isArray(networks) ? Object.values(networks).flatMap((n) => n?.aliases ?? []) : [];
  return [name, ...aliases];
}

/** `[ip:]host:container` ports a service publishes; without an ip, Docker listens on every interface. */
function published(service: ComposeService): { ip: string; host: number; container: number }[] {
  return (service.ports ?? []).map((p) => {
    const parts = String(p).split(':');
    return {
      ip: parts.length === 3 ? parts[0]! : '0.0.0.0',
      host: Number(parts.at(-2)),
      container: Number(parts.at(-1)),
    };
  });
}

/** The `node dist/….js` a command runs. */
function entrypointOf(command: readonly string[] | undefined): string {
  expect(command?.[0]).toBe('node');
  return command![1]!;
}

describe('docker-compose.yml', () => {
  const services = loadCompose(SHELL);

  it('When docker compose starts the api, the worker, the sandbox and the migration, then each accepts its environment and is given no variable it does not know', () => {
    const processes = [
      { service: 'api', known: Object.keys(apiSchema.shape), load: loadApiConfig },
      { service: 'worker', known: Object.keys(workerSchema.shape), load: loadWorkerConfig },
      { service: 'sandbox', known: Object.keys(sandboxSchema.shape), load: loadSandboxConfig },
      { service: 'migrate', known: ['DATABASE_URL'], load: (env: Record<string, string>) => env },
    ];
    for (const { service, known, load } of processes) {
      const env = envOf(services[service]!);
      expect({ service, unknown: Object.keys(env).filter((name) => !known.includes(name)) }).toEqual({
        service,
        unknown: [],
      });
      expect(() => load(env)).not.toThrow();
    }
    // The api and the worker share one Temporal connection (plaintext inside the compose network) and one key.
    const api = loadApiConfig(envOf(services.api!));
    const worker = loadWorkerConfig(envOf(services.worker!));
    expect(worker.temporalConnection).toEqual(api.temporalConnection);
    expect(worker.temporalConnection).toEqual({ address: 'temporal:7233' });
    expect(worker.secretsKeyring).toEqual([{ id: 'default', key: SHELL.SECRETS_KEY }]);
    expect(api.secretsKeyring).toEqual(worker.secretsKeyring);
    expect(loadSandboxConfig(envOf(services.sandbox!)).host).toBe('0.0.0.0');
  });

  it('When SECRETS_KEY or ADMIN_TOKEN is not exported, then docker compose refuses to start rather than run without it', () => {
    expect(() => loadCompose({ ADMIN_TOKEN: SHELL.ADMIN_TOKEN })).toThrow(/SECRETS_KEY/);
    expect(() => loadCompose({ SECRETS_KEY: SHELL.SECRETS_KEY })).toThrow(/ADMIN_TOKEN/);
  });

  it('When a browser and a container follow PUBLIC_URL or TWOCHECKOUT_SANDBOX_URL, then both reach the same service on the port it listens on', () => {
    const api = loadApiConfig(envOf(services.api!));
    const worker = loadWorkerConfig(envOf(services.worker!));
    const sandbox = loadSandboxConfig(envOf(services.sandbox!));
    expect(worker.publicUrl).toBe(api.publicUrl);
    expect(worker.sandboxUrl).toBe(api.sandboxUrl);
    for (const { url, service, port } of [
      { url: new URL(api.publicUrl), service: 'api', port: api.port },
      { url: new URL(api.sandboxUrl), service: 'sandbox', port: sandbox.port },
    ]) {
      // inside the compose network the host name is the service (or an alias of it) ...
      expect(namesOf(services, service)).toContain(url.hostname);
      expect(Number(url.port)).toBe(port);
      // ... and on this machine a *.localhost name is loopback, where the same port is published
      expect(url.hostname).toMatch(/\.localhost$/);
      expect(published(services[service]!)).toContainEqual(expect.objectContaining({ host: port, container: port }));
    }
  });

  it('When the api and worker connect to PostgreSQL and Temporal, then the addresses, role and namespace are those the other services set up', () => {
    const api = loadApiConfig(envOf(services.api!));
    const database = new URL(api.databaseUrl);
    expect(database.hostname).toBe('postgresql');
    expect(database.port).toBe('5432');
    expect(envOf(services.migrate!).DATABASE_URL).toBe(api.databaseUrl);
    const init = readFileSync(path.join(ROOT, 'deploy/postgres/init-payments.sql'), 'utf8');
    expect(init).toContain(`CREATE ROLE ${database.username} WITH LOGIN PASSWORD '${database.password}';`);
    expect(init).toContain(`CREATE DATABASE ${database.pathname.slice(1)} OWNER ${database.username};`);

    expect(api.temporalAddress).toBe('temporal:7233');
    for (const name of ['temporal-setup-namespace', 'temporal-ui']) {
      expect(envOf(services[name]!).TEMPORAL_ADDRESS).toBe(api.temporalAddress);
    }
    expect(envOf(services['temporal-setup-namespace']!).TEMPORAL_NAMESPACE).toBe(api.temporalNamespace);
    expect(envOf(services['temporal-ui']!).TEMPORAL_DEFAULT_NAMESPACE).toBe(api.temporalNamespace);
  });

  it('When the namespace is set up, then the script registers exactly the search attributes the workflows upsert, with their types', () => {
    const script = readFileSync(path.join(ROOT, 'deploy/temporal/setup-namespace.sh'), 'utf8');
    const list = /^attributes='([^']*)'$/m.exec(script)?.[1];
    const registered = list!.split(/\s+/).sort();
    const upserted = Object.values(SEARCH_ATTRIBUTES)
      .map((k) => `${k.name}=${k.type[0]}${k.type.slice(1).toLowerCase()}`)
      .sort();
    expect(registered).toEqual(upserted);
  });

  it('When services start, then each waits for what it needs: every dependency exists and can report the condition awaited', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(service))) {
        expect({ name, target, exists: target in services }).toEqual({ name, target, exists: true });
        if (condition === 'service_healthy')
          expect({ target, healthcheck: !!services[target]!.healthcheck }).toEqual({ target, healthcheck: true });
        // a one-shot job: restarting it forever would never let "completed" happen
        if (condition === 'service_completed_successfully')
          expect({ target, restart: services[target]!.restart }).toEqual({ target, restart: undefined });
      }
    }
    // the api and the worker start after the schema, the namespace with its search attributes, and the sandbox
    for (const name of ['api', 'worker']) {
      expect(dependsOn(services[name]!)).toEqual({
        migrate: 'service_completed_successfully',
        'temporal-setup-namespace': 'service_completed_successfully',
        sandbox: 'service_healthy',
      });
      // ... the sandbox only when the dev profile runs it
      expect(services[name]!.depends_on).toMatchObject({ sandbox: { required: false } });
    }
  });

  it('When the stack runs without a profile, then only the api is reachable from the network: no Temporal frontend, the Temporal UI on loopback, no sandbox', () => {
    const reachable = Object.entries(services).flatMap(([name, s]) =>
      published(s).map(({ ip, host }) => ({ name, ip, host, profiles: s.profiles ?? [] })),
    );
    expect(reachable).toEqual([
      { name: 'temporal-ui', ip: '127.0.0.1', host: 8080, profiles: [] },
      { name: 'sandbox', ip: '127.0.0.1', host: 3100, profiles: ['dev'] },
      { name: 'api', ip: '0.0.0.0', host: 3000, profiles: [] },
    ]);
    // the control plane of 2Checkout payments is off unless asked for, and so are webhooks into private networks
    expect(loadApiConfig(envOf(services.api!)).sandboxEnabled).toBe(false);
    expect(loadWorkerConfig(envOf(services.worker!))).toMatchObject({
      sandboxEnabled: false,
      allowPrivateWebhookTargets: false,
    });
  });

  it("When Temporal's server reads its dynamic config, then nothing in it is for tests only or for features the service does not use", () => {
    const config = parse(readFileSync(path.join(ROOT, 'deploy/temporal/dynamicconfig.yaml'), 'utf8')) as Record<
      string,
      { value: unknown }[]
    >;
    // the search attributes are usable before the api and the workers start (setup-namespace.sh waits for them)
    expect(Object.keys(config)).toEqual(['frontend.enableUpdateWorkflowExecution']);
  });

  it('When the api and sandbox are probed, then the healthchecks ask the api for /readyz and the sandbox for its page, on their ports', () => {
    const api = loadApiConfig(envOf(services.api!));
    const sandbox = loadSandboxConfig(envOf(services.sandbox!));
    expect(services.api!.healthcheck!.test.join(' ')).toContain(`'http://127.0.0.1:${api.port}/readyz'`);
    expect(services.sandbox!.healthcheck!.test.join(' ')).toContain(`'http://127.0.0.1:${sandbox.port}/'`);
  });

  it('When the workers scale out, then there are several replicas of one stateless service', () => {
    const worker = services.worker!;
    expect(worker.deploy?.replicas).toBeGreaterThan(1);
    // replicas cannot share a published port or a container name
    expect(worker.ports).toBeUndefined();
    expect(worker.container_name).toBeUndefined();
  });

  it("When images are pulled, then Temporal's are pinned to one release and every mounted file exists", () => {
    const images = Object.values(services).flatMap((s) => (s.image && !s.build ? [s.image] : []));
    for (const image of images) expect(image).toMatch(/^[\w./-]+:\d[\w.-]*$/);
    const tag = (name: string) => services[name]!.image!.split(':')[1];
    expect(tag('temporal-setup-schema')).toBe(tag('temporal'));
    expect(tag('temporal-setup-namespace')).toBe(tag('temporal'));
    const mounts = Object.values(services).flatMap((s) => (s.volumes ?? []).filter((v) => v.startsWith('./')));
    for (const mount of mounts)
      expect({ mount, exists: existsSync(path.join(ROOT, mount.split(':')[0]!)) }).toEqual({ mount, exists: true });
  });
});

describe('Dockerfile', () => {
  const services = loadCompose(SHELL);
  const build = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  /** Compiled file (relative to the root) → its TypeScript source, as `npm run build` emits them. */
  const emitted = new Map(
    build.fileNames.flatMap((source) =>
      ts.getOutputFileNames(build, source, false).map((out) => [path.relative(ROOT, out), source] as const),
    ),
  );
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  const entrypoints = [
    entrypointOf(cmd),
    ...Object.values(services).flatMap((s) => (s.build ? [entrypointOf(s.command)] : [])),
  ];

  it('When the image runs a process, then its entrypoint is a file the build emits into dist/', () => {
    expect(/^RUN npm run build/m.test(dockerfile)).toBe(true);
    expect(dockerfile).toContain('COPY --from=build /app/dist dist');
    expect(build.options.outDir).toBe(path.join(ROOT, 'dist'));
    expect(new Set(entrypoints)).toEqual(
      new Set(['dist/api/server.js', 'dist/worker/index.js', 'dist/sandbox/server.js', 'dist/scripts/migrate.js']),
    );
    for (const entry of entrypoints) expect({ entry, emitted: emitted.has(entry) }).toEqual({ entry, emitted: true });
  });

  it('When devDependencies are pruned from the image, then nothing a process loads at run time is missing', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(dockerfile).toContain('npm prune --omit=dev');
    for (const entry of entrypoints) {
      const roots = [emitted.get(entry)!];
      // the worker bundles the workflows at start-up, from dist/workflows
      if (entry === 'dist/worker/index.js') roots.push(path.join(ROOT, 'workflows/index.ts'));
      const missing = [...runtimePackages(roots)].filter((p) => !(p in dependencies));
      expect({ entry, missing }).toEqual({ entry, missing: [] });
    }
  });
});

/** The npm packages `roots` load at run time, following relative imports; type-only imports are erased. */
function runtimePackages(roots: string[]): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const specifier of runtimeSpecifiers(source)) {
      if (specifier.startsWith('.')) {
        const base = path.resolve(path.dirname(file), specifier);
        const resolved = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
        if (resolved) queue.push(resolved);
        else if (!existsSync(base)) throw new Error(`${file}: cannot resolve ${specifier}`);
      } else if (!isBuiltin(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
  }
  return packages;
}

function runtimeSpecifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : undefined;
      const typeOnly =
        clause?.isTypeOnly === true ||
        (clause !== undefined && !clause.name && named !== undefined && named.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
