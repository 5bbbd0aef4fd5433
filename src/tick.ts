// Tick type, the three wire formats of ARCHITECTURE.md, and the exact decimal and time helpers they need.

export interface Tick {
  symbol: string;
  exchange: string;
  /** Exact decimal digits as received on the wire; never passed through a float. */
  price: string;
  /** Epoch microseconds: PostgreSQL's timestamp precision. */
  timeUs: number;
  volume?: number;
  id?: string;
}

export type RejectReason =
  | 'empty'
  | 'too_large'
  | 'bad_format'
  | 'bad_json'
  | 'bad_symbol'
  | 'bad_price'
  | 'bad_timestamp'
  | 'bad_volume'
  | 'bad_id';

export type ParseResult = { ok: true; tick: Tick } | { ok: false; reason: RejectReason; detail: string };

export interface ParseLimits {
  maxBytes: number;
  /** How far ahead of the receiver's clock a tick may be stamped. */
  maxFutureUs: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxBytes: 1024, maxFutureUs: 24 * 3600 * 1e6 };

const SYMBOL = /^[A-Z][A-Z0-9.-]{0,15}$/;
// Up to 20 fraction digits: a float printed in full (Python's repr, JavaScript's String) fits.
const DECIMAL = /^\d{1,15}(?:\.\d{1,20})?$/;
const EPOCH_SECONDS = /^(\d{1,11})(?:\.(\d{1,9}))?$/;
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const TUPLE = /^\(\s*([^,\s]+)\s*,\s*([^,\s)]+)\s*\)$/;
const PRICE_TOKEN = /"price"\s*:\s*(\d+(?:\.\d+)?)(?=\s*[,}])/;
const MIN_TIME_US = Date.UTC(1990, 0, 1) * 1000;

export const isSymbol = (s: string): boolean => SYMBOL.test(s);

/** Epoch-seconds text ("1757494917.021389") to microseconds without float rounding. */
function epochSecondsToUs(text: string): number | undefined {
  const m = EPOCH_SECONDS.exec(text);
  if (!m) return undefined;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Number(m[1]) * 1e6 + Number(frac);
}

function isoToUs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  let zone = m[4]!.toUpperCase();
  if (zone !== 'Z' && zone.length === 3) zone += ':00';
  else if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
}

/**
 * A point in time as users and producers write it: ISO 8601 with an offset (or Z), epoch
 * seconds, or, for numbers past year 5138 in seconds, epoch milliseconds.
 */
export function parseTimeUs(value: string | number): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    if (value >= 1e11) return Math.round(value * 1000);
    return epochSecondsToUs(String(value)) ?? Math.round(value * 1e6);
  }
  const text = value.trim();
  const seconds = epochSecondsToUs(text);
  if (seconds !== undefined) return seconds >= 1e17 ? seconds / 1000 : seconds;
  return isoToUs(text);
}

function checkTime(us: number | undefined, nowUs: number, limits: ParseLimits): string | undefined {
  if (us === undefined) return 'not an ISO 8601 time with offset nor epoch seconds/milliseconds';
  if (us < MIN_TIME_US) return 'before 1990-01-01';
  if (us > nowUs + limits.maxFutureUs) return 'too far in the future';
  return undefined;
}

function checkPrice(text: string): string | undefined {
  if (!DECIMAL.test(text)) return 'not a plain positive decimal (at most 15 integer and 20 fraction digits)';
  if (!/[1-9]/.test(text)) return 'must be greater than zero';
  return undefined;
}

const reject = (reason: RejectReason, detail: string): ParseResult => ({ ok: false, reason, detail });

/**
 * The digits of a JSON number as written ("190.20", not JSON.parse's 190.2): NUMERIC keeps the scale it is
 * given. Falls back to the parsed value when the text is not found as a plain top-level-looking member.
 */
function rawPrice(payload: string, parsed: number): string {
  const m = PRICE_TOKEN.exec(payload);
  return m && Number(m[1]) === parsed ? m[1]! : String(parsed);
}

