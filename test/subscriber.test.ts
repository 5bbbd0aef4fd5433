// The subscriber as it runs in production: its own process, real Redis and PostgreSQL, failures injected.
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentrifugoApiRecorder, type CentrifugoApiRecorder } from './harness/centrifugo-api.js';
import { startPostgres, startRedis, waitFor, type Server } from './harness/servers.js';
import { startService, type ServiceProcess } from './harness/service.js';

const API_KEY = 'test-api-key';
let pg: Server;
let redis: Server;
let centrifugo: CentrifugoApiRecorder;
let sql: postgres.Sql;
let pub: Redis;
let sub: ServiceProcess;

const count = async (where = 'true'): Promise<number> => Number((await sql.unsafe(`SELECT count(*) AS n FROM stock_prices WHERE ${where}`))[0]!.n);
const waitForRows = (n: number, where = 'true', timeoutMs = 20_000): Promise<true> =>
  waitFor(`${n} rows where ${where}`, async () => ((await count(where)) >= n ? true : undefined), timeoutMs, 100);

function subscriberEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    CENTRIFUGO_API_URL: centrifugo.url,
    CENTRIFUGO_API_KEY: API_KEY,
    FLUSH_INTERVAL_MS: '200',
    ...extra,
  };
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  centrifugo = await startCentrifugoApiRecorder({ apiKey: API_KEY, channels: ['NYSE', 'NASDAQ'] });
  sql = postgres(pg.url, { onnotice: () => {} });
  pub = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  pub.on('error', () => {});
  sub = startService('subscriber', subscriberEnv());
  await sub.waitForLog('started', (l) => l.msg === 'subscriber started');
});

afterAll(async () => {
  await sub?.stop();
  pub?.disconnect();
  await sql?.end();
  await centrifugo?.stop();
  await Promise.all([pg?.destroy(), redis?.destroy()]);
});

