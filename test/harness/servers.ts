// Throwaway PostgreSQL and Redis servers on free loopback ports in temporary directories; nothing is installed here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function requireCommand(path: string, hint: string): string {
  if (!existsSync(path)) throw new Error(`${path} not found: ${hint} (run scripts/setup.sh)`);
  return path;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export interface Server {
  url: string;
  port: number;
  dir: string;
  /** Stops the server process (fast shutdown) and waits for it to exit; data stays in dir. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  destroy(): Promise<void>;
}

interface ServerSpec {
  name: string;
  url: string;
  port: number;
  dir: string;
  launch(): ChildProcess;
  /** True once the server answers; may throw to stop waiting. */
  ready(): boolean;
  stopSignal: NodeJS.Signals;
}

/** A server process that can be stopped and started again on the same port with the same data. */
async function managed(spec: ServerSpec): Promise<Server> {
  let child: ChildProcess | undefined;
  const server: Server = {
    url: spec.url,
    port: spec.port,
    dir: spec.dir,
    async start() {
      const proc = (child = spec.launch());
      await waitFor(`${spec.name} on port ${spec.port}`, () => {
        if (proc.exitCode !== null) throw new Error(`${spec.name} exited with ${proc.exitCode}`);
        return spec.ready() || undefined;
      });
    },
    async stop() {
      if (!child) return;
      const proc = child;
      child = undefined;
      proc.kill(spec.stopSignal);
      await exited(proc);
    },
    async destroy() {
      await server.stop();
      rmSync(spec.dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'postgres')));
  if (!found) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package postgresql (scripts/setup.sh)');
  return found;
}

/** PostgreSQL refuses to run as root, so the server runs as the `postgres` system user when we are root. */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<Server> {
  const bin = pgBinDir();
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), 'tickwatch-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { encoding: 'utf8', ...user });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: dir, fsync: 'off', full_page_writes: 'off', ...opts.settings };
  let log = '';
  return managed({
    name: 'PostgreSQL',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stopSignal: 'SIGINT', // fast shutdown: open transactions abort, as when a server goes away
    launch() {
      const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
      const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...user });
      child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      child.once('exit', (code) => {
        if (code) log += `\n(exited with ${code})`;
      });
      return child;
    },
    ready: () => spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${log}`);
  });
}

export async function startRedis(): Promise<Server> {
  const bin = requireCommand('/usr/bin/redis-server', 'install the Debian package redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'tickwatch-redis-'));
  const port = await freePort();
  return managed({
    name: 'Redis',
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stopSignal: 'SIGTERM',
    launch: () => spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
    ready: () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG',
  });
}
