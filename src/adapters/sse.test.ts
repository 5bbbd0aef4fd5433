import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/harness/servers.js';
import type { Tick } from '../tick.js';
import { createSseHub, type SseHub } from './sse.js';

const tick = (i: number): Tick => ({ symbol: 'TSLA', exchange: 'NYSE', price: `${i}.5`, timeUs: 1795255200000000 + i });
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
});

async function serve(hub: SseHub): Promise<(headers?: Record<string, string>) => Promise<IncomingMessage>> {
  const server = createServer((req, res) => hub.serve(req, res, {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup = async () => {
    await hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  const port = (server.address() as AddressInfo).port;
  return (headers = {}) => new Promise((resolve) => get({ port, host: '127.0.0.1', headers }, resolve));
}

const countEvents = (res: IncomingMessage): { n: number; ended: boolean } => {
  const state = { n: 0, ended: false };
  res.on('data', (d: Buffer) => (state.n += (d.toString().match(/^data: /gm) ?? []).length));
  res.on('close', () => (state.ended = true));
  return state;
};

describe('SSE hub', () => {
  it('cuts off a client that stops reading, and keeps serving the others in full', async () => {
    const hub = createSseHub({ log: pino({ level: 'silent' }), maxClientBacklog: 64 * 1024 });
    const connect = await serve(hub);
    const fast = countEvents(await connect());
    const slow = await connect();
    slow.pause();
    await waitFor('two clients', () => hub.clients() === 2 || undefined);
    for (let i = 0; i < 50_000; i += 500) {
      hub.publish(Array.from({ length: 500 }, (_, k) => tick(i + k)));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('the slow client to be cut off', () => hub.clients() === 1 || undefined);
    await waitFor('every event at the fast client', () => fast.n === 50_000 || undefined);
    expect(fast.ended).toBe(false);
  });

  it('replays what a client missed after Last-Event-ID, within the history bound', async () => {
    const hub = createSseHub({ log: pino({ level: 'silent' }), historySize: 100 });
    const connect = await serve(hub);
    hub.publish(Array.from({ length: 300 }, (_, i) => tick(i)));
    const resumed = countEvents(await connect({ 'last-event-id': '250' }));
    const tooOld = countEvents(await connect({ 'last-event-id': '1' }));
    await waitFor('replay', () => resumed.n === 50 || undefined);
    // Older than the history keeps: what is still held is replayed (at most 125 events), never more.
    await waitFor('partial replay', () => tooOld.n > 0 || undefined);
    expect(tooOld.n).toBeLessThanOrEqual(125);
    expect(tooOld.n).toBeGreaterThanOrEqual(100);
  });
});
