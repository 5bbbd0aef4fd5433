// GET /api/symbols: every stored symbol with the exchange of its latest tick.
import type { FastifyInstance } from 'fastify';
import type { TickStore } from '../../ports.js';
import { noQuery } from '../params.js';
import { problemResponse } from '../problem.js';

const schema = {
  summary: 'Stored symbols',
  tags: ['prices'],
  querystring: noQuery,
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        properties: { symbol: { type: 'string' }, exchange: { type: 'string' } },
        required: ['symbol', 'exchange'],
      },
    },
    503: problemResponse,
  },
} as const;

export async function symbolRoutes(app: FastifyInstance, opts: { store: TickStore }): Promise<void> {
  app.get('/api/symbols', { schema }, async () => opts.store.symbols());
}
