// HTTP errors as application/problem+json (RFC 9457): the error type routes throw, and the handlers that render every failure.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** An error whose detail is written for the client: it names what was wrong and how to fix it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: string, detail: string): ApiError => new ApiError(400, code, detail);

/** OpenAPI description of every error body, shared by the route schemas. */
const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'stable machine-readable reason, e.g. bad_time or database_unavailable' },
    detail: { type: 'string', description: 'what was wrong and how to fix it' },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
} as const;

/** A route's error response in its schema: documented in OpenAPI and serialized with this media type. */
export const problemResponse = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: problemSchema } },
} as const;

/** Fastify's own codes (FST_ERR_BAD_URL) become ours (bad_url). */
export const codeOf = (err: { code?: unknown }, fallback: string): string =>
  typeof err.code === 'string' ? err.code.replace(/^FST_ERR_/, '').toLowerCase() : fallback;

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_TYPE)
    .send({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail });
}

class DatabaseTimeout extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
    this.name = 'DatabaseTimeout';
  }
}

/** postgres.js and socket codes that mean "no usable connection", as opposed to a bad query. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'CONNECTION_ENDED', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);
/** SQLSTATEs of a server that is going away or refusing sessions: class 08, shutdown, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
/** The embedded PGlite has no socket: it fails with these messages, or a WebAssembly RuntimeError once it has crashed. */
const PGLITE_DOWN = /^PGlite (is closed|is closing|failed to initialize)/;

/** Whether the error means the database cannot be reached right now, so retrying later may succeed. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  if (err instanceof DatabaseTimeout) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (PGLITE_DOWN.test(err.message) || err.name === 'RuntimeError') return true;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}

/** Rejects when the database takes longer than `ms`; the late promise is left to settle quietly. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeout(ms)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const UNAVAILABLE_DETAIL = 'the database is unreachable right now; retry in a few seconds (the API reconnects by itself)';

export function sendDatabaseUnavailable(reply: FastifyReply): FastifyReply {
  // Clients and proxies may retry on their own instead of surfacing the outage.
  return sendProblem(reply.header('retry-after', '5'), 503, 'database_unavailable', UNAVAILABLE_DETAIL);
}

function errorHandler(err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ApiError) return sendProblem(reply, err.status, err.code, err.detail);
  if (isDatabaseUnavailable(err)) {
    request.log.warn({ err: { message: err.message, code: (err as FastifyError).code } }, 'database unavailable');
    return sendDatabaseUnavailable(reply);
  }
  const status = (err as FastifyError).statusCode;
  // Fastify's own 4xx errors (oversized or malformed requests) carry messages meant for clients.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendProblem(reply, status, codeOf(err as FastifyError, 'bad_request'), err.message);
  }
  request.log.error({ err }, 'unexpected error');
  return sendProblem(reply, 500, 'internal_error', 'an unexpected error occurred; it has been logged');
}

function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (request.url.split('?')[0] ?? '').slice(0, 200);
  return sendProblem(reply, 404, 'not_found', `no route for ${request.method} ${path}; the API is described at /api/openapi.json`);
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
}
