// GET /api/health (the process answers) and GET /api/ready (the database answers too), for probes and load balancers.
import type { FastifyInstance } from 'fastify';
import type { TickStore } from '../../ports.js';
import { noQuery } from '../params.js';
import { problemResponse, sendDatabaseUnavailable, withTimeout } from '../problem.js';

/** A probe that waits longer than its own timeout learns nothing; most default to a few seconds. */
const READY_TIMEOUT_MS = 2000;

const status = (value: string) =>
  ({ type: 'object', properties: { status: { type: 'string', enum: [value] } }, required: ['status'] }) as const;

export async function healthRoutes(app: FastifyInstance, opts: { store: TickStore }): Promise<void> {
  app.get(
    '/api/health',
    { schema: { summary: 'Liveness: the API process is up (the database is not checked)', tags: ['health'], querystring: noQuery, response: { 200: status('ok') } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/api/ready',
    {
      schema: {
        summary: `Readiness: the database answered within ${READY_TIMEOUT_MS} ms`,
        tags: ['health'],
        querystring: noQuery,
        response: { 200: status('ready'), 503: problemResponse },
      },
    },
    async (request, reply) => {
      try {
        await withTimeout(opts.store.ping(), READY_TIMEOUT_MS);
      } catch (err) {
        // Whatever the cause, a failed ping means "do not route traffic here yet".
        request.log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, 'not ready');
        return sendDatabaseUnavailable(reply);
      }
      return { status: 'ready' };
    },
  );
}
