// GET /api/average/:stock_name: the mean stored price of a symbol over a range, computed exactly by SQL.
import type { FastifyInstance } from 'fastify';
import type { TickStore } from '../../ports.js';
import { formatTimeUs } from '../../tick.js';
import { jsonNumber } from '../json-array.js';
import { parseStockName, parseTimeRange, stockNameParam, timeParam } from '../params.js';
import { problemResponse } from '../problem.js';

interface AverageRequest {
  Params: { stock_name: string };
  Querystring: { start_time?: string; end_time?: string };
}

const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;

const schema = {
  summary: 'Average stored price of one symbol',
  description: 'average_price is null when no price is stored in the range; start_time and end_time echo the bounds used (null when open).',
  tags: ['prices'],
  params: { type: 'object', properties: { stock_name: stockNameParam }, required: ['stock_name'] },
  querystring: {
    type: 'object',
    properties: { start_time: timeParam('Earliest time'), end_time: timeParam('Latest time') },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        stock_name: { type: 'string' },
        average_price: { type: 'number', nullable: true },
        count: { type: 'integer' },
        start_time: nullableTime,
        end_time: nullableTime,
      },
    },
    400: problemResponse,
    503: problemResponse,
  },
} as const;

export async function averageRoutes(app: FastifyInstance, opts: { store: TickStore }): Promise<void> {
  app.get<AverageRequest>('/api/average/:stock_name', { schema }, async (request, reply) => {
    const symbol = parseStockName(request.params.stock_name);
    const { fromUs, toUs } = parseTimeRange(request.query);
    const { average, count } = await opts.store.average({ symbol, fromUs, toUs });
    const time = (us: number | undefined): string => (us === undefined ? 'null' : JSON.stringify(formatTimeUs(us)));
    // Written by hand: the NUMERIC average keeps all its digits as a number literal, which JSON.stringify cannot do.
    const body =
      `{"stock_name":${JSON.stringify(symbol)},"average_price":${average === null ? 'null' : jsonNumber(average)},` +
      `"count":${count},"start_time":${time(fromUs)},"end_time":${time(toUs)}}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });
}
