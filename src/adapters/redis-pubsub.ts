// TickSource and TickSink on Redis pub/sub: one channel per exchange; ioredis reconnects and resubscribes.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TickSink, TickSource, WireMessage } from '../ports.js';

function connect(url: string, log: Logger, role: string): Redis {
  const client = new Redis(url, {
    // Commands wait through an outage instead of failing after a few retries.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 3000),
    lazyConnect: true,
  });
  let wasReady = false;
  client.on('ready', () => {
    if (wasReady) log.info({ role }, 'redis reconnected');
    wasReady = true;
  });
  client.on('error', (err: Error) => log.warn({ role, err: err.message }, 'redis connection error; retrying'));
  return client;
}

export function createRedisSource(url: string, channels: readonly string[], log: Logger): TickSource {
  const client = connect(url, log, 'subscriber');
  return {
    async start(onMessage) {
      client.on('message', onMessage);
      await client.connect();
      // ioredis re-issues SUBSCRIBE for these channels after every reconnect.
      await client.subscribe(...channels);
    },
    async close() {
      // QUIT is answered after every message Redis already sent us, so the handler stays attached until then:
      // nothing delivered before shutdown is dropped on the floor.
      await client.quit().catch(() => client.disconnect());
      client.removeAllListeners('message');
    },
  };
}

export function createRedisSink(url: string, log: Logger): TickSink {
  const client = connect(url, log, 'publisher');
  let connected: Promise<void> | undefined;
  return {
    async publish(messages: readonly WireMessage[]) {
      connected ??= client.connect();
      await connected;
      const pipeline = client.pipeline();
      for (const m of messages) pipeline.publish(m.channel, m.payload);
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