function parseJson(exchange: string, payload: string, nowUs: number, limits: ParseLimits): ParseResult {
  let obj: unknown;
  try {
    obj = JSON.parse(payload);
  } catch {
    return reject('bad_json', 'payload starts with { but is not valid JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return reject('bad_json', 'JSON must be an object');
  const o = obj as Record<string, unknown>;
  if (typeof o.symbol !== 'string' || !SYMBOL.test(o.symbol)) return reject('bad_symbol', 'symbol must be 1-16 of A-Z 0-9 . - starting with a letter');
  let price: string;
  if (typeof o.price === 'number' && Number.isFinite(o.price)) price = rawPrice(payload, o.price);
  else if (typeof o.price === 'string') price = o.price;
  else return reject('bad_price', 'price must be a number or a decimal string');
  const priceErr = checkPrice(price);
  if (priceErr) return reject('bad_price', priceErr);
  let timeUs = nowUs;
  if (o.ts !== undefined) {
    if (typeof o.ts !== 'string' && typeof o.ts !== 'number') return reject('bad_timestamp', 'ts must be a string or a number');
    const parsed = parseTimeUs(o.ts);
    const err = checkTime(parsed, nowUs, limits);
    if (err) return reject('bad_timestamp', err);
    timeUs = parsed!;
  }
  const tick: Tick = { symbol: o.symbol, exchange, price, timeUs };
  if (o.volume !== undefined) {
    if (typeof o.volume !== 'number' || !Number.isSafeInteger(o.volume) || o.volume < 0) return reject('bad_volume', 'volume must be a non-negative integer');
    tick.volume = o.volume;
  }
  if (o.id !== undefined) {
    if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 128) return reject('bad_id', 'id must be a string of 1-128 characters');
    tick.id = o.id;
  }
  return { ok: true, tick };
}

/** Parses one message from an exchange channel; the receiver's clock stamps ticks that carry no time. */
export function parseTick(exchange: string, payload: string, nowUs: number, limits: ParseLimits = DEFAULT_LIMITS): ParseResult {
  if (payload.length === 0) return reject('empty', 'empty message');
  if (payload.length > limits.maxBytes) return reject('too_large', `message longer than ${limits.maxBytes} bytes`);
  if (payload.charCodeAt(0) === 123 /* { */) return parseJson(exchange, payload, nowUs, limits);
  const colon = payload.indexOf(':');
  if (colon < 0) return reject('bad_format', 'expected SYMBOL:PRICE, SYMBOL:(PRICE, EPOCH) or a JSON object');
  const symbol = payload.slice(0, colon);
  if (!SYMBOL.test(symbol)) return reject('bad_symbol', 'symbol must be 1-16 of A-Z 0-9 . - starting with a letter');
  const rest = payload.slice(colon + 1).trim();
  if (rest.charCodeAt(0) === 40 /* ( */) {
    const m = TUPLE.exec(rest);
    if (!m) return reject('bad_format', 'expected SYMBOL:(PRICE, EPOCH_SECONDS)');
    const priceErr = checkPrice(m[1]!);
    if (priceErr) return reject('bad_price', priceErr);
    const timeUs = epochSecondsToUs(m[2]!);
    const err = checkTime(timeUs, nowUs, limits);
    if (err) return reject('bad_timestamp', err);
    return { ok: true, tick: { symbol, exchange, price: m[1]!, timeUs: timeUs! } };
  }
  const priceErr = checkPrice(rest);
  if (priceErr) return reject('bad_price', priceErr);
  return { ok: true, tick: { symbol, exchange, price: rest, timeUs: nowUs } };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Microseconds to ISO 8601 UTC with all six fraction digits (what PostgreSQL stores). */
export function formatTimeUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${pad(us - Math.floor(us / 1e6) * 1e6, 6)}Z`;
}

/** The live publication of ARCHITECTURE.md, shared by Centrifugo and SSE. */
export interface Publication {
  stock: string;
  exchange: string;
  price: number;
  timestamp: number;
}

export const toPublication = (t: Tick): Publication => ({
  stock: t.symbol,
  exchange: t.exchange,
  price: Number(t.price),
  timestamp: t.timeUs / 1e6,
});

/** Encodes a tick in one of the wire formats; the generator and tests use it. */
export type WireFormat = 'plain' | 'tuple' | 'json';

export function encodeTick(t: Tick, format: WireFormat): string {
  switch (format) {
    case 'plain':
      return `${t.symbol}:${t.price}`;
    case 'tuple':
      return `${t.symbol}:(${t.price}, ${Math.floor(t.timeUs / 1e6)}.${pad(t.timeUs % 1e6, 6)})`;
    case 'json':
      // The price goes out as a JSON number literal with its exact digits.
      return `{"symbol":"${t.symbol}","price":${t.price},"ts":"${formatTimeUs(t.timeUs)}"${t.volume !== undefined ? `,"volume":${t.volume}` : ''}${t.id ? `,"id":${JSON.stringify(t.id)}` : ''}}`;
  }
}
