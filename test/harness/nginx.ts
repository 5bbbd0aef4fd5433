// Runs the compose nginx template natively: envsubst it, wrap it in a main config for a temp dir, start /usr/sbin/nginx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, requireCommand, waitFor } from './servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NGINX_BIN = '/usr/sbin/nginx';
export const NGINX_TEMPLATE = join(ROOT, 'deploy', 'nginx', 'templates', 'default.conf.template');
export const CERT_SCRIPT = join(ROOT, 'deploy', 'nginx', 'docker-entrypoint.d', '40-tickwatch-self-signed-cert.sh');
const MIME_TYPES = '/etc/nginx/mime.types';

/** The placeholders of default.conf.template, as the compose nginx service sets them. */
export interface NginxVars {
  API_UPSTREAM: string;
  CENTRIFUGO_UPSTREAM: string;
  GRAFANA_UPSTREAM: string;
  WEB_ROOT: string;
  HTTP_PORT: string;
  HTTPS_PORT: string;
  TLS_CERT: string;
  TLS_KEY: string;
}

export const NGINX_VAR_NAMES: readonly (keyof NginxVars)[] = ['API_UPSTREAM', 'CENTRIFUGO_UPSTREAM', 'GRAFANA_UPSTREAM', 'WEB_ROOT', 'HTTP_PORT', 'HTTPS_PORT', 'TLS_CERT', 'TLS_KEY'];

/**
 * What the official image's envsubst does with the variables it is told about: `${NAME}` for a given
 * name is replaced, everything else (nginx's own `$host`, `$uri`…) is left exactly as written.
 */
export function renderTemplate(vars: Partial<Record<string, string>>, template = readFileSync(NGINX_TEMPLATE, 'utf8')): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** Only root can switch nginx workers to another user; they must still be able to read the web root. */
function workerUser(webRoot: string): string {
  if (process.getuid?.() !== 0) return '';
  let dir = resolve(webRoot);
  for (;;) {
    // Every directory on the way needs o+x for an unprivileged worker, and the web root o+r.
    const mode = statSync(dir).mode;
    const needed = dir === resolve(webRoot) ? 0o005 : 0o001;
    if ((mode & needed) !== needed) return 'user root;';
    if (dirname(dir) === dir) return 'user nobody nogroup;';
    dir = dirname(dir);
  }
}

/** The main nginx.conf for a native run in `dir`: everything nginx writes stays there; the template is included. */
export function renderNginxConfig(vars: NginxVars, dir: string): string {
  return [
    '# Native test run of deploy/nginx/templates/default.conf.template (written by test/harness/nginx.ts).',
    'daemon off;',
    'worker_processes 1;',
    workerUser(vars.WEB_ROOT),
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 256; }',
    'http {',
    `    include ${MIME_TYPES};`,
    '    default_type application/octet-stream;',
    '    sendfile on;',
    `    access_log ${join(dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, `${t}_temp`)};`),
    `    include ${join(dir, 'default.conf')};`,
    '}',
    '',
  ].filter((line) => line !== '').join('\n');
}

export interface WrittenConfig {
  dir: string;
  confPath: string;
  vars: NginxVars;
}

/** Writes the rendered template and main config into `dir`; returns the main config's path. */
export function writeNginxConfig(vars: NginxVars, dir: string): WrittenConfig {
  writeFileSync(join(dir, 'default.conf'), renderTemplate({ ...vars }));
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, renderNginxConfig(vars, dir));
  return { dir, confPath, vars };
}

/** `nginx -t` on a written config: ok plus nginx's own words. */
export function checkNginxConfig(written: WrittenConfig): { ok: boolean; output: string } {
  requireCommand(NGINX_BIN, 'install the Debian package nginx');
  const r = spawnSync(NGINX_BIN, ['-t', '-e', 'stderr', '-p', written.dir, '-c', written.confPath], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Runs the same self-signed-certificate script the nginx image runs at start. */
export function makeSelfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'tls', 'tls.crt');
  const key = join(dir, 'tls', 'tls.key');
  const r = spawnSync('sh', [CERT_SCRIPT], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TLS_CERT: cert, TLS_KEY: key } });
  if (r.status !== 0) throw new Error(`${CERT_SCRIPT} failed (is openssl installed?): ${r.stderr}`);
  return { cert, key };
}

export interface RunningNginx {
  /** http://127.0.0.1:<port> */
  url: string;
  /** https://127.0.0.1:<httpsPort>, self-signed unless TLS_CERT was given */
  httpsUrl: string;
  port: number;
  httpsPort: number;
  dir: string;
  vars: NginxVars;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/**
 * Starts nginx on free loopback ports with the compose template. Upstreams not given point at free
 * ports where nothing listens (nginx answers 502 there). WEB_ROOT and API_UPSTREAM are required.
 */
export async function startNginx(given: Partial<NginxVars> & Pick<NginxVars, 'WEB_ROOT' | 'API_UPSTREAM'>): Promise<RunningNginx> {
  requireCommand(NGINX_BIN, 'install the Debian package nginx');
  if (!existsSync(MIME_TYPES)) throw new Error(`${MIME_TYPES} not found: install the Debian package nginx`);
  accessSync(join(given.WEB_ROOT, 'index.html'), constants.R_OK);
  const dir = mkdtempSync(join(tmpdir(), 'tickwatch-nginx-'));
  // Workers may run as nobody: they need to traverse dir for temp files.
  chmodSync(dir, 0o755);
  const [port, httpsPort] = [await freePort(), await freePort()];
  const tls = given.TLS_CERT && given.TLS_KEY ? { cert: given.TLS_CERT, key: given.TLS_KEY } : makeSelfSignedCert(dir);
  const vars: NginxVars = {
    CENTRIFUGO_UPSTREAM: `127.0.0.1:${await freePort()}`,
    GRAFANA_UPSTREAM: `127.0.0.1:${await freePort()}`,
    ...given,
    HTTP_PORT: `127.0.0.1:${port}`,
    HTTPS_PORT: `127.0.0.1:${httpsPort}`,
    TLS_CERT: tls.cert,
    TLS_KEY: tls.key,
  };
  const written = writeNginxConfig(vars, dir);
  const check = checkNginxConfig(written);
  if (!check.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx -t rejected the rendered template:\n${check.output}`);
  }

  let stderr = '';
  const child: ChildProcess = spawn(NGINX_BIN, ['-e', 'stderr', '-p', dir, '-c', written.confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`nginx on ports ${port} and ${httpsPort}`, async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
      return ((await portOpen(port)) && (await portOpen(httpsPort))) || undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, httpsUrl: `https://127.0.0.1:${httpsPort}`, port, httpsPort, dir, vars, stop };
}
