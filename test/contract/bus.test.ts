// One contract for every TickSink/TickSource pair: Redis pub/sub and the in-process bus deliver alike.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/adapters/memory.js';
import { createRedisSink, createRedisSource } from '../../src/adapters/redis-pubsub.js';
import type { TickSink, TickSource, WireMessage } from '../../src/ports.js';
import { startRedis, waitFor, type Server } from '../harness/servers.js';

const log = pino({ level: 'silent' });
let redis: Server;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const pairs: [string, (channels: string[]) => { source: TickSource; sink: TickSink }][] = [
  ['redis pub/sub', (channels) => ({ source: createRedisSource(redis.url, channels, log), sink: createRedisSink(redis.url, log) })],
  ['in-process', (channels) => {
    const bus = createMemoryBus();
    return { source: bus.source(channels), sink: bus.sink() };
  }],
];

describe.each(pairs)('bus contract: %s', (_name, make) => {
  it('delivers every message of the subscribed channels in order, and nothing else', async () => {
    const { source, sink } = make(['NYSE', 'NASDAQ']);
    const got: WireMessage[] = [];
    await source.start((channel, payload) => got.push({ channel, payload }));
    const sent: WireMessage[] = [];
    for (let i = 0; i < 3000; i++) sent.push({ channel: i % 2 ? 'NYSE' : 'NASDAQ', payload: `TSLA:${i + 1}.5` });
    await sink.publish(sent.slice(0, 1000));
    await sink.publish([{ channel: 'LSE', payload: 'VOD:1' }]);
    await sink.publish(sent.slice(1000));
    await waitFor('all messages', () => got.length >= sent.length || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(sent);
    await source.close();
    await sink.close();
  });

  it('stops delivering after close', async () => {
    const { source, sink } = make(['NYSE']);
    const got: string[] = [];
    await source.start((_c, p) => got.push(p));
    await sink.publish([{ channel: 'NYSE', payload: 'A:1' }]);
    await waitFor('first message', () => got.length === 1 || undefined);
    await source.close();
    await sink.publish([{ channel: 'NYSE', payload: 'A:2' }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['A:1']);
    await sink.close();
  });
});
