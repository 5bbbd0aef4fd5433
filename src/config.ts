// Environment → typed, frozen configuration; every problem is reported at once with how to fix it.
import { isSymbol, type WireFormat } from './tick.js';

export type Service = 'generator' | 'subscriber' | 'api' | 'all';
export type InsertMethod = 'copy' | 'unnest';

export interface GeneratorConfig {
  symbols: { symbol: string; exchange: string }[];
  ratePerSec: number;
  format: WireFormat;
  /** Stop after this many ticks (load tests); undefined runs until stopped. */
  count?: number;
}

export interface Config {
  databaseUrl?: string;
  redisUrl?: string;
  centrifugoApiUrl?: string;
  centrifugoApiKey?: string;
  /** Where browsers reach Centrifugo's WebSocket (through nginx); tells the web client to use Centrifugo. */
  centrifugoPublicUrl?: string;
  channels: string[];
  flushIntervalMs: number;
  flushMaxRows: number;
  maxBufferedRows: number;
  insertMethod: InsertMethod;
  shutdownTimeoutMs: number;
  logLevel: string;
  host: string;
  port: number;
  dataDir: string;
  webDir?: string;
  corsOrigins: string[];
  trustProxy: boolean;
  generator: GeneratorConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

const DEFAULT_SYMBOLS = 'NASDAQ:AMZN,AAPL,MSFT;NYSE:TSLA,NFLX,DIS';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env, service: Service): Readonly<Config> {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be a whole number from ${min} to ${max} (default ${def})`);
      return def;
    }
    return n;
  };
  const url = (name: string, protocols: string[], example: string): string | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) throw new Error();
    } catch {
      problems.push(`${name}=${raw} is not a ${protocols.join(' or ')} URL, e.g. ${example}`);
    }
    return raw;
  };
  const oneOf = <T extends string>(name: string, def: T, allowed: readonly T[]): T => {
    const raw = get(name);
    if (raw === undefined) return def;
    if (!allowed.includes(raw as T)) problems.push(`${name}=${raw} must be one of ${allowed.join(', ')}`);
    return raw as T;
  };

  const channels = (get('CHANNELS') ?? 'NYSE,NASDAQ').split(',').map((c) => c.trim()).filter(Boolean);
  if (channels.length === 0) problems.push('CHANNELS must name at least one channel, e.g. NYSE,NASDAQ');

  const symbols: GeneratorConfig['symbols'] = [];
  for (const group of (get('GENERATOR_SYMBOLS') ?? DEFAULT_SYMBOLS).split(';').filter(Boolean)) {
    const [exchange, list] = group.split(':');
    if (!exchange || !list) {
      problems.push(`GENERATOR_SYMBOLS group "${group}" must look like EXCHANGE:SYM1,SYM2`);
      continue;
    }
    for (const symbol of list.split(',').map((s) => s.trim())) {
      if (!isSymbol(symbol)) problems.push(`GENERATOR_SYMBOLS symbol "${symbol}" must be 1-16 of A-Z 0-9 . - starting with a letter`);
      else symbols.push({ symbol, exchange: exchange.trim() });
    }
  }

  const countRaw = get('GENERATOR_COUNT');
  const config: Config = {
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://postgres:password@127.0.0.1:5432/stocks'),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    centrifugoApiUrl: url('CENTRIFUGO_API_URL', ['http:', 'https:'], 'http://127.0.0.1:8000/api'),
    centrifugoApiKey: get('CENTRIFUGO_API_KEY'),
    centrifugoPublicUrl: get('CENTRIFUGO_PUBLIC_URL') ?? (get('CENTRIFUGO_API_URL') ? '/connection/websocket' : undefined),
    channels,
    flushIntervalMs: int('FLUSH_INTERVAL_MS', 5000, 10, 3_600_000),
    flushMaxRows: int('FLUSH_MAX_ROWS', 20_000, 1, 1_000_000),
    maxBufferedRows: int('MAX_BUFFERED_ROWS', 2_000_000, 1, 100_000_000),
    insertMethod: oneOf<InsertMethod>('INSERT_METHOD', 'copy', ['copy', 'unnest']),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 30_000, 0, 3_600_000),
    logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    host: get('HOST') ?? '0.0.0.0',
    port: int('PORT', service === 'all' ? 8080 : 5050, 0, 65535),
    dataDir: get('DATA_DIR') ?? './data',
    webDir: get('WEB_DIR'),
    trustProxy: oneOf('TRUST_PROXY', 'false', ['true', 'false']) === 'true',
    corsOrigins: (get('CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    generator: {
      symbols,
      ratePerSec: int('GENERATOR_RATE', 6, 1, 10_000_000),
      format: oneOf<WireFormat>('GENERATOR_FORMAT', 'tuple', ['plain', 'tuple', 'json']),
      count: countRaw === undefined ? undefined : int('GENERATOR_COUNT', 0, 1, Number.MAX_SAFE_INTEGER),
    },
  };

  if (config.centrifugoApiUrl && !config.centrifugoApiKey) problems.push('CENTRIFUGO_API_KEY is required when CENTRIFUGO_API_URL is set (the http_api.key of Centrifugo)');
  const needs: Record<Service, (keyof Config)[]> = {
    generator: ['redisUrl'],
    subscriber: ['redisUrl', 'databaseUrl'],
    api: ['databaseUrl'],
    all: [],
  };
  const names: Partial<Record<keyof Config, string>> = { redisUrl: 'REDIS_URL', databaseUrl: 'DATABASE_URL' };
  for (const key of needs[service]) {
    if (config[key] === undefined) problems.push(`${names[key]} is required by "tickwatch ${service}" (only "tickwatch all" runs without servers)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
