// Broadcaster on Centrifugo's HTTP API: ticks queue in memory and go out in /api/batch calls, one at a time.
import type { Logger } from 'pino';
import type { Broadcaster } from '../ports.js';
import { toPublication, type Tick } from '../tick.js';

export interface CentrifugoOptions {
  apiUrl: string;
  apiKey: string;
  /** Publications per /api/batch call. */
  batchSize?: number;
  /** Live ticks kept while Centrifugo is slow or away; past it the newest are dropped and counted. */
  maxQueued?: number;
  requestTimeoutMs?: number;
}

export interface BroadcastStats {
  published: number;
  failed: number;
  dropped: number;
}

interface Command {
  publish: { channel: string; data: unknown };
}

export function createCentrifugoBroadcaster(opts: CentrifugoOptions, log: Logger): Broadcaster & { stats(): BroadcastStats } {
  const url = `${opts.apiUrl.replace(/\/$/, '')}/batch`;
  const batchSize = opts.batchSize ?? 1000;
  const maxQueued = opts.maxQueued ?? 200_000;
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const stats: BroadcastStats = { published: 0, failed: 0, dropped: 0 };
  /** Commands waiting from index `head` on; the sent prefix is cut off now and then, not on every call. */
  let queue: Command[] = [];
  let head = 0;
  // One call in flight, executed sequentially by Centrifugo: a channel's ticks reach browsers in the order they
  // arrived. Batching, not concurrency, carries the rate (1000 publications a call).
  let sending = false;
  let backoffMs = 0;
  let pausedUntil = 0;
  let resumeTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let idle: (() => void) | undefined;
  let lastWarn = 0;
  const queued = (): number => queue.length - head;

  const warn = (fields: object, msg: string): void => {
    // One warning a second at most: an outage must not flood the logs.
    const now = Date.now();
    if (now - lastWarn >= 1000) {
      lastWarn = now;
      log.warn({ ...fields, ...stats, queued: queued() }, msg);
    }
  };

  async function send(batch: Command[]): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': opts.apiKey },
      body: JSON.stringify({ commands: batch }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
    const body = (await res.json()) as { replies?: { error?: { code: number; message: string } }[]; error?: { code: number; message: string } };
    if (body.error) throw new Error(`Centrifugo error ${body.error.code}: ${body.error.message}`);
    const errors = (body.replies ?? []).filter((r) => r.error);
    stats.published += batch.length - errors.length;
    if (errors.length > 0) {
      stats.failed += errors.length;
      warn({ sample: errors[0]!.error }, 'centrifugo rejected publications');
    }
  }

  function pump(): void {
    if (sending || queued() === 0) return;
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      resumeTimer ??= setTimeout(() => {
        resumeTimer = undefined;
        pump();
      }, wait);
      return;
    }
    const batch = queue.slice(head, head + batchSize);
    head += batch.length;
    sending = true;
    send(batch)
      .then(() => {
        backoffMs = 0;
        if (head > 100_000) {
          queue = queue.slice(head);
          head = 0;
        }
      })
      .catch((err: Error) => {
        // The batch goes back in front: once Centrifugo is back, clients get the ticks in order.
        head -= batch.length;
        backoffMs = Math.min(backoffMs === 0 ? 100 : backoffMs * 2, 5000);
        pausedUntil = Date.now() + backoffMs;
        warn({ err: err.message, retryInMs: backoffMs }, 'centrifugo publish failed; retrying');
        if (closed) head = queue.length;
      })
      .finally(() => {
        sending = false;
        if (queued() > 0) pump();
        else idle?.();
      });
  }

  function trim(): void {
    if (queued() > maxQueued) {
      stats.dropped += queued() - maxQueued;
      queue.length = head + maxQueued;
      warn({}, 'live queue full; dropping the newest live ticks (stored ticks are unaffected)');
    }
  }

  return {
    publish(ticks: readonly Tick[]) {
      if (closed) return;
      for (const t of ticks) queue.push({ publish: { channel: t.exchange, data: toPublication(t) } });
      trim();
      pump();
    },
    async close() {
      closed = true;
      if (queued() === 0 && !sending) return;
      // Give queued ticks a moment to go out, but never hold up shutdown for the live path.
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, 2000).unref())]);
      clearTimeout(resumeTimer);
    },
    stats: () => ({ ...stats }),
  };
}
