// The subscriber: bus messages → parsed ticks → batched writes to the store, and live fan-out beside it.
import type { Logger } from 'pino';
import { logMetric } from '../log.js';
import type { Broadcaster, TickSource, TickStore } from '../ports.js';
import { DEFAULT_LIMITS, parseTick, type RejectReason, type Tick } from '../tick.js';
import { createBatcher, type BatcherStats, type Clock } from './batcher.js';

export interface SubscriberOptions {
  flushIntervalMs: number;
  flushMaxRows: number;
  maxBufferedRows: number;
  shutdownTimeoutMs: number;
}

export interface SubscriberDeps {
  source: TickSource;
  store: TickStore;
  broadcaster: Broadcaster;
  log: Logger;
  options: SubscriberOptions;
  clock?: Clock;
  /** Receive time in epoch microseconds, for ticks that carry none. */
  nowUs?: () => number;
}

export interface SubscriberStats extends BatcherStats {
  received: number;
  rejected: Partial<Record<RejectReason, number>>;
}

export interface Subscriber {
  start(): Promise<void>;
  /** Stops intake, stores everything buffered, closes the live path. Safe to call twice. */
  stop(): Promise<void>;
  stats(): SubscriberStats;
}

const SAMPLE_EVERY_MS = 10_000;
const systemNowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

export function createSubscriber(deps: SubscriberDeps): Subscriber {
  const { source, store, broadcaster, log, options } = deps;
  const nowUs = deps.nowUs ?? systemNowUs;
  let received = 0;
  const rejected: Partial<Record<RejectReason, number>> = {};
  const lastSample: Partial<Record<RejectReason, number>> = {};
  let rejectedSinceFlush = 0;
  let droppedSinceLog = 0;
  let lastDropLog = 0;

  const batcher = createBatcher({
    write: (ticks) => store.insert(ticks),
    intervalMs: options.flushIntervalMs,
    maxRows: options.flushMaxRows,
    maxBuffered: options.maxBufferedRows,
    clock: deps.clock,
    onFlush({ rows, durationMs }) {
      logMetric(log, 'flush', 'insert_latency', Math.round(durationMs * 1000) / 1000, 'ms');
      logMetric(log, 'flush', 'rows_written', rows, 'rows');
      if (rejectedSinceFlush > 0) {
        logMetric(log, 'parse', 'ticks_rejected', rejectedSinceFlush, 'ticks');
        rejectedSinceFlush = 0;
      }
    },
    onFlushError(err, attempt, rows, retryInMs) {
      log.error({ err: err instanceof Error ? err.message : String(err), attempt, rows, retryInMs }, 'flush failed; keeping the batch and retrying');
      logMetric(log, 'flush_error', 'flush_failed', 1, 'flushes');
    },
    onDrop(count) {
      droppedSinceLog += count;
      const now = Date.now();
      if (now - lastDropLog >= 1000) {
        log.error({ dropped: droppedSinceLog, maxBufferedRows: options.maxBufferedRows }, 'buffer full: dropping ticks until the database catches up');
        logMetric(log, 'buffer_full', 'ticks_dropped', droppedSinceLog, 'ticks');
        droppedSinceLog = 0;
        lastDropLog = now;
      }
    },
  });

  function onMessage(channel: string, payload: string): void {
    received++;
    const result = parseTick(channel, payload, nowUs(), DEFAULT_LIMITS);
    if (!result.ok) {
      rejected[result.reason] = (rejected[result.reason] ?? 0) + 1;
      rejectedSinceFlush++;
      const now = Date.now();
      if (now - (lastSample[result.reason] ?? -Infinity) >= SAMPLE_EVERY_MS) {
        lastSample[result.reason] = now;
        log.warn({ reason: result.reason, detail: result.detail, channel, sample: payload.slice(0, 200), count: rejected[result.reason] }, 'rejected message');
      }
      return;
    }
    const tick: Tick = result.tick;
    if (batcher.add(tick)) broadcaster.publish([tick]);
  }

  let stopping: Promise<void> | undefined;
  return {
    async start() {
      await source.start(onMessage);
      // Named fields only: callers may pass the whole config, whose URLs and API key must not reach the logs.
      const { flushIntervalMs, flushMaxRows, maxBufferedRows, shutdownTimeoutMs } = options;
      log.info({ flushIntervalMs, flushMaxRows, maxBufferedRows, shutdownTimeoutMs }, 'subscriber started');
    },
    stop() {
      stopping ??= (async () => {
        await source.close();
        try {
          await batcher.drain(options.shutdownTimeoutMs);
        } finally {
          if (droppedSinceLog > 0) logMetric(log, 'buffer_full', 'ticks_dropped', droppedSinceLog, 'ticks');
          log.info({ ...batcher.stats(), received, rejected }, 'subscriber stopped');
          await broadcaster.close();
        }
      })();
      return stopping;
    },
    stats: () => ({ ...batcher.stats(), received, rejected: { ...rejected } }),
  };
}
