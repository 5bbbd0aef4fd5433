// Query and path parameters: their parsing, and client-facing messages that name the parameter and the fix instead of Ajv's wording.
import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { formatTimeUs, isSymbol, parseTimeUs } from '../tick.js';
import { badRequest, type ApiError } from './problem.js';

/** Large enough for any chart, small enough that one request cannot hold a connection for minutes. */
export const MAX_LIMIT = 1_000_000;
/** PostgreSQL rejects year 0, and the time formats cannot express years past 9999. */
const MIN_TIME_US = Date.parse('0001-01-01T00:00:00Z') * 1000;
/** A filter longer than this is a mistake, not a dashboard. */
const MAX_LIST = 100;
const EXCHANGE = /^[A-Za-z0-9_.-]{1,32}$/;

const TIME_FORMATS =
  'ISO 8601 with an offset (2024-03-01T14:30:00.123456Z or 2024-03-01T15:30:00+01:00) or epoch seconds (1709303400.123456)';
const SYMBOL_RULE = "1-16 characters A-Z, 0-9, '.' or '-', starting with an upper-case letter";

/** Per parameter: the problem code, and the fix that every message about it ends with. */
const HINTS: Record<string, { code: string; fix: string }> = {
  start_time: { code: 'bad_time', fix: `use ${TIME_FORMATS}` },
  end_time: { code: 'bad_time', fix: `use ${TIME_FORMATS}` },
  limit: { code: 'bad_limit', fix: `use a whole number from 1 to ${MAX_LIMIT}, or omit limit for the whole range` },
  stock_name: { code: 'bad_stock_name', fix: `use ${SYMBOL_RULE} (e.g. TSLA, BRK.B)` },
  exchange: {
    code: 'bad_exchange',
    fix: `use one comma-separated list of up to ${MAX_LIST} names of 1-32 characters A-Z, a-z, 0-9, '_', '.' or '-' (e.g. NYSE,NASDAQ)`,
  },
  symbol: { code: 'bad_symbol', fix: `use one comma-separated list of up to ${MAX_LIST} symbols of ${SYMBOL_RULE} (e.g. TSLA,AAPL)` },
};

/** Quotes what the client sent, cut short so a huge value is not echoed back. */
const quote = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

function invalid(name: string, problem: string): ApiError {
  const h = HINTS[name];
  return h ? badRequest(h.code, `${name} ${problem}: ${h.fix}`) : badRequest('bad_parameter', `${name} ${problem}`);
}

/** Fastify's schemaErrorFormatter: Ajv reports only its first error, which is enough to name the parameter. */
export function formatSchemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (e?.keyword === 'additionalProperties') return unknownParameters([String(e.params.additionalProperty)], []);
  const name = e?.instancePath.replace(/^\//, '').split('/')[0] || String(e?.params.missingProperty ?? dataVar);
  // Only a repeated parameter arrives as an array where a string is expected.
  const repeated = e?.keyword === 'type' && e.params.type === 'string';
  return invalid(name, repeated ? 'was given more than once; give it once' : 'is not valid');
}

function unknownParameters(names: string[], allowed: string[]): ApiError {
  const list = names.map((n) => quote(n)).join(', ');
  const fix = allowed.length ? `this route accepts only ${allowed.join(', ')}` : 'this route takes no query parameters';
  return badRequest('unknown_parameter', `unknown query parameter${names.length > 1 ? 's' : ''} ${list}: ${fix}`);
}

/**
 * A preValidation hook naming every unknown query parameter at once; Ajv would stop at the first,
 * and a misspelt bound silently widening the range is worse than an error.
 */
export function rejectUnknownQuery(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
  if (!schema?.properties) return done();
  const allowed = Object.keys(schema.properties);
  const unknown = Object.keys(request.query as object).filter((k) => !allowed.includes(k));
  done(unknown.length ? unknownParameters(unknown, allowed) : undefined);
}

export function parseStockName(value: string): string {
  if (!isSymbol(value)) throw invalid('stock_name', `${quote(value)} is not a symbol`);
  return value;
}

export interface TimeRange {
  fromUs?: number;
  toUs?: number;
}

function parseBound(name: 'start_time' | 'end_time', value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const us = parseTimeUs(value);
  if (us === undefined) throw invalid(name, `${quote(value)} is not a time`);
  if (us < MIN_TIME_US) throw invalid(name, `${quote(value)} is before the year 1`);
  return us;
}

/** Both bounds are optional and inclusive. */
export function parseTimeRange(q: { start_time?: string; end_time?: string }): TimeRange {
  const fromUs = parseBound('start_time', q.start_time);
  const toUs = parseBound('end_time', q.end_time);
  if (fromUs !== undefined && toUs !== undefined && fromUs > toUs) {
    throw badRequest(
      'bad_time_range',
      `start_time (${formatTimeUs(fromUs)}) is after end_time (${formatTimeUs(toUs)}): swap them, or omit one for an open range`,
    );
  }
  return { fromUs, toUs };
}

/** A comma-separated filter; absent or empty means no filter. */
export function parseList(name: 'exchange' | 'symbol', value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const ok = name === 'symbol' ? isSymbol : (s: string) => EXCHANGE.test(s);
  const bad = items.find((s) => !ok(s));
  if (bad !== undefined) throw invalid(name, `has ${quote(bad)}, which is not valid`);
  if (items.length > MAX_LIST) throw invalid(name, `lists ${items.length} items`);
  return items.length ? items : undefined;
}

/** OpenAPI descriptions of the shared parameters. */
export const timeParam = (bound: string) => ({ type: 'string', description: `${bound}, inclusive: ${TIME_FORMATS}` }) as const;
export const stockNameParam = { type: 'string', description: `Symbol: ${SYMBOL_RULE}` } as const;
export const limitParam = { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: 'at most this many rows, earliest first' } as const;
/** For routes without parameters: anything in the query string is reported rather than ignored. */
export const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;
