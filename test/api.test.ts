// The HTTP API against a real PostgreSQL: exact bodies, problem responses, outages, streaming, CORS, docs and SSE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/postgres.js';
import { createSseHub } from '../src/adapters/sse.js';
import { buildApp, type ApiDeps } from '../src/api/app.js';
import type { PricePoint, TickStore } from '../src/ports.js';
import type { Tick } from '../src/tick.js';
import { startPostgres, waitFor, type Server } from './harness/servers.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2024, 2, 1, 14, 30) * 1000; // 2024-03-01T14:30:00Z = epoch 1709303400 s
const tick = (symbol: string, exchange: string, price: string, timeUs: number): Tick => ({ symbol, exchange, price, timeUs });
// Inserted out of order: the API must sort by time.
const TICKS = [
  tick('TSLA', 'NASDAQ', '724.5', T0 + 60_000_000),
  tick('TSLA', 'NASDAQ', '723.02', T0 + 123_456),
  tick('TSLA', 'NASDAQ', '123456789.123456789', T0 + 2_500_000),
  tick('TSLA', 'NASDAQ', '0.000123', T0 + 1_000_001),
  tick('AAPL', 'NYSE', '170.1', T0),
  tick('AAPL', 'NASDAQ', '170.2', T0 + 1),
];
const ROWS = [
  '{"timestamp":"2024-03-01T14:30:00.123456Z","price":723.02}',
  '{"timestamp":"2024-03-01T14:30:01.000001Z","price":0.000123}',
  '{"timestamp":"2024-03-01T14:30:02.500000Z","price":123456789.123456789}',
  '{"timestamp":"2024-03-01T14:31:00.000000Z","price":724.5}',
];
const ALL_TSLA = `[${ROWS.join(',')}]`;
const BULK_ROWS = 50_000;

let pg: Server;
let store: TickStore;
let sql: postgres.Sql;
let app: FastifyInstance;

const build = (deps: Partial<ApiDeps> = {}): FastifyInstance => buildApp({ store, log, corsOrigins: [], ...deps });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

function expectProblem(res: Awaited<ReturnType<typeof get>>, status: number, code: string, mentions: string[] = []): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({ type: 'about:blank', status, code });
  expect(typeof body.title).toBe('string');
  for (const m of mentions) expect(body.detail).toContain(m);
  // Our wording, not Ajv's, and never a stack trace.
  expect(body.detail).not.toMatch(/must NOT|must be (integer|string|>=|<=)|querystring\/|\bat .*\.[jt]s:\d+/);
}

beforeAll(async () => {
  pg = await startPostgres();
  store = createPostgresStore(pg.url, { cursorRows: 1000 });
  await store.migrate();
  const bulk = Array.from({ length: BULK_ROWS }, (_, i) => tick('BULK', 'NYSE', `${i + 1}.${String(i).padStart(6, '0')}`, T0 + i * 1000));
  await store.insert([...TICKS, ...bulk]);
  sql = postgres(pg.url, { onnotice: () => {} });
  app = build();
});

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await store?.close();
  await pg?.destroy();
});

describe('GET /api/prices/:stock_name', () => {
  it('returns every price in time order with exact timestamps and digits', async () => {
    const res = await get('/api/prices/TSLA');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe(ALL_TSLA);
  });

  it('treats bounds as inclusive, whether ISO with Z, ISO with an offset or epoch seconds', async () => {
    const middle = `[${ROWS.slice(1, 3).join(',')}]`;
    for (const [start, end] of [
      ['2024-03-01T14:30:01.000001Z', '2024-03-01T14:30:02.5Z'],
      ['2024-03-01T15:30:01.000001+01:00', '2024-03-01T09:30:02.500-05:00'],
      ['1709303401.000001', '1709303402.5'],
    ]) {
      const res = await get(`/api/prices/TSLA?start_time=${encodeURIComponent(start!)}&end_time=${encodeURIComponent(end!)}`);
      expect(res.body).toBe(middle);
    }
    expect((await get('/api/prices/TSLA?start_time=1709303402.500001')).json()).toHaveLength(1);
    expect((await get('/api/prices/TSLA?end_time=1709303400.123456')).json()).toHaveLength(1);
  });

  it('applies limit, and answers [] for an empty range or unknown symbol', async () => {
    expect((await get('/api/prices/TSLA?limit=2')).body).toBe(`[${ROWS.slice(0, 2).join(',')}]`);
    expect((await get('/api/prices/NOPE')).body).toBe('[]');
    expect((await get('/api/prices/TSLA?start_time=2030-01-01T00:00:00Z')).body).toBe('[]');
  });

  it(`streams ${BULK_ROWS} rows as one valid JSON array`, async () => {
    const res = await get('/api/prices/BULK');
    const rows = res.json<{ timestamp: string; price: number }[]>();
    expect(rows).toHaveLength(BULK_ROWS);
    expect(res.body.endsWith(`{"timestamp":"2024-03-01T14:30:49.999000Z","price":50000.049999}]`)).toBe(true);
    expect(rows.every((r, i) => i === 0 || r.timestamp > rows[i - 1]!.timestamp)).toBe(true);
  });
});

