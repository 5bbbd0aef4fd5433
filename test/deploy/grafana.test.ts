// Grafana provisioning: the datasource and dashboard files, and every panel's SQL run on real PostgreSQL with Grafana's macros expanded.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readMigrations } from '../../src/adapters/migrations.js';
import { startPostgres, type Server } from '../harness/servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GRAFANA = join(ROOT, 'deploy', 'grafana');
const yamlFile = <T>(...p: string[]): T => parse(readFileSync(join(...p), 'utf8'), { merge: true }) as T;

interface Target {
  refId: string;
  format: string;
  rawSql: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  targets: Target[];
}
const dashboards = readdirSync(join(GRAFANA, 'dashboards')).filter((f) => f.endsWith('.json'));
const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'dashboards', 'tickwatch-ingest.json'), 'utf8')) as { uid: string; title: string; panels: Panel[] };
const datasource = yamlFile<{ datasources: Record<string, unknown>[] }>(GRAFANA, 'provisioning', 'datasources', 'tickwatch-postgres.yaml').datasources[0]!;
const provider = yamlFile<{ providers: { type: string; options: { path: string } }[] }>(GRAFANA, 'provisioning', 'dashboards', 'tickwatch.yaml').providers[0]!;
const compose = yamlFile<{ services: Record<string, { environment: Record<string, string>; volumes: string[]; healthcheck: { test: string[] } }> }>(ROOT, 'docker-compose.yaml');
const grafanaEnv = compose.services.grafana!.environment;

/** Grafana's PostgreSQL macros (grafana-postgresql-datasource macros.go) and interval variables, as real SQL. */
function expandMacros(sql: string, from: Date, to: Date, intervalMs: number): string {
  const seconds = (arg: string): number => {
    const m = /^'?(\d+)(ms|s|m|h|d)'?$/.exec(arg.trim());
    if (!m) throw new Error(`unsupported interval ${arg}`);
    return (Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 'ms'])!;
  };
  const group = (args: string[]): string => `floor(extract(epoch from ${args[0]})/${seconds(args[1]!)})*${seconds(args[1]!)}`;
  const macros: Record<string, (args: string[]) => string> = {
    time: (a) => `${a[0]} AS "time"`,
    timeEpoch: (a) => `extract(epoch from ${a[0]}) AS "time"`,
    timeFilter: (a) => `${a[0]} BETWEEN '${from.toISOString()}' AND '${to.toISOString()}'`,
    timeFrom: () => `'${from.toISOString()}'`,
    timeTo: () => `'${to.toISOString()}'`,
    timeGroup: group,
    timeGroupAlias: (a) => `${group(a)} AS "time"`,
    unixEpochFilter: (a) => `${a[0]} >= ${Math.floor(from.getTime() / 1000)} AND ${a[0]} <= ${Math.floor(to.getTime() / 1000)}`,
  };
  const intervalText = intervalMs % 60_000 === 0 ? `${intervalMs / 60_000}m` : `${intervalMs / 1000}s`;
  const out = sql
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', intervalText)
    .replace(/\$__(\w+)\(([^)]*)\)/g, (whole, name: string, args: string) => {
      const macro = macros[name];
      if (!macro) throw new Error(`no expansion for ${whole}`);
      return macro(args.split(',').map((a) => a.trim()));
    });
  expect(out).not.toContain('$__');
  return out;
}

