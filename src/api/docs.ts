// The OpenAPI document generated from the route schemas (/api/openapi.json) and Swagger UI over it (/api/docs).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Call before registering any route: @fastify/swagger only sees routes added after it loads. */
export function registerDocs(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tickwatch API',
        version: '1',
        description: 'Stored stock prices and live ticks. Every error is application/problem+json with a stable `code`.',
      },
    },
  });
  app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
