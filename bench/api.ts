// API benchmark: ≥ 10M stored prices in a durable PostgreSQL, then /api/average and /api/prices under load, full-range streams, API memory.
// Usage: node dist/bench/api.js [rows=10000000] [seconds=15] [connections=10]
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import postgres from 'postgres';
import { rangeParams, SELECT_AVERAGE, SELECT_PRICES } from '../src/adapters/sql.js';
import { freePort, startPostgres, waitFor } from '../test/harness/servers.js';
import { startService } from '../test/harness/service.js';
import { cpuSeconds, memory, resultLog, round } from './measure.js';

const [rows = 10_000_000, seconds = 15, connections = 10] = process.argv.slice(2, 5).map(Number);

/** The subset of autocannon's programmatic API used here; the package ships no types. */
interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  requests?: { setupRequest: (req: { path: string }) => { path: string } }[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SYMBOLS = [
  { symbol: 'TSLA', exchange: 'NYSE', base: 723 },
  { symbol: 'NFLX', exchange: 'NYSE', base: 610 },
  { symbol: 'DIS', exchange: 'NYSE', base: 101 },
  { symbol: 'AMZN', exchange: 'NASDAQ', base: 185 },
  { symbol: 'AAPL', exchange: 'NASDAQ', base: 190 },
  { symbol: 'MSFT', exchange: 'NASDAQ', base: 420 },
];
const START = Date.parse('2024-03-01T00:00:00Z');
const STEP_MS = 500;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Rows per symbol and per INSERT … SELECT: a few chunks keep each sort in memory and show progress. */
const CHUNK_PER_SYMBOL = 350_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const { start: watchVitest, log, stop: stopWatchingVitest } = resultLog();
/** The API process is alive throughout; a missing /proc entry is a bug worth failing on. */
const mem = (pid: number): { rssMb: number; peakRssMb: number } => memory(pid)!;
const apiCpu = (pid: number): number => cpuSeconds(pid)!;

/**
 * Each chunk covers one time slice of every symbol, inserted in time order so the heap interleaves symbols as
 * live ingest does; prices are a multiplicative random walk continuing from the previous chunk's last price.
 */
async function load(sql: postgres.Sql, perSymbol: number): Promise<{ chunks: number; loadSeconds: number; vacuumAnalyzeSeconds: number }> {
  await sql`SET work_mem = '1GB'`;
  const last = new Map(SYMBOLS.map((s) => [s.symbol, s.base]));
  const t0 = performance.now();
  let chunks = 0;
  for (let from = 0; from < perSymbol; from += CHUNK_PER_SYMBOL) {
    const to = Math.min(perSymbol, from + CHUNK_PER_SYMBOL) - 1;
    const started = performance.now();
    await sql`
      INSERT INTO stock_prices (timestamp, stock_name, exchange_name, price)
      SELECT ${iso(START)}::timestamptz + (i * ${STEP_MS}::bigint + s.k * 83) * interval '1 millisecond',
        s.sym, s.ex,
        round((s.p0 * exp(sum((random() - 0.5) * 0.0004) OVER (PARTITION BY s.k ORDER BY i)))::numeric, 2)
      FROM generate_series(${from}::bigint, ${to}::bigint) AS i
      CROSS JOIN unnest(${SYMBOLS.map((s) => s.symbol)}::text[], ${SYMBOLS.map((s) => s.exchange)}::text[],
        ${SYMBOLS.map((s) => last.get(s.symbol)!)}::float8[], ${SYMBOLS.map((_, k) => k)}::int[]) AS s(sym, ex, p0, k)
      ORDER BY i, s.k`;
    for (const s of SYMBOLS) {
      const [row] = await sql`SELECT price::float8 AS p FROM stock_prices WHERE stock_name = ${s.symbol} ORDER BY timestamp DESC LIMIT 1`;
      last.set(s.symbol, row!.p as number);
    }
    chunks++;
    log({ phase: 'load', chunk: chunks, rowsInChunk: (to - from + 1) * SYMBOLS.length, seconds: round((performance.now() - started) / 1000, 2) });
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const v0 = performance.now();
  await sql`VACUUM ANALYZE stock_prices`;
  return { chunks, loadSeconds: round(loadSeconds, 1), vacuumAnalyzeSeconds: round((performance.now() - v0) / 1000, 1) };
}

async function cannon(name: string, base: string, paths: string[], conns: number, duration: number): Promise<Record<string, unknown>> {
  let n = 0;
  const requests = [{ setupRequest: (req: { path: string }) => ({ ...req, path: paths[n++ % paths.length]! }) }];
  await autocannon({ url: base, connections: conns, duration: 3, requests }); // warm-up, discarded
  const r = await autocannon({ url: base, connections: conns, duration, requests });
  return {
    bench: name,
    connections: conns,
    seconds: duration,
    requests: r.requests.total,
    requestsPerSecond: round(r.requests.average),
    latencyP50Ms: r.latency.p50,
    latencyP90Ms: r.latency.p90,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    mbPerSecond: round(r.throughput.average / 1e6),
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

/** Reads a whole response counting bytes and objects ('{' occurs only at the start of each row), never holding the body. */
function stream(url: string): Promise<{ status: number; bytes: number; rows: number; firstByteMs: number; totalMs: number; clientCpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    get(url, (res) => {
      const firstByteMs = performance.now() - t0;
      let bytes = 0;
      let rows = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(0x7b); i !== -1; i = chunk.indexOf(0x7b, i + 1)) rows++;
      });
      res.on('end', () => {
        const cpu = process.cpuUsage(cpu0);
        resolve({ status: res.statusCode ?? 0, bytes, rows, firstByteMs, totalMs: performance.now() - t0, clientCpuMs: (cpu.user + cpu.system) / 1000 });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function explain(sql: postgres.Sql, name: string, query: string, params: unknown[]): Promise<void> {
  const plan = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${query}`, params as never);
  const lines = plan.map((r) => r['QUERY PLAN'] as string);
  log({ explain: name, plan: lines });
}

async function main(): Promise<void> {
  watchVitest();
  const git = (...args: string[]): string => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
  log({ commit: git('rev-parse', '--short', 'HEAD'), uncommittedSrc: git('status', '--porcelain', 'src', 'deploy').split('\n').filter(Boolean), node: process.version });
  const pg = await startPostgres({ settings: { fsync: 'on', shared_buffers: '1GB', work_mem: '16MB', max_wal_size: '4GB' } });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // warn, not info: one log line per request would be part of what is measured.
  const api = startService('api', { DATABASE_URL: pg.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  try {
    // The API listens only after applying the migrations, so the schema exists once it answers.
    await waitFor('API health', async () => (await fetch(`${base}/api/health`)).ok || undefined, 30_000, 100);
    const pid = api.child.pid!;

    const perSymbol = Math.ceil(rows! / SYMBOLS.length);
    const loaded = await load(sql, perSymbol);
    const [{ n, heap, index }] = (await sql`SELECT count(*)::bigint AS n, pg_size_pretty(pg_table_size('stock_prices')) AS heap,
      pg_size_pretty(pg_indexes_size('stock_prices')) AS index FROM stock_prices`) as unknown as [{ n: string; heap: string; index: string }];
    const days = (perSymbol * STEP_MS) / DAY_MS;
    log({ phase: 'loaded', rows: Number(n), perSymbol, days: round(days, 2), ...loaded, rowsPerSecond: Math.round(Number(n) / loaded.loadSeconds), heap, index });

    // Whole days and whole hours inside the loaded range (the first day is skipped); requests cycle through them.
    const firstDay = days >= 2 ? 1 : 0;
    const dayPaths = Array.from({ length: Math.max(1, Math.floor(days) - firstDay) }, (_, d) => {
      const start = START + (firstDay + d) * DAY_MS;
      return `/api/average/TSLA?start_time=${iso(start)}&end_time=${iso(start + DAY_MS - 1)}`;
    });
    const hourPaths = Array.from({ length: 24 }, (_, h) => {
      const start = START + firstDay * DAY_MS + h * HOUR_MS;
      return `/api/prices/TSLA?start_time=${iso(start)}&end_time=${iso(start + HOUR_MS - 1)}`;
    });
    const day = (await (await fetch(base + dayPaths[0])).json()) as { count: number; average_price: number };
    const hour = (await (await fetch(base + hourPaths[0])).json()) as unknown[];
    log({ check: 'one day', path: dayPaths[0], count: day.count, average_price: day.average_price });
    log({ check: 'one hour', path: hourPaths[0], rows: hour.length });
    log({ memory: 'idle', ...mem(pid) });

    for (const conns of [1, connections!]) log(await cannon('average one day', base, dayPaths, conns, seconds!));
    log({ memory: 'after average', ...mem(pid) });
    for (const conns of [1, connections!]) log(await cannon('prices one hour', base, hourPaths, conns, seconds!));
    const afterHour = mem(pid);
    log({ memory: 'after prices one hour', ...afterHour });

    for (let run = 1; run <= 3; run++) {
      const cpu0 = apiCpu(pid);
      const r = await stream(`${base}/api/prices/TSLA`);
      const apiCpuSeconds = apiCpu(pid) - cpu0;
      log({
        bench: 'prices full range', run, status: r.status, rows: r.rows, mb: round(r.bytes / 1e6),
        firstByteMs: round(r.firstByteMs), seconds: round(r.totalMs / 1000, 2), rowsPerSecond: Math.round(r.rows / (r.totalMs / 1000)),
        apiCpuSeconds: round(apiCpuSeconds, 2), clientCpuSeconds: round(r.clientCpuMs / 1000, 2), ...mem(pid),
      });
    }
    {
      const t0 = performance.now();
      const all = await Promise.all([1, 2, 3].map(() => stream(`${base}/api/prices/TSLA`)));
      const total = all.reduce((a, r) => a + r.rows, 0);
      log({ bench: 'prices full range, 3 at once', rows: total, seconds: round((performance.now() - t0) / 1000, 2), rowsPerSecond: Math.round(total / ((performance.now() - t0) / 1000)), ...mem(pid) });
    }
    log({ memory: 'after full-range streams', ...mem(pid), peakRssMbAfterOneHour: afterHour.peakRssMb });

    // With the API's session settings (the load raised work_mem), so a sort spills as it does for the API.
    await sql`RESET work_mem`;
    const dayStart = START + firstDay * DAY_MS;
    await explain(sql, 'average one day', SELECT_AVERAGE, rangeParams({ symbol: 'TSLA', fromUs: dayStart * 1000, toUs: (dayStart + DAY_MS) * 1000 - 1 }));
    await explain(sql, 'prices one hour', SELECT_PRICES, [...rangeParams({ symbol: 'TSLA', fromUs: dayStart * 1000, toUs: (dayStart + HOUR_MS) * 1000 - 1 }), null]);
    await explain(sql, 'prices full range', SELECT_PRICES, [...rangeParams({ symbol: 'TSLA' }), null]);
  } finally {
    stopWatchingVitest();
    await api.stop('SIGTERM');
    await sql.end();
    await pg.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