describe('GET /api/average/:stock_name', () => {
  const sqlAvg = async (values: string[]): Promise<string> =>
    (await sql.unsafe('SELECT avg(v)::text AS a FROM unnest($1::numeric[]) v', [values]))[0]!.a as string;

  it('is the exact SQL average, with the bounds echoed', async () => {
    const all = await get('/api/average/TSLA');
    const exact = await sqlAvg(['723.02', '0.000123', '123456789.123456789', '724.5']);
    expect(all.body).toBe(`{"stock_name":"TSLA","average_price":${exact},"count":4,"start_time":null,"end_time":null}`);
    // By hand: (723.02 + 0.000123 + 123456789.123456789 + 724.5) / 4 = 123458236.643579789 / 4, exactly:
    expect(exact).toMatch(/^30864559\.160894947250*$/);
    expect(all.json().average_price).toBeCloseTo(30864559.1608949, 6);

    const two = await get('/api/average/TSLA?start_time=2024-03-01T15:30:00%2B01:00&end_time=1709303401.000001');
    expect(two.json()).toEqual({ stock_name: 'TSLA', average_price: 361.5100615, count: 2, start_time: '2024-03-01T14:30:00.000000Z', end_time: '2024-03-01T14:30:01.000001Z' });
    expect(two.body).toContain(`"average_price":${await sqlAvg(['723.02', '0.000123'])},`);
  });

  it('is null with count 0 when nothing is stored in the range', async () => {
    const res = await get('/api/average/TSLA?end_time=2024-01-01T00:00:00Z');
    expect(res.json()).toEqual({ stock_name: 'TSLA', average_price: null, count: 0, start_time: null, end_time: '2024-01-01T00:00:00.000000Z' });
  });
});