describe('subscriber', () => {
  it('stores every wire format with its exact price and time, and forwards each tick live', async () => {
    const before = Date.now();
    await pub.publish('NYSE', 'TSLA:723.02');
    await pub.publish('NASDAQ', 'AAPL:(190.123456, 1757494917.021389)');
    await pub.publish('NYSE', '{"symbol":"DIS","price":101.5,"ts":"2026-11-21T10:00:00.123456Z","volume":300}');
    await pub.publish('NASDAQ', '{"symbol":"MSFT","price":"420.000001","ts":1795255200.5}');
    await waitForRows(4);
    const after = Date.now();
    const rows = await sql`SELECT stock_name, exchange_name, price::text AS price, volume::int AS volume,
      to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts, extract(epoch FROM timestamp)::float8 * 1000 AS ms
      FROM stock_prices ORDER BY stock_name`;
    expect(rows.map(({ stock_name, exchange_name, price, volume, ts }) => ({ stock_name, exchange_name, price, volume, ts }))).toEqual([
      { stock_name: 'AAPL', exchange_name: 'NASDAQ', price: '190.123456', volume: null, ts: '2025-09-10T09:01:57.021389' },
      { stock_name: 'DIS', exchange_name: 'NYSE', price: '101.5', volume: 300, ts: '2026-11-21T10:00:00.123456' },
      { stock_name: 'MSFT', exchange_name: 'NASDAQ', price: '420.000001', volume: null, ts: '2026-11-21T10:00:00.500000' },
      { stock_name: 'TSLA', exchange_name: 'NYSE', price: '723.02', volume: null, ts: rows[3]!.ts },
    ]);
    // The plain format carries no time: it is stamped on receipt.
    expect(rows[3]!.ms).toBeGreaterThanOrEqual(before - 1);
    expect(rows[3]!.ms).toBeLessThanOrEqual(after);

    await waitFor('4 live publications', () => centrifugo.publications.length >= 4 || undefined);
    expect(centrifugo.publications.find((p) => p.channel === 'NASDAQ' && (p.data as { stock: string }).stock === 'AAPL')).toEqual({
      channel: 'NASDAQ',
      data: { stock: 'AAPL', exchange: 'NASDAQ', price: 190.123456, timestamp: 1757494917.021389 },
    });
    expect(centrifugo.publications.map((p) => p.channel).sort()).toEqual(['NASDAQ', 'NASDAQ', 'NYSE', 'NYSE']);
  });

  it('writes one metric line per flush with the metrics table fields', async () => {
    const line = await sub.waitForLog('insert latency metric', (l) => l.metric === 'insert_latency');
    expect(Object.keys(line)).toEqual(expect.arrayContaining(['timestamp', 'service', 'event', 'metric', 'value', 'unit']));
    expect(line).toMatchObject({ service: 'subscriber', event: 'flush', unit: 'ms' });
    expect(typeof line.value).toBe('number');
    expect(sub.lines.some((l) => l.metric === 'rows_written' && l.unit === 'rows' && (l.value as number) >= 1)).toBe(true);
  });

  it('keeps the Centrifugo API key and database URL out of its logs', () => {
    const text = sub.lines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(pg.url);
  });

  it('counts and samples malformed messages, keeps running, and stores the good ticks around them', async () => {
    const bad = ['', 'garbage', 'tsla:1', 'TSLA:-5', 'TSLA:(1, never)', '{"symbol":"TSLA"', 'X'.repeat(5000)];
    await pub.publish('NYSE', 'NFLX:600.01');
    for (const b of bad) await pub.publish('NYSE', b);
    await pub.publish('NYSE', 'NFLX:600.02');
    await waitForRows(2, "stock_name = 'NFLX'");
    expect((await sql`SELECT price::text AS p FROM stock_prices WHERE stock_name = 'NFLX' ORDER BY timestamp`).map((r) => r.p)).toEqual(['600.01', '600.02']);
    const rejected = await sub.waitForLog('rejected-ticks metric', (l) => l.metric === 'ticks_rejected');
    expect(rejected.value).toBe(bad.length);
    const reasons = sub.lines.filter((l) => l.msg === 'rejected message').map((l) => l.reason);
    expect(reasons.sort()).toEqual(['bad_format', 'bad_json', 'bad_price', 'bad_symbol', 'bad_timestamp', 'empty', 'too_large']);
    expect(sub.child.exitCode).toBeNull();
  });

  it('loses no tick while PostgreSQL is down and restarted mid-stream', async () => {
    const start = await count();
    const total = 3000;
    let sent = 0;
    const publishSome = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++, sent++) await pub.publish(sent % 2 ? 'NYSE' : 'NASDAQ', `{"symbol":"AMZN","price":${(100 + sent / 100).toFixed(2)},"ts":${1795255200 + sent}}`);
    };
    await publishSome(1000);
    await pg.stop();
    await publishSome(1000);
    await sub.waitForLog('a failed flush', (l) => l.msg === 'flush failed; keeping the batch and retrying');
    expect(sub.lines.some((l) => l.metric === 'flush_failed')).toBe(true);
    await pg.start();
    await publishSome(total - 2000);
    await waitForRows(start + total, 'true', 30_000);
    expect(await count("stock_name = 'AMZN'")).toBe(total);
    expect(Number((await sql`SELECT count(DISTINCT timestamp) AS n FROM stock_prices WHERE stock_name = 'AMZN'`)[0]!.n)).toBe(total);
  });

  it('keeps storing ticks while Centrifugo is away, without delay', async () => {
    await centrifugo.stop();
    await pub.publish('NYSE', 'TSLA:1.01');
    await waitForRows(1, "price = 1.01", 3000);
    await sub.waitForLog('a failed live publish', (l) => l.msg === 'centrifugo publish failed; retrying');
    await centrifugo.start();
    await waitFor('the queued live tick after Centrifugo is back', () => centrifugo.publications.some((p) => (p.data as { price: number }).price === 1.01) || undefined, 15_000);
  });

  it('resubscribes after Redis restarts and stores ticks sent afterwards', async () => {
    await redis.stop();
    await redis.start();
    await sub.waitForLog('redis reconnect', (l) => l.msg === 'redis reconnected', 15_000);
    await waitFor('resubscribed', async () => ((await pub.pubsub('NUMSUB', 'NYSE')) as [string, number])[1] >= 1 || undefined, 15_000);
    await pub.publish('NYSE', 'TSLA:(777.77, 1795255300.000001)');
    await waitForRows(1, "price = 777.77");
  });
});

describe('subscriber shutdown', () => {
  it('stores every buffered tick on SIGTERM and exits 0', async () => {
    const lazy = startService('subscriber', subscriberEnv({ FLUSH_INTERVAL_MS: '3600000', FLUSH_MAX_ROWS: '1000000', CHANNELS: 'LSE' }));
    await lazy.waitForLog('started', (l) => l.msg === 'subscriber started');
    await waitFor('subscribed', async () => ((await pub.pubsub('NUMSUB', 'LSE')) as [string, number])[1] >= 1 || undefined);
    const n = 20_000;
    for (let i = 0; i < n; i += 1000) {
      const p = pub.pipeline();
      for (let k = i; k < i + 1000; k++) p.publish('LSE', `{"symbol":"VOD","price":${(1 + k / 1000).toFixed(3)},"ts":${(1795255200 + k / 1000).toFixed(3)}}`);
      await p.exec();
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await count("stock_name = 'VOD'")).toBe(0);
    expect(await lazy.stop('SIGTERM')).toBe(0);
    expect(await count("stock_name = 'VOD'")).toBe(n);
    expect(lazy.lines.find((l) => l.msg === 'subscriber stopped')).toMatchObject({ stored: n, dropped: 0, received: n });
  });
});
