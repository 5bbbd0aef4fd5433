// docker-compose.yaml against the Compose Specification schema and the stack's rules: pins, one published entry, health, secrets, env.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, type Service } from '../../src/config.js';
import { NGINX_VAR_NAMES } from '../harness/nginx.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCHEMA = join(ROOT, '..', 'shared', 'schemas', 'compose-spec.json');
const RAW = readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8');

type Env = Record<string, string>;
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Env;
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
  volumes?: string[];
  stop_grace_period?: string;
  labels?: Env;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** `cp .env.example .env`: what compose would read. */
const dotenvExample: Env = Object.fromEntries(
  readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** Compose's interpolation of string values: $$, ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, $V. Records what was referenced. */
function interpolate<T>(value: T, env: Env, refs = new Set<string>()): T {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g, (m, name?: string, op?: string, arg?: string, bare?: string) => {
      if (m === '$$') return '$';
      const key = (name ?? bare)!;
      refs.add(key);
      const v = env[key];
      const unsetOrEmpty = v === undefined || (op?.startsWith(':') && v === '');
      if (op?.endsWith('?') && unsetOrEmpty) throw new Error(`required variable ${key} is missing: ${arg}`);
      if (op?.endsWith('-') && unsetOrEmpty) return arg ?? '';
      return v ?? '';
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env, refs)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, refs)])) as T;
  return value;
}

const raw = parse(RAW, { merge: true }) as Compose;
const refs = new Set<string>();
const compose = interpolate(raw, dotenvExample, refs);
const services = Object.entries(compose.services);
const APP = ['generator', 'subscriber', 'api'] as const;

