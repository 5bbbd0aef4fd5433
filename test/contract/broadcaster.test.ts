// One contract for every Broadcaster: what a live client receives from Centrifugo's API and from SSE is the same.
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createCentrifugoBroadcaster } from '../../src/adapters/centrifugo.js';
import { createSseHub } from '../../src/adapters/sse.js';
import type { Broadcaster } from '../../src/ports.js';
import type { Tick } from '../../src/tick.js';
import { startCentrifugoApiRecorder } from '../harness/centrifugo-api.js';
import { waitFor } from '../harness/servers.js';

const log = pino({ level: 'silent' });
const tick = (i: number, exchange = i % 2 ? 'NYSE' : 'NASDAQ'): Tick => ({ symbol: i % 2 ? 'TSLA' : 'AAPL', exchange, price: `${100 + i}.25`, timeUs: 1795255200000000 + i * 1000 });
const publication = (t: Tick): { channel: string; data: unknown } => ({
  channel: t.exchange,
  data: { stock: t.symbol, exchange: t.exchange, price: Number(t.price), timestamp: t.timeUs / 1e6 },
});

interface Live {
  broadcaster: Broadcaster;
  /** What live clients have received so far, as (channel, publication) pairs. */
  received(): { channel: string; data: unknown }[];
  /** Makes the live side unreachable. */
  breakIt(): Promise<void>;
  cleanup(): Promise<void>;
}

async function centrifugo(): Promise<Live> {
  const api = await startCentrifugoApiRecorder({ apiKey: 'k', channels: ['NYSE', 'NASDAQ'] });
  const broadcaster = createCentrifugoBroadcaster({ apiUrl: api.url, apiKey: 'k', batchSize: 7 }, log);
  return { broadcaster, received: () => api.publications, breakIt: () => api.stop(), cleanup: () => api.stop() };
}

async function sse(): Promise<Live> {
  const hub = createSseHub({ log });
  const server: Server = createServer((req, res) => hub.serve(req, res, {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got: { channel: string; data: unknown }[] = [];
  let response: IncomingMessage | undefined;
  await new Promise<void>((resolve) => {
    get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
      response = res;
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        const frames = buf.split('\n\n');
        buf = frames.pop()!;
        for (const f of frames) {
          const data = f.split('\n').find((l) => l.startsWith('data: '));
          if (data) {
            const parsed = JSON.parse(data.slice(6)) as { exchange: string };
            got.push({ channel: parsed.exchange, data: parsed });
          }
        }
      });
      resolve();
    });
  });
  await waitFor('SSE client attached', () => hub.clients() === 1 || undefined);
  return {
    broadcaster: hub,
    received: () => got,
    async breakIt() {
      response?.destroy();
      await waitFor('SSE client gone', () => hub.clients() === 0 || undefined);
    },
    async cleanup() {
      response?.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.each([
  ['Centrifugo HTTP API', centrifugo],
  ['built-in SSE', sse],
])('Broadcaster contract: %s', (_name, make) => {
  let live: Live | undefined;
  afterEach(async () => {
    await live?.broadcaster.close();
    await live?.cleanup();
  });

  it('delivers every tick as the publication JSON on its exchange channel, in order', async () => {
    live = await make();
    const ticks = Array.from({ length: 100 }, (_, i) => tick(i));
    for (let i = 0; i < ticks.length; i += 10) live.broadcaster.publish(ticks.slice(i, i + 10));
    await waitFor('100 publications', () => live!.received().length >= 100 || undefined);
    expect(live.received()).toEqual(ticks.map(publication));
  });

  it('never throws or blocks when the live side is gone, and closes promptly', async () => {
    live = await make();
    await live.breakIt();
    const started = Date.now();
    expect(() => live!.broadcaster.publish([tick(1), tick(2)])).not.toThrow();
    await live.broadcaster.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('Centrifugo broadcaster specifics', () => {
  it('counts publications Centrifugo refuses in its reply body (HTTP 200 with error)', async () => {
    const api = await startCentrifugoApiRecorder({ apiKey: 'k', channels: ['NYSE'] });
    const b = createCentrifugoBroadcaster({ apiUrl: api.url, apiKey: 'k' }, log);
    b.publish([tick(1, 'NYSE'), tick(2, 'LSE'), tick(3, 'NYSE')]);
    await waitFor('a reply', () => b.stats().published + b.stats().failed === 3 || undefined);
    expect(b.stats()).toEqual({ published: 2, failed: 1, dropped: 0 });
    await b.close();
    await api.stop();
  });

  it('keeps a bounded backlog while Centrifugo is away and delivers it in order when it is back', async () => {
    const api = await startCentrifugoApiRecorder({ apiKey: 'k', channels: ['NYSE', 'NASDAQ'] });
    await api.stop();
    const b = createCentrifugoBroadcaster({ apiUrl: api.url, apiKey: 'k', maxQueued: 50, batchSize: 20 }, log);
    const ticks = Array.from({ length: 80 }, (_, i) => tick(i));
    b.publish(ticks);
    expect(b.stats().dropped).toBe(30);
    await new Promise((r) => setTimeout(r, 300));
    await api.start();
    await waitFor('the backlog', () => api.publications.length >= 50 || undefined, 15_000);
    expect(api.publications).toEqual(ticks.slice(0, 50).map(publication));
    await b.close();
    await api.stop();
  });
});
