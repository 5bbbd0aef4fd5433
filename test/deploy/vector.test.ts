// deploy/vector/vector.yaml: its wiring, and real subscriber metric lines put through its remap (mirrored here) and its sink's SQL on PostgreSQL.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readMigrations } from '../../src/adapters/migrations.js';
import { createLogger, logMetric } from '../../src/log.js';
import { startPostgres, type Server } from '../harness/servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RAW = readFileSync(join(ROOT, 'deploy', 'vector', 'vector.yaml'), 'utf8');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { labels?: Record<string, string>; environment?: Record<string, string>; volumes?: string[]; command?: string[] }>;
};
/** What Vector's postgres sink runs for each batch (src/sinks/postgres/service.rs). */
const SINK_SQL = 'INSERT INTO metrics SELECT * FROM jsonb_populate_recordset(NULL::metrics, $1)';

/** Vector's config interpolation (src/config/vars.rs): $$, $NAME, ${NAME}, ${NAME:-d}, ${NAME:?e}… over the whole file. */
function vectorInterpolate(text: string, env: Record<string, string>, refs: string[]): string {
  return text.replace(/\$\$|\$([\w.]+)|\$\{([\w.]+)(?:(:?-|:?\?)([^}]*))?\}/g, (m, bare?: string, name?: string) => {
    if (m === '$$') return '$';
    refs.push((bare ?? name)!);
    return env[(bare ?? name)!] ?? '';
  });
}

interface MetricRow {
  timestamp: string;
  service: string | null;
  event: string | null;
  metric: string;
  value: number;
  unit: string | null;
}

/** Hand-written twin of the `metric_rows` remap: one log line → one `metrics` row, or undefined where the VRL aborts. */
function remap(message: string, dockerTimestamp: string): MetricRow | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const line = parsed as Record<string, unknown>;
  if (typeof line.metric !== 'string' || typeof line.value !== 'number') return undefined;
  const ts = typeof line.timestamp === 'string' && !Number.isNaN(Date.parse(line.timestamp)) ? line.timestamp : dockerTimestamp;
  const str = (v: unknown, fallback: string | null): string | null => (typeof v === 'string' ? v : fallback);
  return { timestamp: ts, service: str(line.service, 'subscriber'), event: str(line.event, null), metric: line.metric, value: line.value, unit: str(line.unit, null) };
}

const refs: string[] = [];
const config = parse(vectorInterpolate(RAW, { METRICS_DATABASE_URL: 'postgres://u:p@postgres:5432/stocks' }, refs)) as {
  sources: Record<string, { type: string; include_labels?: string[] }>;
  transforms: Record<string, { type: string; inputs: string[]; source: string; drop_on_abort?: boolean; drop_on_error?: boolean }>;
  sinks: Record<string, Record<string, unknown> & { inputs: string[] }>;
};
const vrl = config.transforms.metric_rows!.source;

describe('Vector config (deploy/vector/vector.yaml)', () => {
  it('interpolates only the sink endpoint, so no dollar in the VRL is eaten', () => {
    expect(refs).toEqual(['METRICS_DATABASE_URL']);
    expect(RAW).toMatch(/endpoint: \$\{METRICS_DATABASE_URL:\?[^}]*\}/);
    expect(vrl).toBe((parse(RAW) as typeof config).transforms.metric_rows!.source);
    expect(compose.services.vector!.environment!.METRICS_DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\/stocks$/);
  });

  it('reads the docker logs of the subscriber container only', () => {
    const source = config.sources.subscriber_logs!;
    expect(source.type).toBe('docker_logs');
    const [key, value] = source.include_labels![0]!.split('=');
    const labelled = Object.entries(compose.services).filter(([, s]) => s.labels?.[key!] === value).map(([n]) => n);
    expect(labelled).toEqual(['subscriber']);
    expect(compose.services.vector!.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
    expect(compose.services.vector!.volumes).toContain(`./deploy/vector/vector.yaml:${compose.services.vector!.command!.at(-1)}:ro`);
  });

  it('drops every line the remap does not turn into a row, and writes the rest to the metrics table', () => {
    const t = config.transforms.metric_rows!;
    expect(t).toMatchObject({ type: 'remap', inputs: ['subscriber_logs'], drop_on_abort: true, drop_on_error: true });
    const sink = config.sinks.metrics_table!;
    expect(sink).toMatchObject({ type: 'postgres', inputs: ['metric_rows'], table: 'metrics', endpoint: 'postgres://u:p@postgres:5432/stocks' });
    // The sink denies unknown fields: a typo here stops Vector at start.
    const known = ['type', 'inputs', 'endpoint', 'table', 'pool_size', 'batch', 'request', 'acknowledgements', 'buffer', 'healthcheck'];
    expect(Object.keys(sink).filter((k) => !known.includes(k))).toEqual([]);
  });

  it('has the guards and field mapping the twin in this test implements', () => {
    for (const guard of ['parse_json(.message)', '!is_object(parsed)', '!is_string(line.metric)', '!(is_float(line.value) || is_integer(line.value))', 'parse_timestamp(line.timestamp']) {
      expect(vrl).toContain(guard);
    }
    const body = /\. = \{([\s\S]*?)\n\s*\}/.exec(vrl)![1]!;
    expect([...body.matchAll(/"(\w+)":/g)].map((m) => m[1])).toEqual(['timestamp', 'service', 'event', 'metric', 'value', 'unit']);
    for (const field of ['service', 'event', 'unit']) expect(body).toContain(`"${field}": string(line.${field})`);
    expect(body).toMatch(/"metric": line\.metric,/);
  });
});

