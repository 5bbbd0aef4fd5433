// Ingest benchmark: generator → Redis → subscriber → PostgreSQL at a fixed rate; reports throughput, loss, latency, CPU, RSS.
// Usage: node dist/bench/ingest.js [rate=100000] [seconds=20] [insert=copy|unnest] [flushMaxRows=20000]
import postgres from 'postgres';
import { startPostgres, startRedis, waitFor } from '../test/harness/servers.js';
import { startService, type LogLine } from '../test/harness/service.js';
import { cpuSeconds, memory, pct } from './measure.js';

const [rate = 100_000, seconds = 20] = process.argv.slice(2, 4).map(Number);
const insert = process.argv[4] ?? 'copy';
const flushMaxRows = process.argv[5] ?? '20000';
const total = rate! * seconds!;

async function main(): Promise<void> {
  // Durable settings as in production; the harness default (fsync off) would flatter the numbers.
  const [pg, redis] = await Promise.all([startPostgres({ settings: { fsync: 'on', full_page_writes: 'on', shared_buffers: '512MB', max_wal_size: '4GB' } }), startRedis()]);
  const sql = postgres(pg.url, { onnotice: () => {} });
  const sub = startService('subscriber', {
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    FLUSH_INTERVAL_MS: '1000',
    FLUSH_MAX_ROWS: flushMaxRows,
    INSERT_METHOD: insert,
    LOG_LEVEL: 'info',
  });
  try {
    await sub.waitForLog('started', (l) => l.msg === 'subscriber started');
    const t0 = performance.now();
    const t0Wall = Date.now();
    const gen = startService('generator', { REDIS_URL: redis.url, GENERATOR_RATE: String(rate), GENERATOR_COUNT: String(total), GENERATOR_FORMAT: 'tuple' });
    const genExit = await gen.exited;
    const published = gen.lines.find((l) => l.msg === 'generator finished')?.sent as number;
    if (genExit !== 0 || published !== total) throw new Error(`generator exited ${genExit} after ${published} ticks: ${gen.stderr()}`);
    const publishSeconds = (performance.now() - t0) / 1000;

    // Wait until the subscriber has stored everything it received, then take its CPU and memory before shutdown.
    let last = -1;
    await waitFor('ingest to settle', async () => {
      const n = Number((await sql`SELECT count(*) AS n FROM stock_prices`)[0]!.n);
      const settled = n === last && n > 0;
      last = n;
      return settled || n >= total ? true : undefined;
    }, 600_000, 1500);
    const usage = { cpuSeconds: cpuSeconds(sub.child.pid!)!, peakRssMb: memory(sub.child.pid!)!.peakRssMb };
    await sub.stop('SIGTERM');
    const stored = Number((await sql`SELECT count(*) AS n FROM stock_prices`)[0]!.n);

    const flushLines = sub.lines.filter((l: LogLine) => l.metric === 'rows_written');
    const lastFlushWall = Date.parse(flushLines[flushLines.length - 1]!.timestamp as string);
    const flushes = sub.lines.filter((l: LogLine) => l.metric === 'insert_latency').map((l) => l.value as number);
    const rows = sub.lines.filter((l: LogLine) => l.metric === 'rows_written').map((l) => l.value as number);
    const result = {
      rate, seconds, insert, flushMaxRows: Number(flushMaxRows),
      published, stored, lost: published - stored,
      publishSeconds: +publishSeconds.toFixed(2),
      // From the first tick published to the flush that stored the last one.
      storedPerSecond: Math.round(stored / ((lastFlushWall - t0Wall) / 1000)),
      flushes: flushes.length,
      meanRowsPerFlush: Math.round(rows.reduce((a, b) => a + b, 0) / Math.max(1, rows.length)),
      flushP50Ms: +pct(flushes, 50).toFixed(1),
      flushP99Ms: +pct(flushes, 99).toFixed(1),
      cpuSecondsPer100k: +((usage.cpuSeconds / stored) * 100_000).toFixed(3),
      peakRssMb: Math.round(usage.peakRssMb),
    };
    console.log(JSON.stringify(result));
  } finally {
    await sub.stop();
    await sql.end();
    await Promise.all([pg.destroy(), redis.destroy()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
