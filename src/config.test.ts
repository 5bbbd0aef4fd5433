import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problems = (env: Record<string, string>, service: Parameters<typeof loadConfig>[1]): string[] => {
  try {
    loadConfig(env, service);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('loadConfig', () => {
  it('gives the all-in-one mode working defaults with no environment at all', () => {
    const c = loadConfig({}, 'all');
    expect(c).toMatchObject({ channels: ['NYSE', 'NASDAQ'], flushIntervalMs: 5000, port: 8080, dataDir: './data', insertMethod: 'copy', trustProxy: false });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.generator.symbols).toEqual([
      { symbol: 'AMZN', exchange: 'NASDAQ' }, { symbol: 'AAPL', exchange: 'NASDAQ' }, { symbol: 'MSFT', exchange: 'NASDAQ' },
      { symbol: 'TSLA', exchange: 'NYSE' }, { symbol: 'NFLX', exchange: 'NYSE' }, { symbol: 'DIS', exchange: 'NYSE' },
    ]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every missing server a service needs and how to run without', () => {
    expect(problems({}, 'subscriber')).toEqual([
      'REDIS_URL is required by "tickwatch subscriber" (only "tickwatch all" runs without servers)',
      'DATABASE_URL is required by "tickwatch subscriber" (only "tickwatch all" runs without servers)',
    ]);
    expect(problems({}, 'api')).toHaveLength(1);
    expect(problems({}, 'generator')).toEqual(['REDIS_URL is required by "tickwatch generator" (only "tickwatch all" runs without servers)']);
  });

  it('reports every bad value at once, each with the fix', () => {
    const found = problems({
      DATABASE_URL: 'mysql://x', FLUSH_INTERVAL_MS: 'soon', PORT: '70000', GENERATOR_FORMAT: 'xml',
      GENERATOR_SYMBOLS: 'NYSE:tsla', CENTRIFUGO_API_URL: 'http://c:8000/api', LOG_LEVEL: 'loud',
    }, 'all');
    expect(found).toEqual([
      'GENERATOR_SYMBOLS symbol "tsla" must be 1-16 of A-Z 0-9 . - starting with a letter',
      'DATABASE_URL=mysql://x is not a postgres: or postgresql: URL, e.g. postgres://postgres:password@127.0.0.1:5432/stocks',
      'FLUSH_INTERVAL_MS=soon must be a whole number from 10 to 3600000 (default 5000)',
      'LOG_LEVEL=loud must be one of fatal, error, warn, info, debug, trace, silent',
      'PORT=70000 must be a whole number from 0 to 65535 (default 8080)',
      'GENERATOR_FORMAT=xml must be one of plain, tuple, json',
      'CENTRIFUGO_API_KEY is required when CENTRIFUGO_API_URL is set (the http_api.key of Centrifugo)',
    ]);
  });

  it('tells the web client about Centrifugo when its API is configured', () => {
    expect(loadConfig({ CENTRIFUGO_API_URL: 'http://c:8000/api', CENTRIFUGO_API_KEY: 'k' }, 'all').centrifugoPublicUrl).toBe('/connection/websocket');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x', CENTRIFUGO_PUBLIC_URL: '/ws' }, 'api').centrifugoPublicUrl).toBe('/ws');
  });
});