describe('subscriber metric lines → metrics rows (real PostgreSQL)', () => {
  let pg: Server;
  let sql: postgres.Sql;

  beforeAll(async () => {
    pg = await startPostgres();
    sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    for (const m of readMigrations()) await sql.unsafe(m.sql);
  });

  afterAll(async () => {
    await sql?.end();
    await pg?.destroy();
  });

  it('the remap emits exactly the columns of the metrics table', async () => {
    const cols = await sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'metrics' ORDER BY ordinal_position`;
    const body = /\. = \{([\s\S]*?)\n\s*\}/.exec(vrl)![1]!;
    expect([...body.matchAll(/"(\w+)":/g)].map((m) => m[1])).toEqual(cols.map((c) => c.column_name));
  });

  it('lands every metric the subscriber logs, with its values, and nothing else', async () => {
    const lines: string[] = [];
    // createLogger's options, writing into an array instead of stdout.
    const log = pino({ level: 'info', base: { service: 'subscriber' }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (s: string) => void lines.push(s.trimEnd()) });
    expect(log.bindings()).toEqual(createLogger('info', 'subscriber').bindings());
    log.info({ flushIntervalMs: 5000 }, 'subscriber started');
    logMetric(log, 'flush', 'insert_latency', 12.345, 'ms');
    logMetric(log, 'flush', 'rows_written', 500, 'rows');
    log.warn({ reason: 'format', sample: 'garbage' }, 'rejected message');
    logMetric(log, 'parse', 'ticks_rejected', 3, 'ticks');
    log.error({ err: 'connection refused', attempt: 1, rows: 500 }, 'flush failed; keeping the batch and retrying');
    logMetric(log, 'flush_error', 'flush_failed', 1, 'flushes');
    logMetric(log, 'buffer_full', 'ticks_dropped', 42, 'ticks');
    lines.push('(node:1) Warning: something printed by Node itself', '[1,2,3]', '{"metric":"bad","value":"12"}');

    const dockerTs = '2026-11-21T10:00:00.000000001Z';
    const rows = lines.map((l) => remap(l, dockerTs)).filter((r): r is MetricRow => r !== undefined);
    expect(rows.map((r) => r.metric)).toEqual(['insert_latency', 'rows_written', 'ticks_rejected', 'flush_failed', 'ticks_dropped']);

    await sql`TRUNCATE metrics`;
    // postgres.js encodes the parameter as jsonb itself, as sqlx does for Vector.
    await sql.unsafe(SINK_SQL, [rows as never]);
    const stored = await sql`SELECT timestamp, service, event, metric, value, unit FROM metrics ORDER BY timestamp, metric`;
    const byMetric = Object.fromEntries(stored.map((r) => [r.metric as string, r]));
    expect(stored).toHaveLength(5);
    expect(byMetric.insert_latency).toMatchObject({ service: 'subscriber', event: 'flush', value: 12.345, unit: 'ms' });
    expect(byMetric.rows_written).toMatchObject({ event: 'flush', value: 500, unit: 'rows' });
    expect(byMetric.ticks_rejected).toMatchObject({ event: 'parse', value: 3, unit: 'ticks' });
    expect(byMetric.flush_failed).toMatchObject({ event: 'flush_error', value: 1, unit: 'flushes' });
    expect(byMetric.ticks_dropped).toMatchObject({ event: 'buffer_full', value: 42, unit: 'ticks' });
    for (const [i, r] of stored.entries()) {
      expect(r.timestamp).toBeInstanceOf(Date);
      expect(Math.abs((r.timestamp as Date).getTime() - Date.now()), `row ${i}`).toBeLessThan(60_000);
    }
  });
});
