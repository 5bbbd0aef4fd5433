// The HTTP API as a Fastify instance: plugins, error rendering and every route, wired explicitly; it never listens.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SseHub } from '../adapters/sse.js';
import type { TickStore } from '../ports.js';
import { registerDocs } from './docs.js';
import { formatSchemaError, rejectUnknownQuery } from './params.js';
import { codeOf, installProblemHandlers, sendProblem } from './problem.js';
import { averageRoutes } from './routes/average.js';
import { configRoutes, type LiveConfig } from './routes/config.js';
import { healthRoutes } from './routes/health.js';
import { priceRoutes } from './routes/prices.js';
import { streamRoutes } from './routes/stream.js';
import { symbolRoutes } from './routes/symbols.js';

export interface ApiDeps {
  store: TickStore;
  log: Logger;
  /** Browser origins allowed to call the API cross-origin; empty means no CORS headers at all. */
  corsOrigins: string[];
  /** The embedded live broadcaster; when set, /api/stream serves it and /api/config points clients at it. */
  sse?: SseHub;
  /** The built web client, served at / when the directory exists. */
  webDir?: string;
  /** Where clients subscribe when Centrifugo carries live ticks. */
  live?: { transport: 'centrifugo'; url: string; channels: string[] };
  /** Behind nginx: take the client address from X-Forwarded-For so request logs name the real client. */
  trustProxy?: boolean;
}

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    // Widened to Fastify's logger type so the instance is the plain FastifyInstance callers expect.
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.trustProxy ?? false,
    // Unknown query parameters must be reported, not silently stripped (Fastify's default).
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: formatSchemaError,
    // Malformed URLs and the like are errors of the request too: render them as problems.
    frameworkErrors: (err, _request, reply) => {
      sendProblem(reply, err.statusCode ?? 400, codeOf(err, 'bad_request'), err.message);
    },
  });

  installProblemHandlers(app);
  app.addHook('preValidation', rejectUnknownQuery);

  if (deps.corsOrigins.length > 0) app.register(cors, { origin: deps.corsOrigins, methods: ['GET', 'HEAD'] });
  registerDocs(app);

  app.register(healthRoutes, { store: deps.store });
  app.register(priceRoutes, { store: deps.store });
  app.register(averageRoutes, { store: deps.store });
  app.register(symbolRoutes, { store: deps.store });
  const live: LiveConfig | null = deps.sse ? { transport: 'sse', url: '/api/stream' } : (deps.live ?? null);
  app.register(configRoutes, { live });
  if (deps.sse) app.register(streamRoutes, { sse: deps.sse });

  if (deps.webDir !== undefined) {
    const root = resolve(deps.webDir);
    if (existsSync(root)) {
      // Swagger UI registers @fastify/static too; only one of them may decorate the reply.
      app.register(fastifyStatic, { root, prefix: '/', decorateReply: false });
    } else {
      deps.log.warn({ webDir: root }, 'web client directory not found; serving the API only (run the web build or set WEB_DIR)');
    }
  }
  return app;
}