describe('docker-compose.yaml', () => {
  it('validates against the Compose Specification schema', () => {
    if (!existsSync(SCHEMA)) throw new Error(`${SCHEMA} is missing: shared/ must sit beside the repository`);
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs the nine services, the three app services from one image with their CLI command', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'centrifugo', 'generator', 'grafana', 'nginx', 'postgres', 'redis', 'subscriber', 'vector']);
    for (const name of APP) expect(compose.services[name]!.command).toEqual([name]);
    expect(new Set(APP.map((n) => compose.services[n]!.image)).size).toBe(1);
  });

  it('pins every image to a version tag, never latest', () => {
    for (const [name, s] of services) {
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(compose.services.centrifugo!.image).toBe('centrifugo/centrifugo:v6.2.3');
    expect(compose.services.vector!.image).toBe('timberio/vector:0.48.0-debian');
  });

  it('publishes ports only from nginx, and only 80 and 443', () => {
    for (const [name, s] of services) if (name !== 'nginx') expect(s.ports, name).toBeUndefined();
    expect(compose.services.nginx!.ports!.map((p) => p.split(':').at(-1))).toEqual(['80', '443']);
    expect(RAW).not.toMatch(/network_mode:\s*host/);
  });

  it('gives every service a healthcheck, a restart policy, and healthy dependencies', () => {
    for (const [name, s] of services) {
      expect(s.healthcheck?.test?.length, `${name} healthcheck`).toBeGreaterThan(1);
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(s.restart, name).toMatch(/^(unless-stopped|always)$/);
      if (!s.depends_on) continue;
      expect(Array.isArray(s.depends_on), `${name} depends_on must use conditions`).toBe(false);
      for (const [dep, cond] of Object.entries(s.depends_on)) {
        expect(cond.condition, `${name} → ${dep}`).toBe('service_healthy');
        expect(compose.services[dep], `${name} → ${dep}`).toBeDefined();
      }
    }
    const deps = (n: string): string[] => Object.keys((compose.services[n]!.depends_on as Record<string, unknown>) ?? {});
    expect(deps('subscriber').sort()).toEqual(['centrifugo', 'postgres', 'redis']);
    expect(deps('nginx').sort()).toEqual(['api', 'centrifugo', 'grafana']);
  });

  it('runs the HTTP healthchecks for real: success on a healthy answer, failure otherwise', async () => {
    let status = 200;
    let body = '{"ok":true}';
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url!);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const probe = (name: string): Promise<number> => {
      const [kind, bin, ...args] = compose.services[name]!.healthcheck!.test!;
      expect(kind, name).toBe('CMD');
      const local = args.map((a) => a.replace(/http:\/\/127\.0\.0\.1(:\d+)?\//, `http://127.0.0.1:${port}/`).replace(/\/dev\/tcp\/127\.0\.0\.1\/\d+/, `/dev/tcp/127.0.0.1/${port}`));
      return new Promise((r) => execFile(bin!, local, { timeout: 5000 }, (err) => r(err ? Number((err as { code?: number }).code ?? 1) || 1 : 0)));
    };
    const paths = { centrifugo: '/health', grafana: '/grafana/api/health', nginx: '/', vector: '/health' };
    try {
      for (const [name, path] of Object.entries(paths)) {
        [status, body] = [200, '{"ok":true}'];
        seen.length = 0;
        expect(await probe(name), `${name} healthy`).toBe(0);
        expect(seen, name).toEqual([path]);
        [status, body] = name === 'vector' ? [200, '{"ok":false}'] : [503, 'down'];
        expect(await probe(name), `${name} unhealthy`).not.toBe(0);
      }
    } finally {
      server.close();
    }
  });

  it('keeps PostgreSQL, Redis and Grafana data in named volumes and initialises PostgreSQL from the migrations', () => {
    const mount = (svc: string, target: string): string | undefined => compose.services[svc]!.volumes!.find((v) => v.split(':')[1] === target)?.split(':')[0];
    expect(mount('postgres', '/var/lib/postgresql/data')).toBe('postgres-data');
    expect(mount('redis', '/data')).toBe('redis-data');
    expect(mount('grafana', '/var/lib/grafana')).toBe('grafana-data');
    for (const v of ['postgres-data', 'redis-data', 'grafana-data']) expect(Object.keys(compose.volumes ?? {})).toContain(v);
    expect(mount('postgres', '/docker-entrypoint-initdb.d')).toBe('./deploy/postgres/migrations');
  });

  it('takes every secret from .env as a required variable, never a literal or a default', () => {
    const secretName = /PASSWORD|API_KEY|SECRET|TOKEN/;
    for (const [name, s] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        const v = String(value);
        if (secretName.test(key)) expect(v, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
        const userinfo = /^[a-z]+:\/\/([^@]*)@/.exec(v)?.[1];
        if (userinfo) expect(userinfo.slice(userinfo.indexOf(':') + 1), `${name}.${key} password`).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
      }
    }
    expect(RAW).not.toMatch(/\$\{\w*(PASSWORD|API_KEY|SECRET)\w*:?-/);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('refuses to start without .env, and .env.example names every variable the file uses', () => {
    expect(() => interpolate(raw, {})).toThrow(/POSTGRES_PASSWORD/);
    expect([...refs].filter((r) => !(r in dotenvExample))).toEqual([]);
  });

  it('gives the services an environment that the real config loader accepts', () => {
    const configSource = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
    for (const name of APP) {
      const env = compose.services[name]!.environment!;
      for (const key of Object.keys(env)) expect(configSource, `${name}.${key} is not read by src/config.ts`).toContain(`'${key}'`);
      expect(() => loadConfig(env, name as Service), name).not.toThrow();
    }
    expect(compose.services.subscriber!.environment!.CENTRIFUGO_API_KEY).toBe(compose.services.centrifugo!.environment!.CENTRIFUGO_HTTP_API_KEY);
  });

  it('lets the subscriber finish its last flush before Docker kills it', () => {
    const sub = compose.services.subscriber!;
    const graceMs = Number(/^(\d+)s$/.exec(sub.stop_grace_period ?? '')?.[1]) * 1000;
    expect(graceMs).toBeGreaterThan(Number(sub.environment!.SHUTDOWN_TIMEOUT_MS));
  });

  it('fills every nginx template placeholder, and the envsubst filter spares nginx variables', () => {
    const env = compose.services.nginx!.environment!;
    const template = readFileSync(join(ROOT, 'deploy', 'nginx', 'templates', 'default.conf.template'), 'utf8');
    const placeholders = [...new Set([...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual([...NGINX_VAR_NAMES].sort());
    const filter = new RegExp(env.NGINX_ENVSUBST_FILTER!);
    for (const name of NGINX_VAR_NAMES) {
      expect(env[name], name).toBeTruthy();
      expect(filter.test(name), name).toBe(true);
    }
    for (const other of ['PATH', 'HOME', 'HOSTNAME', 'NGINX_VERSION', 'TLS_SELF_SIGNED_CN', 'host']) expect(filter.test(other), other).toBe(false);
    expect(env.API_UPSTREAM).toBe(`api:${compose.services.api!.environment!.PORT}`);
    expect(env.CENTRIFUGO_UPSTREAM).toBe('centrifugo:8000');
    expect(env.GRAFANA_UPSTREAM).toBe('grafana:3000');
  });
});
