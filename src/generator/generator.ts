// The generator: random-walk prices published to the exchange channels at a steady rate, in pipelined batches.
import type { Logger } from 'pino';
import type { GeneratorConfig } from '../config.js';
import type { TickSink, WireMessage } from '../ports.js';
import { encodeTick } from '../tick.js';

export interface GeneratorDeps {
  sink: TickSink;
  config: GeneratorConfig;
  log: Logger;
  random?: () => number;
}

export interface Generator {
  /** Resolves when `count` ticks are published, or after stop(). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  sent(): number;
}

const BASE_PRICES: Record<string, number> = { AMZN: 185, AAPL: 190, MSFT: 420, TSLA: 723, NFLX: 610, DIS: 101 };
/** Upper bound on one pipeline, so a generator that fell behind catches up in pieces. */
const MAX_BATCH = 20_000;

export function createGenerator({ sink, config, log, random = Math.random }: GeneratorDeps): Generator {
  const prices = config.symbols.map((s) => BASE_PRICES[s.symbol] ?? 50 + Math.floor(random() * 450));
  const stepMs = Math.max(10, Math.min(1000, Math.floor(1000 / config.ratePerSec)));
  const limit = config.count ?? Infinity;
  let sent = 0;
  let next = 0;
  let running = true;
  let wake: (() => void) | undefined;

  function nextMessage(timeUs: number): WireMessage {
    const i = next++ % config.symbols.length;
    const { symbol, exchange } = config.symbols[i]!;
    // Small multiplicative steps keep prices positive and plausible; two decimals like a real quote.
    const p = Math.max(0.01, prices[i]! * (1 + (random() - 0.5) * 0.002));
    prices[i] = p;
    return { channel: exchange, payload: encodeTick({ symbol, exchange, price: p.toFixed(2), timeUs }, config.format) };
  }

  async function run(): Promise<void> {
    const started = performance.now();
    while (running && sent < limit) {
      const due = Math.min(limit, Math.floor(((performance.now() - started) * config.ratePerSec) / 1000) + 1);
      const n = Math.min(due - sent, MAX_BATCH);
      if (n > 0) {
        const timeUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
        const batch: WireMessage[] = new Array(n);
        for (let k = 0; k < n; k++) batch[k] = nextMessage(timeUs);
        try {
          await sink.publish(batch);
          sent += n;
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'publish failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
        // Behind schedule: catch up, but let I/O and timers run between batches; with the in-process bus a
        // publish is only a microtask away, and looping straight back would starve the rest of the process.
        if (due - sent > 0) {
          await new Promise((r) => setImmediate(r));
          continue;
        }
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, stepMs);
      });
    }
    log.info({ sent }, 'generator finished');
  }

  const done = run();
  return {
    done,
    async stop() {
      running = false;
      wake?.();
      await done;
    },
    sent: () => sent,
  };
}
