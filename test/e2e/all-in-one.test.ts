// `npm start` as a newcomer runs it: one process, no servers, PGlite in a data directory, live ticks over SSE.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser } from '../harness/browser.js';
import { freePort, waitFor } from '../harness/servers.js';
import { ROOT } from '../harness/service.js';

let dataDir: string;
let port: number;
let base: string;
let browser: Browser;

function npmStart(): { child: ChildProcess; output: () => string } {
  // Its own process group, so a signal reaches npm and the service together, as Ctrl-C in a terminal does.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', GENERATOR_RATE: '40', FLUSH_INTERVAL_MS: '250' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/**
 * Ctrl-C: SIGINT to the whole group. npm itself dies of the signal, as in a terminal; what matters is that the
 * service flushed, said so, and let go of its port and data directory.
 */
async function ctrlC(app: { child: ChildProcess; output: () => string }): Promise<void> {
  const exited = new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
  process.kill(-app.child.pid!, 'SIGINT');
  await exited;
  await waitFor('the service to stop', async () => {
    const free = await fetch(`${base}/api/health`).then(() => false, () => true);
    return (free && /"msg":"subscriber stopped"/.test(app.output())) || undefined;
  }, 30_000, 100);
  expect(app.output()).toMatch(/"buffered":0,"stored":\d+,"dropped":0/);
  expect(app.output()).not.toMatch(/shutdown incomplete/);
}

const getJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tickwatch-data-'));
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('all-in-one (npm start)', () => {
  let firstRun: { symbol: string; count: number; average: number | null }[] = [];

  it('streams live ticks over SSE, shows them in the browser, and answers history from PGlite', async () => {
    const app = npmStart();
    try {
      await waitFor('the API', () => fetch(`${base}/api/health`).then((r) => r.ok || undefined), 60_000, 200).catch((e: Error) => {
        throw new Error(`${e.message}\n${app.output().slice(-3000)}`);
      });
      expect(await getJson('/api/config')).toEqual({ live: { transport: 'sse', url: '/api/stream' } });

      // An SSE client sees the generator's ticks as they are published.
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/stream?exchange=NYSE`, { signal: ctl.signal });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      while ((text.match(/^data: /gm) ?? []).length < 5) text += new TextDecoder().decode((await reader.read()).value);
      ctl.abort();
      const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
      for (const e of events) {
        expect(e).toEqual({ stock: expect.any(String), exchange: 'NYSE', price: expect.any(Number), timestamp: expect.any(Number) });
        expect(['TSLA', 'NFLX', 'DIS']).toContain(e.stock);
      }

      // The page fills its live board from the same stream.
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      await page.waitForSelector('#connection[data-state="live"]', { timeout: 15_000 });
      await page.waitForSelector('#board tr[data-symbol="TSLA"] .price', { timeout: 15_000 });
      const first = await page.textContent('#board tr[data-symbol="TSLA"] .price');
      await waitFor('TSLA price to change on the page', async () => ((await page.textContent('#board tr[data-symbol="TSLA"] .price')) !== first) || undefined, 15_000, 100);
      await page.screenshot({ path: join(ARTIFACTS, 'all-in-one.png'), fullPage: true });
      await page.close();

      // History and average come from PGlite and agree with each other.
      await waitFor('stored ticks', async () => (await getJson<unknown[]>('/api/prices/TSLA')).length >= 3 || undefined, 15_000, 200);
      for (const symbol of ['TSLA', 'AAPL']) {
        const prices = await getJson<{ timestamp: string; price: number }[]>(`/api/prices/${symbol}`);
        const end = prices[prices.length - 1]!.timestamp;
        const avg = await getJson<{ count: number; average_price: number }>(`/api/average/${symbol}?end_time=${encodeURIComponent(end)}`);
        expect(avg.count).toBe(prices.length);
        expect(avg.average_price).toBeCloseTo(prices.reduce((a, p) => a + p.price, 0) / prices.length, 6);
        firstRun.push({ symbol, count: avg.count, average: avg.average_price });
      }
    } finally {
      await ctrlC(app);
    }
  });

  it('keeps the earlier rows across Ctrl-C and a restart', async () => {
    const app = npmStart();
    try {
      await waitFor('the API', () => fetch(`${base}/api/health`).then((r) => r.ok || undefined), 60_000, 200);
      for (const before of firstRun) {
        const prices = await getJson<{ timestamp: string }[]>(`/api/prices/${before.symbol}`);
        const end = prices[before.count - 1]!.timestamp;
        const avg = await getJson<{ count: number; average_price: number }>(`/api/average/${before.symbol}?end_time=${encodeURIComponent(end)}`);
        expect(avg).toMatchObject({ count: before.count, average_price: before.average });
      }
    } finally {
      await ctrlC(app);
    }
    firstRun = [];
  });
});
