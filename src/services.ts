// The only place that chooses adapters: each service gets real servers where configured, embedded ones otherwise.
import type { Logger } from 'pino';
import { buildApp } from './api/app.js';
import type { Config, Service } from './config.js';
import { createCentrifugoBroadcaster } from './adapters/centrifugo.js';
import { createMemoryBus, type MemoryBus } from './adapters/memory.js';
import { createPgliteStore } from './adapters/pglite.js';
import { createPostgresStore } from './adapters/postgres.js';
import { createRedisSink, createRedisSource } from './adapters/redis-pubsub.js';
import { createSseHub, type SseHub } from './adapters/sse.js';
import { createGenerator } from './generator/generator.js';
import type { Broadcaster, TickSink, TickSource, TickStore } from './ports.js';
import { createSubscriber } from './subscriber/subscriber.js';

export interface Running {
  /** Resolves when the service ends by itself (a generator with GENERATOR_COUNT); otherwise never. */
  done: Promise<void>;
  /** Stops intake first, then flushes, then closes clients in reverse order. */
  stop(): Promise<void>;
}

const forever = new Promise<void>(() => {});

function store(config: Config, log: Logger, maxConnections: number): TickStore {
  if (config.databaseUrl) return createPostgresStore(config.databaseUrl, { insertMethod: config.insertMethod, maxConnections });
  log.info({ dataDir: config.dataDir }, 'no DATABASE_URL: using embedded PGlite');
  return createPgliteStore(config.dataDir);
}

function sink(config: Config, log: Logger, bus: MemoryBus): TickSink {
  return config.redisUrl ? createRedisSink(config.redisUrl, log) : bus.sink();
}

function source(config: Config, log: Logger, bus: MemoryBus): TickSource {
  return config.redisUrl ? createRedisSource(config.redisUrl, config.channels, log) : bus.source(config.channels);
}

function broadcaster(config: Config, log: Logger, sse: SseHub | undefined): Broadcaster {
  if (config.centrifugoApiUrl) return createCentrifugoBroadcaster({ apiUrl: config.centrifugoApiUrl, apiKey: config.centrifugoApiKey! }, log);
  if (sse) return sse;
  log.warn('no CENTRIFUGO_API_URL: ticks are stored but not broadcast live');
  return { publish() {}, async close() {} };
}

export async function startServices(service: Service, config: Config, log: Logger): Promise<Running> {
  const bus = createMemoryBus();
  const closers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };

  try {
    let ticks: TickStore | undefined;
    if (service !== 'generator') {
      ticks = store(config, log, service === 'api' ? 10 : 4);
      closers.push(() => ticks!.close());
      await ticks.migrate();
    }

    const sse = service === 'all' && !config.centrifugoApiUrl ? createSseHub({ log }) : undefined;
    if (service === 'api' || service === 'all') {
      const live = config.centrifugoPublicUrl ? { transport: 'centrifugo' as const, url: config.centrifugoPublicUrl, channels: config.channels } : undefined;
      const app = buildApp({ store: ticks!, log, corsOrigins: config.corsOrigins, sse, live, trustProxy: config.trustProxy, webDir: config.webDir ?? (service === 'all' ? 'web/dist' : undefined) });
      await app.listen({ host: config.host, port: config.port });
      closers.push(() => app.close());
    }

    if (service === 'subscriber' || service === 'all') {
      const subscriber = createSubscriber({
        source: source(config, log, bus),
        store: ticks!,
        broadcaster: broadcaster(config, log, sse),
        log,
        options: config,
      });
      await subscriber.start();
      closers.push(() => subscriber.stop());
    }

    let done = forever;
    if (service === 'generator' || service === 'all') {
      const out = sink(config, log, bus);
      const generator = createGenerator({ sink: out, config: config.generator, log });
      closers.push(async () => {
        await generator.stop();
        await out.close();
      });
      if (service === 'generator') done = generator.done;
    }
    return { done, stop: stopAll };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
