// All-in-one benchmark (`tickwatch all`, PGlite): time from the command to the first live tick in a browser, and ingest rate into PGlite.
// Usage: node dist/bench/all-in-one.js [startup|ingest|both=both] [rates=2000,10000,30000] [seconds=15] [repeats=3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../test/harness/browser.js';
import { freePort, waitFor } from '../test/harness/servers.js';
import { startService, type LogLine, type ServiceProcess } from '../test/harness/service.js';
import { cpuSeconds, median, memory, pct, resultLog, round } from './measure.js';

const what = process.argv[2] ?? 'both';
const rates = (process.argv[3] ?? '2000,10000,30000').split(',').map(Number);
const seconds = Number(process.argv[4] ?? 15);
const repeats = Number(process.argv[5] ?? 3);

const { start: watchVitest, log, stop: stopWatchingVitest } = resultLog();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number): number | undefined => memory(pid)?.rssMb;
const peakRssMb = (pid: number): number | undefined => memory(pid)?.peakRssMb;

function duMb(dir: string): number {
  return Math.round(Number(spawnSync('du', ['-sk', dir], { encoding: 'utf8' }).stdout.split('\t')[0]) / 1024);
}

async function stopAll(proc: ServiceProcess): Promise<number> {
  const t0 = performance.now();
  const code = await proc.stop('SIGINT');
  if (code !== 0) throw new Error(`tickwatch all exited with ${code}: ${proc.stderr().slice(-2000)}`);
  return performance.now() - t0;
}

/**
 * One start of `tickwatch all`, as a user runs it with the browser already open. The clock starts just before
 * the spawn; every time below is measured from there. /api/health is polled every 10 ms, and the page is
 * requested the moment it answers: a browser re-requesting a refused page every few ms renders an error page
 * each time, and on two cores that CPU comes out of PGlite's start-up (measured so, start-up took about twice as long).
 */
async function startup(browser: Browser, dataDir: string, kind: string): Promise<Record<string, number | string>> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const t0 = performance.now();
  const t0Wall = Date.now();
  const since = (): number => round(performance.now() - t0, 0);
  const proc = startService('all', { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  // Where the start-up goes, from the service's own log: Node and modules loaded, then PGlite opened and migrated.
  const logged = (match: (msg: string) => boolean): number => {
    const line = proc.lines.find((l) => typeof l.msg === 'string' && match(l.msg));
    return line ? Date.parse(line.time as string) - t0Wall : NaN;
  };
  try {
    const health = waitFor('health', async () => ((await fetch(`${base}/api/health`)).ok ? since() : undefined), 60_000, 10);
    const browse = (async () => {
      await health;
      await page.goto(`${base}/`, { waitUntil: 'load', timeout: 10_000 });
      const loaded = since();
      await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 });
      const live = since();
      await page.waitForSelector('#board tr[data-symbol] .price', { timeout: 30_000 });
      const firstRow = since();
      return { loaded, live, firstRow };
    })();
    const [healthMs, b] = await Promise.all([health, browse]);
    const shutdownMs = round(await stopAll(proc), 0);
    const firstLogMs = logged((m) => m.includes('embedded PGlite'));
    const listeningMs = logged((m) => m.startsWith('Server listening'));
    return { kind, firstLogMs, listeningMs, healthMs, pageLoadedMs: b.loaded, liveMs: b.live, firstRowMs: b.firstRow, shutdownMs };
  } finally {
    await proc.stop('SIGKILL');
    await context.close();
  }
}

