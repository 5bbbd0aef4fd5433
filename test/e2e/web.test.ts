// The native stack behind the nginx template Compose uses, driven through headless Chromium as a user would.
import { join } from 'node:path';
import postgres from 'postgres';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from '../harness/browser.js';
import { startNginx, type RunningNginx } from '../harness/nginx.js';
import { freePort, startPostgres, startRedis, waitFor, type Server } from '../harness/servers.js';
import { ROOT, startService, type ServiceProcess } from '../harness/service.js';

// Centrifugo cannot be installed on these machines (README, "Tests"), so live ticks travel over the
// built-in SSE broadcaster here: generator → Redis → subscriber → PostgreSQL and SSE, in `tickwatch all`.
let pg: Server;
let redis: Server;
let nginx: RunningNginx;
let app: ServiceProcess;
let appPort: number;
let browser: Browser;
let page: Page;
let sql: postgres.Sql;

const startApp = (): ServiceProcess =>
  startService('all', {
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    PORT: String(appPort),
    WEB_DIR: join(ROOT, 'web', 'dist'),
    GENERATOR_RATE: '60',
    FLUSH_INTERVAL_MS: '300',
  });

const price = (symbol: string): Promise<string | null> => page.textContent(`#board tr[data-symbol="${symbol}"] .price`);

async function priceChanges(symbol: string): Promise<void> {
  const before = await price(symbol);
  await waitFor(`${symbol} to change on the board`, async () => ((await price(symbol)) !== before) || undefined, 15_000, 100);
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  sql = postgres(pg.url, { onnotice: () => {} });
  appPort = await freePort();
  app = startApp();
  await app.waitForLog('listening', (l) => l.msg === 'subscriber started', 30_000);
  nginx = await startNginx({ WEB_ROOT: join(ROOT, 'web', 'dist'), API_UPSTREAM: `127.0.0.1:${appPort}` });
  browser = await launchBrowser();
  page = await (await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1280, height: 900 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await app?.stop();
  await sql?.end();
  await Promise.all([pg?.destroy(), redis?.destroy()]);
});

describe('web client through nginx', () => {
  it('shows live prices that appear and change', async () => {
    await page.goto(`${nginx.url}/`);
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 15_000 });
    for (const symbol of ['AMZN', 'AAPL', 'MSFT', 'TSLA', 'NFLX', 'DIS']) await page.waitForSelector(`#board tr[data-symbol="${symbol}"]`, { timeout: 15_000 });
    await priceChanges('TSLA');
    expect(await page.getAttribute('#board tr[data-symbol="TSLA"]', 'data-exchange')).toBe('NYSE');
  });

  it('answers a history query with the rows and the average that PostgreSQL holds', async () => {
    await waitFor('TSLA rows in PostgreSQL', async () => (await sql`SELECT count(*)::int AS n FROM stock_prices WHERE stock_name = 'TSLA'`)[0]!.n >= 20 || undefined, 20_000, 200);
    // A closed range in the past, so rows still arriving cannot change the answer.
    const end = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const start = new Date(end.getTime() - 15 * 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    const local = (d: Date): string => d.toISOString().slice(0, 19);
    await page.waitForSelector('#stock option[value="TSLA"]', { state: 'attached', timeout: 15_000 });
    await page.selectOption('#stock', 'TSLA');
    await page.fill('#start', local(start));
    await page.fill('#end', local(end));
    await page.click('#query');
    await expect.poll(() => page.textContent('#average'), { timeout: 15_000 }).toMatch(/Average|No data/);

    const [expected] = await sql`SELECT avg(price)::text AS avg, count(*)::int AS n FROM stock_prices
      WHERE stock_name = 'TSLA' AND timestamp BETWEEN ${start.toISOString()}::timestamptz AND ${end.toISOString()}::timestamptz`;
    expect(expected!.n).toBeGreaterThanOrEqual(5);
    expect(await page.textContent('#average')).toBe(`Average ${Number(expected!.avg).toFixed(4)} over ${expected!.n} points`);
    expect(await page.locator('#points tbody tr').count()).toBe(Math.min(1000, expected!.n));
    const rows = await sql`SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts FROM stock_prices
      WHERE stock_name = 'TSLA' AND timestamp BETWEEN ${start.toISOString()}::timestamptz AND ${end.toISOString()}::timestamptz ORDER BY timestamp`;
    expect(await page.getAttribute('#points tbody tr:first-child time', 'datetime')).toBe(rows[0]!.ts);
    expect(await page.locator('#chart path.line').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'web-history.png'), fullPage: true });
  });

  it('says so in words when a range holds no data, and when the input is wrong', async () => {
    await page.fill('#start', '2001-01-01T00:00:00');
    await page.fill('#end', '2001-01-01T00:10:00');
    await page.click('#query');
    await expect.poll(() => page.textContent('#average'), { timeout: 10_000 }).toBe('No data in this range');
    await page.fill('#start', '2001-01-02T00:00:00');
    await page.click('#query');
    await expect.poll(() => page.textContent('#history-error'), { timeout: 10_000 }).toMatch(/start/i);
  });

  it('resumes live updates after the server behind nginx restarts', async () => {
    expect(await app.stop('SIGTERM')).toBe(0);
    await page.waitForSelector('#connection:not([data-state="live"])', { timeout: 15_000 });
    app = startApp();
    await app.waitForLog('listening', (l) => l.msg === 'subscriber started', 30_000);
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 });
    await priceChanges('AAPL');
    await page.screenshot({ path: join(ARTIFACTS, 'web-live.png'), fullPage: true });
  });

  it('serves the same page over HTTPS', async () => {
    const secure = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await secure.goto(`${nginx.httpsUrl}/`);
    await secure.waitForSelector('#connection[data-state="live"]', { timeout: 15_000 });
    await secure.waitForSelector('#board tr[data-symbol="MSFT"]', { timeout: 15_000 });
    await secure.close();
  });
});
