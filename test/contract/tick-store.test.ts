// One contract for every TickStore: the embedded PGlite must answer exactly as PostgreSQL does.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../../src/adapters/pglite.js';
import { createPostgresStore } from '../../src/adapters/postgres.js';
import type { PricePoint, PriceQuery, TickStore } from '../../src/ports.js';
import { formatTimeUs, parseTimeUs, type Tick } from '../../src/tick.js';
import { startPostgres, type Server } from '../harness/servers.js';

const T0 = parseTimeUs('2026-11-21T10:00:00Z')!;
const tick = (symbol: string, price: string, offsetUs: number, exchange = 'NYSE'): Tick => ({ symbol, exchange, price, timeUs: T0 + offsetUs });

async function collect(store: TickStore, q: PriceQuery): Promise<PricePoint[]> {
  const out: PricePoint[] = [];
  for await (const chunk of store.prices(q)) out.push(...chunk);
  return out;
}

let pg: Server;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});

const adapters: [string, () => TickStore][] = [
  ['postgres (COPY)', () => createPostgresStore(pg.url.replace(/\/postgres$/, '/copy'), { insertMethod: 'copy', cursorRows: 7 })],
  ['postgres (unnest)', () => createPostgresStore(pg.url.replace(/\/postgres$/, '/unnest'), { insertMethod: 'unnest' })],
  ['pglite', () => createPgliteStore()],
];

describe.each(adapters)('TickStore contract: %s', (name, make) => {
  let store: TickStore;
  beforeAll(async () => {
    if (name.startsWith('postgres')) {
      const admin = createPostgresStore(pg.url);
      // Each adapter gets its own database so the cases cannot see each other's rows.
      const sql = postgres(pg.url, { onnotice: () => {} });
      await sql.unsafe(`CREATE DATABASE ${name.includes('COPY') ? 'copy' : 'unnest'}`);
      await sql.end();
      await admin.close();
    }
    store = make();
    await store.migrate();
    await store.migrate(); // twice: start-up migrations must be idempotent
  });
  afterAll(async () => {
    await store?.close();
  });

  it('stores exact prices and microsecond times, and returns them in time order', async () => {
    await store.insert([
      tick('TSLA', '723.02', 3),
      tick('TSLA', '0.000123', 1),
      tick('TSLA', '123456789012.123456789012', 2),
      tick('AAPL', '190.5', 1, 'NASDAQ'),
    ]);
    expect(await collect(store, { symbol: 'TSLA' })).toEqual([
      { timestamp: formatTimeUs(T0 + 1), price: '0.000123' },
      { timestamp: formatTimeUs(T0 + 2), price: '123456789012.123456789012' },
      { timestamp: formatTimeUs(T0 + 3), price: '723.02' },
    ]);
  });

  it('bounds are inclusive, open bounds are unbounded, and limit cuts the head', async () => {
    expect((await collect(store, { symbol: 'TSLA', fromUs: T0 + 2, toUs: T0 + 3 })).map((p) => p.price)).toEqual(['123456789012.123456789012', '723.02']);
    expect((await collect(store, { symbol: 'TSLA', toUs: T0 + 1 })).map((p) => p.price)).toEqual(['0.000123']);
    expect((await collect(store, { symbol: 'TSLA', limit: 2 })).map((p) => p.price)).toEqual(['0.000123', '123456789012.123456789012']);
    expect(await collect(store, { symbol: 'NOPE' })).toEqual([]);
  });

  it('averages exactly in SQL (NUMERIC, not float) and counts', async () => {
    await store.insert([tick('MSFT', '0.1', 0, 'NASDAQ'), tick('MSFT', '0.2', 1, 'NASDAQ'), tick('MSFT', '0.4', 2, 'NASDAQ')]);
    const avg = await store.average({ symbol: 'MSFT' });
    expect(avg.count).toBe(3);
    // (0.1 + 0.2 + 0.4) / 3 in floats is 0.23333333333333336; NUMERIC keeps the threes going.
    expect(avg.average).toBe('0.23333333333333333333');
    expect(await store.average({ symbol: 'MSFT', fromUs: T0 + 1, toUs: T0 + 1 })).toEqual({ average: '0.20000000000000000000', count: 1 });
    expect(await store.average({ symbol: 'NOPE' })).toEqual({ average: null, count: 0 });
  });

  it('averages ranges across many minutes exactly as avg() over the raw rows, edges included', async () => {
    const ticks = Array.from({ length: 100 }, (_, k) => tick('NFLX', `${100 + ((k * 37) % 100) / 100}`, k * 7_300_000 + (k % 3)));
    await store.insert(ticks.slice(0, 60));
    await store.insert(ticks.slice(60)); // the per-minute sums must add up across batches too
    const ranges: Omit<PriceQuery, 'symbol'>[] = [
      {},
      { fromUs: T0 + 10_500_000, toUs: T0 + 9 * 60_000_000 + 3 },
      { fromUs: T0 + 60_000_000, toUs: T0 + 120_000_000 },
      { fromUs: T0 + 61_000_000, toUs: T0 + 62_000_000 },
      { fromUs: T0 + 30_000_000, toUs: T0 + 30_000_001 },
    ];
    const oracle = postgres(pg.url, { onnotice: () => {} });
    try {
      for (const r of ranges) {
        const inRange = ticks.filter((t) => t.timeUs >= (r.fromUs ?? -Infinity) && t.timeUs <= (r.toUs ?? Infinity)).map((t) => t.price);
        // PostgreSQL's own avg() over exactly those prices is the reference.
        const [want] = await oracle`SELECT avg(p)::text AS average, count(*)::int AS count FROM unnest(${inRange}::text[]::numeric[]) p`;
        expect(await store.average({ symbol: 'NFLX', ...r }), JSON.stringify(r)).toEqual({ average: want!.average ?? null, count: want!.count });
      }
    } finally {
      await oracle.end();
    }
  });

  it('streams a long range with many equal times in chunks without losing or repeating rows', async () => {
    const many: Tick[] = [];
    for (let i = 0; i < 12_000; i++) many.push(tick('DIS', `${100 + (i % 1000) / 100}`, Math.floor(i / 3000) * 1000));
    await store.insert(many);
    const got = await collect(store, { symbol: 'DIS' });
    expect(got).toHaveLength(12_000);
    expect(got.map((p) => p.timestamp)).toEqual([...got.map((p) => p.timestamp)].sort());
    const expected = many.map((t) => t.price).sort();
    expect(got.map((p) => String(Number(p.price))).sort()).toEqual(expected.map((p) => String(Number(p))).sort());
    expect(await collect(store, { symbol: 'DIS', limit: 5001 })).toHaveLength(5001);
  });

  it('lists symbols with their latest exchange', async () => {
    expect(await store.symbols()).toEqual([
      { symbol: 'AAPL', exchange: 'NASDAQ' },
      { symbol: 'DIS', exchange: 'NYSE' },
      { symbol: 'MSFT', exchange: 'NASDAQ' },
      { symbol: 'NFLX', exchange: 'NYSE' },
      { symbol: 'TSLA', exchange: 'NYSE' },
    ]);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