async function startupBench(): Promise<void> {
  const b0 = performance.now();
  const browser = await launchBrowser();
  log({ browserLaunchMs: round(performance.now() - b0, 0), note: 'not part of the times below: the user\'s browser is already open' });
  const results: Record<string, number | string>[] = [];
  try {
    for (let i = 0; i < repeats; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'tickwatch-all-'));
      const dataDir = join(dir, 'data');
      try {
        for (const kind of ['fresh data dir', 'restart, existing data dir']) {
          const r = await startup(browser, dataDir, kind);
          log({ bench: 'startup', run: i + 1, ...r });
          results.push(r);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  for (const kind of new Set(results.map((r) => r.kind))) {
    const mine = results.filter((r) => r.kind === kind);
    const summary: Record<string, unknown> = { bench: 'startup summary', kind, runs: mine.length };
    for (const key of ['firstLogMs', 'listeningMs', 'healthMs', 'pageLoadedMs', 'liveMs', 'firstRowMs', 'shutdownMs']) {
      const xs = mine.map((r) => r[key] as number);
      summary[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
    }
    log(summary);
  }
}

const metrics = (lines: LogLine[], name: string): { value: number; at: number }[] =>
  lines.filter((l) => l.metric === name).map((l) => ({ value: l.value as number, at: Date.parse(l.timestamp as string) }));

/**
 * `tickwatch all` at one GENERATOR_RATE for `seconds`, then SIGINT, which stops the generator and flushes
 * everything received. Default flush settings (what `npm start` uses); the shutdown timeout is raised so a
 * backlog is stored rather than abandoned, which is what is measured here.
 */
async function ingest(rate: number, dataDir: string): Promise<Record<string, unknown>> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = startService('all', {
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', GENERATOR_RATE: String(rate), SHUTDOWN_TIMEOUT_MS: '600000',
  });
  const pid = proc.child.pid!;
  let peak = 0;
  const rss = setInterval(() => (peak = Math.max(peak, peakRssMb(pid) ?? 0)), 250);
  try {
    const started = await proc.waitForLog('subscriber started', (l) => l.msg === 'subscriber started', 60_000);
    const startWall = Date.parse(started.time as string);
    const cpu0 = cpuSeconds(pid) ?? NaN;
    const rssAtStartMb = rssMb(pid);
    // The API shares the event loop with the generator, the subscriber and PGlite: how long does it take to answer meanwhile?
    const health: number[] = [];
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const t = performance.now();
      await fetch(`${base}/api/health`);
      health.push(performance.now() - t);
      await sleep(100);
    }
    const cpu = (cpuSeconds(pid) ?? NaN) - cpu0;
    const rssAtStopMb = rssMb(pid);
    const sigintWall = Date.now();
    const storedBeforeStop = metrics(proc.lines, 'rows_written').filter((m) => m.at <= sigintWall).reduce((a, m) => a + m.value, 0);
    const drainMs = await stopAll(proc);
    clearInterval(rss);

    const stopped = proc.lines.find((l) => l.msg === 'subscriber stopped')!;
    const sent = proc.lines.find((l) => l.msg === 'generator finished')?.sent as number;
    const flushes = metrics(proc.lines, 'insert_latency').map((m) => m.value);
    const written = metrics(proc.lines, 'rows_written');
    const runSeconds = (sigintWall - startWall) / 1000;
    const lastFlushWall = written[written.length - 1]!.at;
    return {
      rate, seconds: round(runSeconds, 1),
      published: sent, publishedPerSecond: Math.round(sent / runSeconds),
      received: stopped.received, stored: stopped.stored, dropped: stopped.dropped, lost: sent - (stopped.stored as number),
      // As in the ingest benchmark: from the first tick to the flush that stored the last one, drain included.
      storedPerSecond: Math.round((stopped.stored as number) / ((lastFlushWall - startWall) / 1000)),
      storedPerSecondBeforeStop: Math.round(storedBeforeStop / runSeconds),
      backlogAtStop: (stopped.received as number) - storedBeforeStop,
      drainSeconds: round(drainMs / 1000, 2),
      flushes: flushes.length,
      meanRowsPerFlush: Math.round(written.reduce((a, m) => a + m.value, 0) / Math.max(1, written.length)),
      flushP50Ms: round(pct(flushes, 50)), flushP99Ms: round(pct(flushes, 99)), flushMaxMs: round(Math.max(...flushes)),
      healthP50Ms: round(pct(health, 50)), healthP99Ms: round(pct(health, 99)), healthMaxMs: round(Math.max(...health)),
      cpuSecondsPerSecond: round(cpu / runSeconds, 2),
      rssAtStartMb, rssAtStopMb, peakRssMb: peak,
      dataDirMb: duMb(dataDir),
    };
  } finally {
    clearInterval(rss);
    await proc.stop('SIGKILL');
  }
}

/** Times one GET, counting rows ('{' starts each) without holding the body; gives up after `timeoutMs`. */
async function timedGet(url: string, timeoutMs: number): Promise<{ status: number | string; rows: number; seconds: number }> {
  const t0 = performance.now();
  let rows = 0;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (let i = chunk.indexOf(0x7b); i !== -1; i = chunk.indexOf(0x7b, i + 1)) rows++;
    }
    return { status: res.status, rows, seconds: round((performance.now() - t0) / 1000, 2) };
  } catch (err) {
    return { status: `gave up: ${(err as Error).name}`, rows, seconds: round((performance.now() - t0) / 1000, 2) };
  }
}

/** The REST API on the PGlite store that ingest filled: one symbol's average and prices, each over everything stored. */
async function reads(dataDir: string, stored: number): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = startService('all', { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  try {
    await waitFor('health', async () => (await fetch(`${base}/api/health`)).ok || undefined, 60_000, 50);
    const avg = performance.now();
    const a = (await (await fetch(`${base}/api/average/TSLA`)).json()) as { count: number };
    log({ bench: 'pglite reads', stored, request: '/api/average/TSLA', rows: a.count, seconds: round((performance.now() - avg) / 1000, 2) });
    for (const path of ['/api/prices/TSLA?limit=10000', '/api/prices/TSLA?limit=50000', '/api/prices/TSLA']) {
      const r = await timedGet(base + path, 300_000);
      log({ bench: 'pglite reads', stored, request: path, ...r, rowsPerSecond: Math.round(r.rows / r.seconds) });
    }
  } finally {
    await proc.stop('SIGINT');
  }
}

async function ingestBench(): Promise<void> {
  let largest: { dir: string; stored: number } | undefined;
  for (const rate of rates) {
    const dir = mkdtempSync(join(tmpdir(), 'tickwatch-all-'));
    const r = await ingest(rate, join(dir, 'data'));
    log({ bench: 'ingest', ...r });
    if (!largest || (r.stored as number) > largest.stored) {
      if (largest) rmSync(largest.dir, { recursive: true, force: true });
      largest = { dir, stored: r.stored as number };
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // PGlite reopens its data directory at every start: how does that grow with what is stored? And how do reads do on it?
  if (largest && existsSync(largest.dir)) {
    const browser = await launchBrowser();
    try {
      const r = await startup(browser, join(largest.dir, 'data'), `restart, ${largest.stored} rows stored`);
      log({ bench: 'startup', run: 1, ...r, dataDirMb: duMb(largest.dir) });
      await reads(join(largest.dir, 'data'), largest.stored);
    } finally {
      await browser.close();
      rmSync(largest.dir, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  watchVitest();
  const git = (...args: string[]): string => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
  log({ commit: git('rev-parse', '--short', 'HEAD'), uncommittedSrc: git('status', '--porcelain', 'src', 'deploy').split('\n').filter(Boolean), node: process.version });
  try {
    if (what === 'startup' || what === 'both') await startupBench();
    if (what === 'ingest' || what === 'both') await ingestBench();
  } finally {
    stopWatchingVitest();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
