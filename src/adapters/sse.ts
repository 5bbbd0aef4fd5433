// Broadcaster over Server-Sent Events: the embedded stand-in for Centrifugo, with bounded replay and slow-client cut-off.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Broadcaster } from '../ports.js';
import { toPublication, type Tick } from '../tick.js';

export interface SseFilter {
  exchanges?: string[];
  symbols?: string[];
}

export interface SseHub extends Broadcaster {
  /** Takes over a raw HTTP exchange and streams ticks to it until the client goes away. */
  serve(req: IncomingMessage, res: ServerResponse, filter: SseFilter): void;
  clients(): number;
}

export interface SseOptions {
  log: Logger;
  /** Events kept for Last-Event-ID resume. */
  historySize?: number;
  heartbeatMs?: number;
  /** Bytes queued for one client before it is cut off as too slow. */
  maxClientBacklog?: number;
}

interface Client {
  res: ServerResponse;
  exchanges?: Set<string>;
  symbols?: Set<string>;
}

interface Event {
  id: number;
  exchange: string;
  symbol: string;
  frame: string;
}

export function createSseHub(opts: SseOptions): SseHub {
  const historySize = opts.historySize ?? 10_000;
  const maxBacklog = opts.maxClientBacklog ?? 1 << 20;
  const clients = new Set<Client>();
  const history: Event[] = [];
  let nextId = 1;
  let cutOff = 0;

  const wants = (c: Client, e: Event): boolean =>
    (!c.exchanges || c.exchanges.has(e.exchange)) && (!c.symbols || c.symbols.has(e.symbol));

  function send(c: Client, frame: string): void {
    c.res.write(frame);
    // A client that cannot keep up is disconnected; it can resume with Last-Event-ID.
    if (c.res.writableLength > maxBacklog) {
      cutOff++;
      opts.log.warn({ backlog: c.res.writableLength, cutOff }, 'SSE client too slow; disconnecting it');
      clients.delete(c);
      c.res.destroy();
    }
  }

  const heartbeat = setInterval(() => {
    for (const c of clients) send(c, ': heartbeat\n\n');
  }, opts.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    publish(ticks: readonly Tick[]) {
      for (const t of ticks) {
        const id = nextId++;
        const e: Event = { id, exchange: t.exchange, symbol: t.symbol, frame: `id: ${id}\ndata: ${JSON.stringify(toPublication(t))}\n\n` };
        history.push(e);
        if (history.length > historySize * 1.25) history.splice(0, history.length - historySize);
        for (const c of clients) if (wants(c, e)) send(c, e.frame);
      }
    },
    serve(req, res, filter) {
      const client: Client = {
        res,
        exchanges: filter.exchanges?.length ? new Set(filter.exchanges) : undefined,
        symbols: filter.symbols?.length ? new Set(filter.symbols) : undefined,
      };
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx must not buffer a stream.
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const lastId = Number(req.headers['last-event-id']);
      if (Number.isInteger(lastId) && lastId > 0) {
        for (const e of history) if (e.id > lastId && wants(client, e)) res.write(e.frame);
      }
      clients.add(client);
      const remove = (): void => {
        clients.delete(client);
      };
      req.on('close', remove);
      res.on('error', remove);
    },
    clients: () => clients.size,
    async close() {
      clearInterval(heartbeat);
      for (const c of clients) c.res.end();
      clients.clear();
    },
  };
}
