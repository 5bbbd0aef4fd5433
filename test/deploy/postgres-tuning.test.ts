// PostgreSQL tuning: compose passes every setting from .env with a default, and a real PostgreSQL 15 accepts them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startPostgres } from '../harness/servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TUNE = join(ROOT, 'deploy', 'postgres', 'tuning', 'pg-tune.sh');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'), { merge: true }) as { services: { postgres: { command: string[] } } };

interface Setting {
  name: string;
  variable: string;
  fallback: string;
}

/** `-c name=${PG_X:-default}` pairs of the postgres command. */
const settings: Setting[] = compose.services.postgres.command.flatMap((arg, i, all) => {
  if (all[i - 1] !== '-c') return [];
  const m = /^(\w+)=\$\{(PG_\w+):-([^}]+)\}$/.exec(arg);
  if (!m) throw new Error(`postgres setting "${arg}" must look like name=\${PG_NAME:-default}`);
  return [{ name: m[1]!, variable: m[2]!, fallback: m[3]! }];
});

const envLines = (text: string): Record<string, string> =>
  Object.fromEntries(text.split('\n').filter((l) => /^PG_\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

function tune(...args: string[]): { status: number | null; out: Record<string, string>; stderr: string } {
  const r = spawnSync('sh', [TUNE, ...args], { encoding: 'utf8' });
  return { status: r.status, out: envLines(r.stdout), stderr: r.stderr };
}

/** Starts a throwaway PostgreSQL with these values and returns what SHOW reports for each. */
async function shown(values: Record<string, string>): Promise<Record<string, string>> {
  const pg = await startPostgres({ settings: values });
  const sql = postgres(pg.url, { max: 1 });
  try {
    const out: Record<string, string> = {};
    for (const name of Object.keys(values)) out[name] = ((await sql.unsafe(`SHOW ${name}`))[0] as Record<string, string>)[name]!;
    return out;
  } finally {
    await sql.end();
    await pg.destroy();
  }
}

describe('PostgreSQL tuning', () => {
  it('passes the settings the task names, and this workload’s, each from its own PG_ variable', () => {
    const names = settings.map((s) => s.name);
    for (const required of ['shared_buffers', 'effective_cache_size', 'maintenance_work_mem', 'wal_buffers', 'max_wal_size', 'checkpoint_completion_target', 'work_mem', 'random_page_cost']) {
      expect(names).toContain(required);
    }
    for (const extra of ['synchronous_commit', 'wal_compression', 'effective_io_concurrency', 'max_connections']) expect(names).toContain(extra);
    for (const s of settings) expect(s.variable).toBe(`PG_${s.name.toUpperCase()}`);
  });

  it('has the same defaults in compose, .env.example and pg-tune.sh for a 4 GB SSD host', () => {
    const example = envLines(readFileSync(join(ROOT, '.env.example'), 'utf8'));
    const fromScript = tune('4096', 'ssd');
    expect(fromScript.status).toBe(0);
    const defaults = Object.fromEntries(settings.map((s) => [s.variable, s.fallback]));
    expect(example).toEqual(defaults);
    expect(fromScript.out).toEqual(defaults);
  });

  it('starts a real PostgreSQL 15 with the compose defaults, each reported back as set', async () => {
    const values = Object.fromEntries(settings.map((s) => [s.name, s.fallback]));
    expect(await shown(values)).toEqual(values);
  });

  it('prints values PostgreSQL accepts for other hosts, scaled to memory and storage', async () => {
    const odd = tune('3000', 'hdd');
    expect(odd.status).toBe(0);
    expect(odd.out).toMatchObject({ PG_SHARED_BUFFERS: '750MB', PG_EFFECTIVE_CACHE_SIZE: '2250MB', PG_RANDOM_PAGE_COST: '4', PG_EFFECTIVE_IO_CONCURRENCY: '2' });
    const values = Object.fromEntries(settings.map((s) => [s.name, odd.out[s.variable]!]));
    expect(await shown(values)).toEqual(values);
    expect(tune('16384', 'ssd').out).toMatchObject({ PG_SHARED_BUFFERS: '4GB', PG_EFFECTIVE_CACHE_SIZE: '12GB', PG_MAINTENANCE_WORK_MEM: '1GB', PG_WORK_MEM: '64MB' });
  });

  it('refuses input it cannot tune for', () => {
    for (const args of [['512'], ['lots'], ['4096', 'tape']]) {
      const r = tune(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^pg-tune\.sh: /);
    }
  });
});
