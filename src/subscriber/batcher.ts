// Buffers ticks and writes them in batches: on a timer, at a row threshold, and until success after failures.
import type { Tick } from '../tick.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface FlushResult {
  rows: number;
  durationMs: number;
}

export interface BatcherOptions {
  write(ticks: Tick[]): Promise<void>;
  intervalMs: number;
  maxRows: number;
  /** Ticks held in memory (waiting and being written) before new ones are dropped. */
  maxBuffered: number;
  clock?: Clock;
  onFlush?(result: FlushResult): void;
  onFlushError?(err: unknown, attempt: number, rows: number, retryInMs: number): void;
  onDrop?(count: number): void;
  /** Retry delay after the n-th consecutive failure. */
  backoffMs?(attempt: number): number;
}

export interface BatcherStats {
  buffered: number;
  stored: number;
  dropped: number;
  failedFlushes: number;
}

export interface Batcher {
  /** False when the tick was dropped because the buffer is full. */
  add(tick: Tick): boolean;
  /** Writes everything buffered now, retrying until it is stored or the deadline passes. */
  drain(deadlineMs?: number): Promise<void>;
  stats(): BatcherStats;
}

const defaultBackoff = (attempt: number): number => Math.min(100 * 2 ** (attempt - 1), 5000);

export function createBatcher(opts: BatcherOptions): Batcher {
  const clock = opts.clock ?? systemClock;
  const backoff = opts.backoffMs ?? defaultBackoff;
  let pending: Tick[] = [];
  /** The batch being written; kept whole across retries so a failure loses nothing. */
  let inFlight: Tick[] = [];
  /** True while a write is under way; `writing` is its promise, for drain() to await. */
  let busy = false;
  let writing: Promise<void> = Promise.resolve();
  let timer: unknown;
  let retryTimer: unknown;
  let attempt = 0;
  const stats = { stored: 0, dropped: 0, failedFlushes: 0 };

  const armTimer = (): void => {
    timer ??= clock.setTimeout(() => {
      timer = undefined;
      flushSoon();
    }, opts.intervalMs);
  };

  function flushSoon(): void {
    if (busy || retryTimer !== undefined) return;
    if (pending.length === 0) return;
    inFlight = pending.length <= opts.maxRows ? pending : pending.slice(0, opts.maxRows);
    pending = inFlight === pending ? [] : pending.slice(opts.maxRows);
    startWrite();
  }

  function startWrite(): void {
    busy = true;
    writing = writeInFlight();
  }

  async function writeInFlight(): Promise<void> {
    const started = clock.now();
    try {
      await opts.write(inFlight);
    } catch (err) {
      attempt++;
      stats.failedFlushes++;
      const delay = backoff(attempt);
      opts.onFlushError?.(err, attempt, inFlight.length, delay);
      busy = false;
      retryTimer = clock.setTimeout(() => {
        retryTimer = undefined;
        startWrite();
      }, delay);
      return;
    }
    attempt = 0;
    stats.stored += inFlight.length;
    opts.onFlush?.({ rows: inFlight.length, durationMs: clock.now() - started });
    inFlight = [];
    busy = false;
    // A backlog left from a slow or failed write goes out at once, not one interval later.
    if (pending.length >= opts.maxRows) flushSoon();
    else if (pending.length > 0) armTimer();
  }

  return {
    add(tick) {
      if (pending.length + inFlight.length >= opts.maxBuffered) {
        stats.dropped++;
        opts.onDrop?.(1);
        return false;
      }
      pending.push(tick);
      if (pending.length >= opts.maxRows) flushSoon();
      else armTimer();
      return true;
    },
    async drain(deadlineMs = Infinity) {
      const deadline = clock.now() + deadlineMs;
      if (timer !== undefined) {
        clock.clearTimeout(timer);
        timer = undefined;
      }
      while (pending.length > 0 || inFlight.length > 0) {
        if (clock.now() > deadline) throw new Error(`shutdown deadline passed with ${pending.length + inFlight.length} ticks not stored`);
        if (retryTimer !== undefined) {
          // Retry now rather than waiting out the backoff, then pause briefly between attempts.
          clock.clearTimeout(retryTimer);
          retryTimer = undefined;
          startWrite();
          await writing;
          if (retryTimer !== undefined) await new Promise((r) => clock.setTimeout(() => r(undefined), 200));
          continue;
        }
        if (busy) await writing;
        else flushSoon();
        if (timer !== undefined) {
          clock.clearTimeout(timer);
          timer = undefined;
        }
      }
    },
    stats: () => ({ buffered: pending.length + inFlight.length, ...stats }),
  };
}
