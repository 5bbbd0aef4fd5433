// Broadcaster on Centrifugo's HTTP API: ticks queue in memory and go out in /api/batch calls, a few in flight.
import type { Logger } from 'pino';
import type { Broadcaster } from '../ports.js';
import { toPublication, type Tick } from '../tick.js';

export interface CentrifugoOptions {
  apiUrl: string;
  apiKey: string;
  /** Publications per /api/batch call. */
  batchSize?: number;
  concurrency?: number;
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
  const concurrency = opts.concurrency ?? 4;
  const maxQueued = opts.maxQueued ?? 200_000;
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const stats: BroadcastStats = { published: 0, failed: 0, dropped: 0 };
  let queue: Command[] = [];
  let inFlight = 0;
  let backoffMs = 0;
  let pausedUntil = 0;
  let resumeTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let idle: (() => void) | undefined;
  let lastWarn = 0;

  const warn = (fields: object, msg: string): void => {
    // One warning a second at most: an outage must not flood the logs.
    const now = Date.now();
    if (now - lastWarn >= 1000) {
      lastWarn = now;
      log.warn({ ...fields, ...stats, queued: queue.length }, msg);
    }
  };

  async function send(batch: Command[]): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': opts.apiKey },
      body: JSON.stringify({ commands: batch, parallel: true }),
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
    while (!closed || queue.length > 0) {
      if (inFlight >= concurrency || queue.length === 0) break;
      const now = Date.now();
      if (now < pausedUntil) {
        resumeTimer ??= setTimeout(() => {
          resumeTimer = undefined;
          pump();
        }, pausedUntil - now);
        break;
      }
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batch.length);
      inFlight++;
      send(batch)
        .then(() => {
          backoffMs = 0;
        })
        .catch((err: Error) => {
          // Put the batch back in front: once Centrifugo is back, clients get the ticks in order.
          queue = batch.concat(queue);
          trim();
          backoffMs = Math.min(backoffMs === 0 ? 100 : backoffMs * 2, 5000);
          pausedUntil = Date.now() + backoffMs;
          warn({ err: err.message, retryInMs: backoffMs }, 'centrifugo publish failed; retrying');
        })
        .finally(() => {
          inFlight--;
          if (closed && pausedUntil > Date.now()) queue = [];
          if (queue.length > 0) pump();
          else if (inFlight === 0) idle?.();
        });
    }
  }

  function trim(): void {
    if (queue.length > maxQueued) {
      stats.dropped += queue.length - maxQueued;
      queue.length = maxQueued;
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
      if (queue.length === 0 && inFlight === 0) return;
      // Give queued ticks a moment to go out, but never hold up shutdown for the live path.
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, 2000).unref())]);
      clearTimeout(resumeTimer);
    },
    stats: () => ({ ...stats }),
  };
}
