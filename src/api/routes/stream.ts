// GET /api/stream: live ticks as Server-Sent Events, handed over to the SSE hub; only when the API embeds one.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { SseHub } from '../../adapters/sse.js';
import { parseList } from '../params.js';
import { problemResponse } from '../problem.js';

interface StreamRequest {
  Querystring: { exchange?: string; symbol?: string };
}

const schema = {
  summary: 'Live ticks (Server-Sent Events)',
  description:
    'Each event is `id: N` and `data: {"stock","exchange","price","timestamp"}` (timestamp in epoch seconds). ' +
    'Send Last-Event-ID to resume after a reconnect. Filters are comma-separated; omit one to receive everything.',
  tags: ['live'],
  querystring: {
    type: 'object',
    properties: {
      exchange: { type: 'string', description: 'only these exchanges, e.g. NYSE,NASDAQ' },
      symbol: { type: 'string', description: 'only these symbols, e.g. TSLA,AAPL' },
    },
    additionalProperties: false,
  },
  response: {
    200: { description: 'one event per tick', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    400: problemResponse,
  },
} as const;

export async function streamRoutes(app: FastifyInstance, opts: { sse: SseHub }): Promise<void> {
  const open = new Set<ServerResponse>();

  // An event stream never ends by itself, so the server could not close while one is open.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<StreamRequest>('/api/stream', { schema, exposeHeadRoute: false }, (request, reply) => {
    const exchanges = parseList('exchange', request.query.exchange);
    const symbols = parseList('symbol', request.query.symbol);
    const res = reply.raw;
    // Headers set by hooks (CORS) live on the reply, which is bypassed from here on.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    reply.hijack();
    open.add(res);
    res.once('close', () => open.delete(res));
    opts.sse.serve(request.raw, res, { exchanges, symbols });
  });
}