describe('Grafana provisioning files', () => {
  it('provisions the PostgreSQL datasource with its secrets from the environment', () => {
    expect(datasource).toMatchObject({ type: 'grafana-postgresql-datasource', uid: 'tickwatch-postgres', access: 'proxy' });
    expect(datasource.jsonData).toMatchObject({ sslmode: 'disable', postgresVersion: 1500 });
    expect(datasource.password).toBeUndefined();
    expect((datasource.secureJsonData as Record<string, string>).password).toBe('$__env{TICKWATCH_DB_PASSWORD}');
    const text = readFileSync(join(GRAFANA, 'provisioning', 'datasources', 'tickwatch-postgres.yaml'), 'utf8');
    for (const [, name] of text.matchAll(/\$__env\{(\w+)\}/g)) expect(grafanaEnv[name!], name).toBeTruthy();
    expect(grafanaEnv.TICKWATCH_DB_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(grafanaEnv.TICKWATCH_DB_NAME).toBe(compose.services.postgres!.environment.POSTGRES_DB);
    expect(grafanaEnv.TICKWATCH_DB_USER).toBe(compose.services.postgres!.environment.POSTGRES_USER);
    expect(grafanaEnv.TICKWATCH_DB_HOST).toBe('postgres:5432');
  });

  it('loads the dashboards from where compose mounts them, behind the /grafana/ sub-path', () => {
    expect(provider.type).toBe('file');
    expect(compose.services.grafana!.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
    expect(compose.services.grafana!.volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(grafanaEnv.GF_SERVER_ROOT_URL).toMatch(/\/grafana\/$/);
    expect(grafanaEnv.GF_SERVER_SERVE_FROM_SUB_PATH).toBe('true');
    expect(grafanaEnv.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    expect(grafanaEnv.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${provider.options.path}/${dashboards[0]}`);
    expect(compose.services.grafana!.healthcheck.test.join(' ')).toContain(':3000/grafana/api/health');
  });

  it('has a dashboard with a fixed uid and the four ingest panels, all on the provisioned datasource', () => {
    expect(dashboards).toEqual(['tickwatch-ingest.json']);
    expect(dashboard.uid).toBe('tickwatch-ingest');
    expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Insert latency', 'Rows per flush', 'Ticks stored per second', 'Failed flushes']));
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe(datasource.uid);
      for (const t of p.targets) expect(t, p.title).toMatchObject({ format: 'time_series', datasource: { uid: datasource.uid } });
    }
  });
});

describe('dashboard SQL on real PostgreSQL', () => {
  let pg: Server;
  let sql: postgres.Sql;
  const to = new Date();
  const from = new Date(to.getTime() - 3600_000);
  const bucket = Math.floor((to.getTime() - 1800_000) / 60_000) * 60_000;
  const at = (s: number): Date => new Date(bucket + s * 1000);

  beforeAll(async () => {
    pg = await startPostgres();
    sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    for (const m of readMigrations()) await sql.unsafe(m.sql);
    const rows: [Date, string, string, number, string][] = [
      [at(1), 'flush', 'insert_latency', 10, 'ms'],
      [at(2), 'flush', 'insert_latency', 20, 'ms'],
      [at(3), 'flush', 'insert_latency', 30, 'ms'],
      [at(4), 'flush', 'insert_latency', 40, 'ms'],
      [at(5), 'flush', 'rows_written', 100, 'rows'],
      [at(10), 'flush', 'rows_written', 300, 'rows'],
      [at(6), 'flush_error', 'flush_failed', 1, 'flushes'],
      [at(7), 'flush_error', 'flush_failed', 1, 'flushes'],
      [at(8), 'buffer_full', 'ticks_dropped', 5, 'ticks'],
      [at(9), 'parse', 'ticks_rejected', 3, 'ticks'],
      // Outside the dashboard's time range: $__timeFilter must leave it out.
      [new Date(to.getTime() - 7200_000), 'flush', 'insert_latency', 1000, 'ms'],
    ];
    for (const [ts, event, metric, value, unit] of rows) {
      await sql`INSERT INTO metrics (timestamp, service, event, metric, value, unit) VALUES (${ts}, 'subscriber', ${event}, ${metric}, ${value}, ${unit})`;
    }
  });

  afterAll(async () => {
    await sql?.end();
    await pg?.destroy();
  });

  const run = async (title: string): Promise<{ columns: string[]; rows: Record<string, number>[] }> => {
    const panel = dashboard.panels.find((p) => p.title === title)!;
    const result = await sql.unsafe(expandMacros(panel.targets[0]!.rawSql, from, to, 60_000));
    return { columns: result.columns.map((c) => c.name), rows: result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))) };
  };

  it('insert latency: p50, p95 and max per interval', async () => {
    const r = await run('Insert latency');
    expect(r.columns).toEqual(['time', 'p50', 'p95', 'max']);
    expect(r.rows).toEqual([{ time: bucket / 1000, p50: 25, p95: 38.5, max: 40 }]);
  });

  it('rows per flush: average and largest', async () => {
    const r = await run('Rows per flush');
    expect(r.columns).toEqual(['time', 'avg rows per flush', 'max rows per flush']);
    expect(r.rows).toEqual([{ time: bucket / 1000, 'avg rows per flush': 200, 'max rows per flush': 300 }]);
  });

  it('ticks stored per second over the interval', async () => {
    const r = await run('Ticks stored per second');
    expect(r.columns).toEqual(['time', 'ticks/s']);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]!['ticks/s']).toBeCloseTo(400 / 60, 6);
  });

  it('failed flushes, dropped and rejected ticks', async () => {
    const failed = await run('Failed flushes');
    expect(failed.columns).toEqual(['time', 'failed flushes']);
    expect(failed.rows).toEqual([{ time: bucket / 1000, 'failed flushes': 2 }]);
    const lost = await run('Ticks dropped and rejected');
    expect(lost.columns).toEqual(['time', 'dropped', 'rejected']);
    expect(lost.rows).toEqual([{ time: bucket / 1000, dropped: 5, rejected: 3 }]);
  });

  it('every panel query runs and returns a time column first', async () => {
    for (const p of dashboard.panels) {
      const r = await run(p.title);
      expect(r.columns[0], p.title).toBe('time');
      expect(r.columns.length, p.title).toBeGreaterThan(1);
    }
  });
});
