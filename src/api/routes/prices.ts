// GET /api/prices/:stock_name: a symbol's stored prices in time order, streamed as one JSON array.
import type { FastifyInstance } from 'fastify';
import type { TickStore } from '../../ports.js';
import { jsonArrayStream } from '../json-array.js';
import { limitParam, parseStockName, parseTimeRange, stockNameParam, timeParam } from '../params.js';
import { problemResponse } from '../problem.js';

interface PricesRequest {
  Params: { stock_name: string };
  Querystring: { start_time?: string; end_time?: string; limit?: number };
}

const schema = {
  summary: 'Stored prices of one symbol, earliest first',
  description:
    'Streams every stored price in the range as a JSON array. Prices are JSON numbers with the exact decimal digits stored; timestamps are UTC with microseconds.',
  tags: ['prices'],
  params: { type: 'object', properties: { stock_name: stockNameParam }, required: ['stock_name'] },
  querystring: {
    type: 'object',
    properties: { start_time: timeParam('Earliest time'), end_time: timeParam('Latest time'), limit: limitParam },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          timestamp: { type: 'string', format: 'date-time', example: '2024-03-01T14:30:00.123456Z' },
          price: { type: 'number', example: 723.02 },
        },
      },
    },
    400: problemResponse,
    503: problemResponse,
  },
} as const;

export async function priceRoutes(app: FastifyInstance, opts: { store: TickStore }): Promise<void> {
  app.get<PricesRequest>('/api/prices/:stock_name', { schema }, async (request, reply) => {
    const symbol = parseStockName(request.params.stock_name);
    const { fromUs, toUs } = parseTimeRange(request.query);
    const chunks = opts.store.prices({ symbol, fromUs, toUs, limit: request.query.limit })[Symbol.asyncIterator]();
    // The first chunk is awaited before any header goes out, so an unreachable database is still a clean 503.
    const first = await chunks.next();
    if (first.done) return reply.type('application/json; charset=utf-8').send('[]');
    // Fastify destroys the body when the client leaves and logs and cuts the response if the database fails mid-stream.
    return reply.type('application/json; charset=utf-8').send(jsonArrayStream(first.value, chunks));
  });
}