describe('other routes', () => {
  it('lists symbols with the exchange of their latest tick', async () => {
    expect((await get('/api/symbols')).json()).toEqual([
      { symbol: 'AAPL', exchange: 'NASDAQ' },
      { symbol: 'BULK', exchange: 'NYSE' },
      { symbol: 'TSLA', exchange: 'NASDAQ' },
    ]);
  });

  it('reports liveness, readiness and the live configuration', async () => {
    expect((await get('/api/health')).json()).toEqual({ status: 'ok' });
    expect((await get('/api/ready')).json()).toEqual({ status: 'ready' });
    expect((await get('/api/config')).json()).toEqual({ live: null });
    const live = { transport: 'centrifugo' as const, url: '/connection/websocket', channels: ['NYSE', 'NASDAQ'] };
    expect((await build({ live }).inject('/api/config')).json()).toEqual({ live });
    const hub = createSseHub({ log });
    expect((await build({ sse: hub, live }).inject('/api/config')).json()).toEqual({ live: { transport: 'sse', url: '/api/stream' } });
    await hub.close();
  });

  it('publishes an OpenAPI document and Swagger UI', async () => {
    const doc = (await get('/api/openapi.json')).json<{ openapi: string; paths: Record<string, { get: { parameters: { name: string }[] } }> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/prices/{stock_name}', '/api/average/{stock_name}', '/api/symbols', '/api/health', '/api/ready', '/api/config']) {
      expect(doc.paths).toHaveProperty([p]);
    }
    expect(doc.paths['/api/prices/{stock_name}']!.get.parameters.map((p) => p.name).sort()).toEqual(['end_time', 'limit', 'start_time', 'stock_name']);
    const ui = await app.inject('/api/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('sends CORS headers only to listed origins', async () => {
    const withCors = build({ corsOrigins: ['https://ok.example'] });
    expect((await withCors.inject({ url: '/api/health', headers: { origin: 'https://ok.example' } })).headers['access-control-allow-origin']).toBe('https://ok.example');
    expect((await withCors.inject({ url: '/api/health', headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
    expect((await get('/api/health', { origin: 'https://ok.example' })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the web client when its directory exists, and warns when it does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwatch-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Tickwatch</title>');
    const web = build({ webDir: dir });
    const res = await web.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<title>Tickwatch</title>');
    expectProblem(await web.inject('/api/nope'), 404, 'not_found');
    rmSync(dir, { recursive: true });
    const lines: string[] = [];
    const missing = build({ webDir: dir, log: pino({ level: 'warn' }, { write: (l: string) => lines.push(l) }) });
    expectProblem(await missing.inject('/'), 404, 'not_found');
    expect(lines.join('')).toContain('web client directory not found');
  });

  it('logs the client behind nginx only when told to trust the proxy', async () => {
    const remote = async (trustProxy: boolean): Promise<string | undefined> => {
      const lines: string[] = [];
      const a = build({ trustProxy, log: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }) });
      await a.inject({ url: '/api/health', headers: { 'x-forwarded-for': '203.0.113.9' }, remoteAddress: '10.0.0.2' });
      await a.close();
      const entry = lines.map((l) => JSON.parse(l) as { req?: { remoteAddress?: string } }).find((l) => l.req?.remoteAddress);
      return entry?.req?.remoteAddress;
    };
    expect(await remote(true)).toBe('203.0.113.9');
    expect(await remote(false)).toBe('10.0.0.2');
  });
});

describe('problems', () => {
  it.each([
    ['/api/prices/TSLA?start_time=yesterday', 'bad_time', ['start_time', 'ISO 8601', 'epoch seconds']],
    ['/api/average/TSLA?end_time=2024-03-01T14:30:00', 'bad_time', ['end_time', 'offset']],
    ['/api/prices/TSLA?start_time=1&start_time=2', 'bad_time', ['start_time', 'once']],
    ['/api/prices/TSLA?start_time=2024-03-02T00:00:00Z&end_time=2024-03-01T00:00:00Z', 'bad_time_range', ['start_time', 'end_time']],
    ['/api/prices/tsla', 'bad_stock_name', ['stock_name', 'A-Z']],
    ['/api/average/WAY_TOO_LONG_FOR_A_SYMBOL', 'bad_stock_name', ['stock_name']],
    ['/api/prices/TSLA?limit=0', 'bad_limit', ['limit', '1 to 1000000']],
    ['/api/prices/TSLA?limit=abc', 'bad_limit', ['limit']],
    ['/api/prices/TSLA?limit=1.5', 'bad_limit', ['limit']],
    ['/api/prices/TSLA?limit=1000001', 'bad_limit', ['limit']],
    ['/api/prices/TSLA?start=1&sort=asc', 'unknown_parameter', ['"start"', '"sort"', 'start_time, end_time, limit']],
    ['/api/average/TSLA?limit=5', 'unknown_parameter', ['"limit"']],
    ['/api/health?verbose=1', 'unknown_parameter', ['"verbose"']],
  ])('GET %s → 400 %s', async (url, code, mentions) => {
    expectProblem(await get(url), 400, code, mentions);
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await get('/api/nope'), 404, 'not_found', ['/api/nope']);
    expectProblem(await get('/api/prices'), 404, 'not_found');
  });

  it('hides unexpected errors behind a 500 and recognises an embedded database going away', async () => {
    const failing = (err: Error): FastifyInstance => build({ store: { ...store, symbols: () => Promise.reject(err) } });
    const res = await failing(new Error('secret internals')).inject('/api/symbols');
    expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toContain('secret internals');
    expectProblem(await failing(new Error('PGlite is closed')).inject('/api/symbols'), 503, 'database_unavailable');
  });

  it('is not ready when the database does not answer within 2 s', async () => {
    const hanging = build({ store: { ...store, ping: () => new Promise<void>(() => {}) } });
    expectProblem(await hanging.inject('/api/ready'), 503, 'database_unavailable');
  });
});

describe('streaming over a real socket', () => {
  async function listen(a: FastifyInstance): Promise<string> {
    await a.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
  }
  // node:http rather than fetch: pausing it is real backpressure, and destroying it closes the socket at once.
  const open = (url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => httpGet(url, { headers, agent: false }, resolve).on('error', reject));
  const rows = (n: number): PricePoint[] => Array.from({ length: n }, () => ({ timestamp: '2024-03-01T14:30:00.000000Z', price: '1.5' }));

  it('reads only as fast as the client and stops the query when the client leaves', async () => {
    const state = { pulled: 0, closed: false };
    const endless: TickStore = {
      ...store,
      async *prices() {
        try {
          for (;;) {
            state.pulled++;
            yield rows(1000);
          }
        } finally {
          state.closed = true;
        }
      },
    };
    const a = build({ store: endless });
    const res = await open(`${await listen(a)}/api/prices/TSLA`);
    res.pause();
    await waitFor('socket buffers to fill', async () => {
      const before = state.pulled;
      await new Promise((r) => setTimeout(r, 200));
      return (before > 1 && state.pulled === before) || undefined;
    });
    expect(state.closed).toBe(false);
    res.destroy();
    await waitFor('the cursor to close', () => state.closed || undefined, 5000);
    await a.close();
  });

  it('cuts the response when the database fails after the first rows', async () => {
    const failing: TickStore = {
      ...store,
      async *prices() {
        yield rows(10);
        throw Object.assign(new Error('connection lost'), { code: 'CONNECTION_CLOSED' });
      },
    };
    const lines: string[] = [];
    const a = build({ store: failing, log: pino({ level: 'warn' }, { write: (l: string) => lines.push(l) }) });
    const res = await open(`${await listen(a)}/api/prices/TSLA`);
    expect(res.statusCode).toBe(200);
    // Cut, not ended: a client must not mistake a truncated array for the whole range.
    await expect(new Promise((resolve, reject) => res.on('end', resolve).on('error', reject).resume())).rejects.toThrow(/aborted/);
    expect(lines.join('')).toContain('connection lost');
    await a.close();
  });

  it('serves Server-Sent Events with exchange filters and Last-Event-ID resume', async () => {
    const hub = createSseHub({ log });
    const a = build({ sse: hub, corsOrigins: ['https://ok.example'] });
    const base = await listen(a);
    expectProblem(await a.inject('/api/stream?exchange=NY%20SE!'), 400, 'bad_exchange', ['exchange']);
    expectProblem(await a.inject('/api/stream?symbol=tsla'), 400, 'bad_symbol', ['symbol']);

    async function events(query: string, count: number, headers: Record<string, string> = {}, publish?: () => void) {
      const res = await open(`${base}/api/stream${query}`, headers);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      publish?.();
      let text = '';
      const found = () => text.split('\n\n').filter((f) => f.startsWith('id: '));
      for await (const chunk of res.setEncoding('utf8')) {
        text += chunk as string;
        if (found().length >= count) break; // leaving the loop destroys the response
      }
      return found().map((f) => ({ id: Number(/^id: (\d+)/.exec(f)![1]), data: JSON.parse(f.split('data: ')[1]!) }));
    }

    const live = await events('?exchange=NYSE', 2, {}, () =>
      hub.publish([tick('IBM', 'NYSE', '190.5', T0), tick('TSLA', 'NASDAQ', '723.02', T0 + 1), tick('IBM', 'NYSE', '190.25', T0 + 2_000_000)]),
    );
    expect(live).toEqual([
      { id: 1, data: { stock: 'IBM', exchange: 'NYSE', price: 190.5, timestamp: 1709303400 } },
      { id: 3, data: { stock: 'IBM', exchange: 'NYSE', price: 190.25, timestamp: 1709303402 } },
    ]);
    const resumed = await events('?symbol=TSLA,IBM', 2, { 'last-event-id': '1' });
    expect(resumed.map((e) => e.id)).toEqual([2, 3]);
    // A client still connected must not keep the server from closing.
    const lingering = await open(`${base}/api/stream`, { origin: 'https://ok.example' });
    expect(lingering.headers['access-control-allow-origin']).toBe('https://ok.example');
    const ended = new Promise((resolve) => lingering.on('close', resolve).resume());
    await a.close();
    await ended;
    await hub.close();
  });
});

describe('database outage', () => {
  it('answers 503 database_unavailable while PostgreSQL is down, and recovers', async () => {
    await pg.stop();
    expectProblem(await get('/api/ready'), 503, 'database_unavailable');
    expectProblem(await get('/api/prices/TSLA'), 503, 'database_unavailable');
    expectProblem(await get('/api/average/TSLA'), 503, 'database_unavailable');
    expectProblem(await get('/api/symbols'), 503, 'database_unavailable');
    expect((await get('/api/health')).statusCode).toBe(200);
    await pg.start();
    await waitFor('the API to be ready again', async () => (await get('/api/ready')).statusCode === 200 || undefined);
    expect((await get('/api/prices/TSLA')).body).toBe(ALL_TSLA);
  });
});
