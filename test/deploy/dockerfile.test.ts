// The Dockerfile's stages read as text: pinned bases, a non-root app stage with production deps only, and what compose expects of them.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (...p: string[]): string => readFileSync(join(ROOT, ...p), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped; ARG defaults substituted into FROM. */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const out: Stage[] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const argText = rest.join(' ');
    if (op!.toUpperCase() === 'ARG' && out.length === 0) {
      const [k, v] = argText.split('=');
      args[k!] = v ?? '';
    } else if (op!.toUpperCase() === 'FROM') {
      const [image, as, name] = argText.replace(/\$\{(\w+)\}/g, (_m, k: string) => args[k] ?? '').split(/\s+/);
      out.push({ from: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, body: [] });
    } else {
      out.at(-1)!.body.push({ op: op!.toUpperCase(), args: argText });
    }
  }
  return out;
}

const dockerfile = stages(read('Dockerfile'));
const byName = (n: string): Stage => dockerfile.find((s) => s.name === n)!;
const compose = parse(read('docker-compose.yaml'), { merge: true }) as { services: Record<string, { build?: { target?: string }; healthcheck?: { test: string[] }; environment?: Record<string, string> }> };

function* files(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

describe('Dockerfile', () => {
  it('pins every base image to a version', () => {
    for (const s of dockerfile) {
      if (dockerfile.some((o) => o.name === s.from)) continue;
      expect(s.from, s.name).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
      expect(s.from).not.toMatch(/:latest$/);
    }
    expect(byName('build').from).toMatch(/^node:20\./);
  });

  it('ends with the app stage: production dependencies only, the built dist, the migrations, and a non-root user', () => {
    const app = dockerfile.at(-1)!;
    expect(app.name).toBe('app');
    expect(app.from).toBe(byName('build').from);
    const runs = app.body.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.filter((r) => /\bnpm (ci|install)\b/.test(r) && !r.includes('--omit=dev'))).toEqual([]);
    // package.json's `prepare` runs the build: in a stage without sources or dev dependencies it must not run.
    const allRuns = dockerfile.flatMap((s) => s.body.filter((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)));
    for (const r of allRuns) expect(r.args).toContain('--ignore-scripts');
    const copies = app.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /src/dist/src ./dist/src');
    expect(copies).toContain('deploy/postgres/migrations ./deploy/postgres/migrations');
    const users = app.body.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    // Nothing after the USER line runs as root again.
    expect(app.body.slice(app.body.lastIndexOf(users.at(-1)!)).filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('starts the CLI where compose healthchecks look for it, and migrations sit where the CLI searches', () => {
    const app = byName('app');
    const workdir = app.body.find((i) => i.op === 'WORKDIR')!.args;
    const entry = JSON.parse(app.body.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const cli = entry.find((a) => a.endsWith('cli.js'))!;
    expect(cli).toBe(posix.join(workdir, 'dist/src/cli.js'));
    // src/adapters/migrations.ts walks up from dist/src/adapters to the first deploy/postgres/migrations.
    expect(posix.join(posix.dirname(cli), 'adapters', '..', '..', '..', 'deploy/postgres/migrations')).toBe(posix.join(workdir, 'deploy/postgres/migrations'));
    for (const name of ['generator', 'subscriber']) expect(compose.services[name]!.healthcheck!.test.join(' ')).toContain(cli);
    for (const name of ['generator', 'subscriber', 'api']) expect(compose.services[name]!.build?.target).toBe('app');
  });

  it('has node healthchecks that pass for their own service and fail otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwatch-health-'));
    const node = (code: string): number | null => spawnSync(process.execPath, ['-e', code]).status;
    try {
      for (const name of ['generator', 'subscriber']) {
        const [cmd, bin, flag, code] = compose.services[name]!.healthcheck!.test;
        expect([cmd, bin, flag]).toEqual(['CMD', 'node', '-e']);
        const cmdline = join(dir, 'cmdline');
        const probe = code!.replace('/proc/1/cmdline', cmdline);
        writeFileSync(cmdline, `node\0/app/dist/src/cli.js\0${name}\0`);
        expect(node(probe), name).toBe(0);
        writeFileSync(cmdline, `node\0/app/dist/src/cli.js\0${name === 'generator' ? 'subscriber' : 'generator'}\0`);
        expect(node(probe), name).toBe(1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const [, , , code] = compose.services.api!.healthcheck!.test;
    expect(code).toContain(`http://127.0.0.1:${compose.services.api!.environment!.PORT}/api/ready`);
    let status = 200;
    const server = createServer((req, res) => res.writeHead(req.url === '/api/ready' ? status : 404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const probe = code!.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${(server.address() as { port: number }).port}`);
    const run = (): Promise<number | null> => new Promise((r) => execFile(process.execPath, ['-e', probe], (err) => r(err ? ((err as { code?: number }).code ?? 1) : 0)));
    expect(await run()).toBe(0);
    status = 503;
    expect(await run()).toBe(1);
    server.close();
  });

  it('builds the nginx stage from the same template, certificate script and web build that the tests run', () => {
    const nginx = byName('nginx');
    expect(compose.services.nginx!.build?.target).toBe('nginx');
    const text = nginx.body.map((i) => `${i.op} ${i.args}`).join('\n');
    expect(text).toContain('COPY deploy/nginx/templates/ /etc/nginx/templates/');
    expect(text).toContain('COPY deploy/nginx/docker-entrypoint.d/40-tickwatch-self-signed-cert.sh /docker-entrypoint.d/');
    expect(text).toMatch(/chmod 755 \/docker-entrypoint.d\/40-tickwatch-self-signed-cert.sh/);
    expect(text).toMatch(/apk add --no-cache openssl/);
    expect(text).toContain(`COPY --from=build /src/web/dist/ ${compose.services.nginx!.environment!.WEB_ROOT}/`);
    expect(statSync(join(ROOT, 'deploy/nginx/docker-entrypoint.d/40-tickwatch-self-signed-cert.sh')).mode & 0o111).not.toBe(0);
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['.env', '.git', 'node_modules', 'dist', 'web/dist']) expect(ignored).toContain(p);
  });

  it('needs no devDependency at run time: every package src/ imports is a production dependency', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    for (const file of files(join(ROOT, 'src'))) {
      if (!file.endsWith('.ts') || /\.test\.ts$/.test(file)) continue;
      const source = readFileSync(file, 'utf8');
      const specifiers = [
        ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
      ];
      for (const spec of specifiers) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!(name in pkg.dependencies)) missing.push(`${file.slice(ROOT.length + 1)}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
