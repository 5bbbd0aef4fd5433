// GET /api/config: what the web client needs to know at start-up, namely where live ticks come from.
import type { FastifyInstance } from 'fastify';
import { noQuery } from '../params.js';

export type LiveConfig = { transport: 'sse'; url: string } | { transport: 'centrifugo'; url: string; channels: string[] };

const schema = {
  summary: 'Client configuration',
  description: 'live is null when ticks are stored but not broadcast.',
  tags: ['config'],
  querystring: noQuery,
  response: {
    200: {
      type: 'object',
      properties: {
        live: {
          type: 'object',
          nullable: true,
          properties: {
            transport: { type: 'string', enum: ['sse', 'centrifugo'] },
            url: { type: 'string' },
            channels: { type: 'array', items: { type: 'string' } },
          },
          required: ['transport', 'url'],
        },
      },
      required: ['live'],
    },
  },
} as const;

export async function configRoutes(app: FastifyInstance, opts: { live: LiveConfig | null }): Promise<void> {
  app.get('/api/config', { schema }, async () => ({ live: opts.live }));
}
