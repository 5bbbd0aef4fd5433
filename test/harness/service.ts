// Runs `tickwatch <service>` from the build as a child process and lets tests read its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './servers.js';

/** The package root, whether this runs from test/ (vitest) or dist/test/ (benchmarks). */
export const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error('package.json not found above the test harness');
    dir = dirname(dir);
  }
  return dir;
})();
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServiceProcess {
  child: ChildProcess;
  lines: LogLine[];
  stderr(): string;
  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startService(service: string, env: Record<string, string>, cwd = ROOT): ServiceProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} not built: run npm run build first (npm test does)`);
  const child = spawn(process.execPath, [CLI, service], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let err = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        lines.push({ msg: p });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitForLog: (what, match, timeoutMs = 20_000) =>
      waitFor(`${service} log: ${what}`, () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${err.slice(-2000)}`);
        return lines.find(match);
      }, timeoutMs),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
