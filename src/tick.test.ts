import { describe, expect, it } from 'vitest';
import { encodeTick, formatTimeUs, parseTick, parseTimeUs, type Tick } from './tick.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0) * 1000;
const ok = (payload: string, exchange = 'NYSE'): Tick => {
  const r = parseTick(exchange, payload, NOW);
  if (!r.ok) throw new Error(`${payload}: ${r.reason} ${r.detail}`);
  return r.tick;
};
const reason = (payload: string): string => {
  const r = parseTick('NYSE', payload, NOW);
  return r.ok ? 'accepted' : r.reason;
};

describe('parseTick', () => {
  it('reads SYMBOL:PRICE and stamps it with the receive time', () => {
    expect(ok('TSLA:723.02')).toEqual({ symbol: 'TSLA', exchange: 'NYSE', price: '723.02', timeUs: NOW });
  });

  it('reads the reference generator tuple with its exact microseconds', () => {
    const t = ok('AAPL:(190.5, 1757494917.021389)', 'NASDAQ');
    expect(t).toEqual({ symbol: 'AAPL', exchange: 'NASDAQ', price: '190.5', timeUs: 1757494917021389 });
    expect(formatTimeUs(t.timeUs)).toBe('2025-09-10T09:01:57.021389Z');
  });

  it('reads JSON with ISO, epoch-seconds and epoch-millisecond times, volume and id', () => {
    expect(ok('{"symbol":"TSLA","price":723.02,"ts":"2026-11-21T10:00:00.123456Z","volume":100,"id":"a1"}')).toEqual({
      symbol: 'TSLA', exchange: 'NYSE', price: '723.02', timeUs: Date.UTC(2026, 10, 21, 10) * 1000 + 123456, volume: 100, id: 'a1',
    });
    expect(ok('{"symbol":"TSLA","price":"0.000123","ts":1757494917.5}').timeUs).toBe(1757494917500000);
    expect(ok('{"symbol":"TSLA","price":1,"ts":1757494917021}').timeUs).toBe(1757494917021000);
    expect(ok('{"symbol":"TSLA","price":1,"ts":"2026-11-21T12:00:00+02:00"}').timeUs).toBe(Date.UTC(2026, 10, 21, 10) * 1000);
  });

  it('keeps every digit of the price', () => {
    expect(ok('BRK.A:123456789012.123456789012').price).toBe('123456789012.123456789012');
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(2000), 'too_large'],
    ['TSLA 723', 'bad_format'],
    ['tsla:723', 'bad_symbol'],
    ['TS LA:723', 'bad_symbol'],
    [':723', 'bad_symbol'],
    ['TSLA:-1', 'bad_price'],
    ['TSLA:0', 'bad_price'],
    ['TSLA:NaN', 'bad_price'],
    ['TSLA:Infinity', 'bad_price'],
    ['TSLA:1e5', 'bad_price'],
    ['TSLA:', 'bad_price'],
    ['TSLA:(723.02)', 'bad_format'],
    ['TSLA:(723.02, yesterday)', 'bad_timestamp'],
    ['TSLA:(723.02, 12)', 'bad_timestamp'],
    ['TSLA:(723.02, 99999999999)', 'bad_timestamp'],
    ['{"symbol":"TSLA","price":1', 'bad_json'],
    ['[1,2]', 'bad_format'],
    ['{"symbol":"TSLA"}', 'bad_price'],
    ['{"symbol":"TSLA","price":1,"ts":"tomorrow"}', 'bad_timestamp'],
    ['{"symbol":"TSLA","price":1,"volume":-3}', 'bad_volume'],
    ['{"symbol":"TSLA","price":1,"id":""}', 'bad_id'],
  ])('rejects %j as %s', (payload, expected) => {
    expect(reason(payload)).toBe(expected);
  });
});

describe('parseTimeUs', () => {
  it('treats ISO with offset and epoch seconds alike', () => {
    expect(parseTimeUs('2026-11-21T10:00:00Z')).toBe(parseTimeUs('1795255200'));
    expect(parseTimeUs('2026-11-21T11:00:00+0100')).toBe(parseTimeUs('2026-11-21T10:00:00.000Z'));
  });
  it('refuses times without an offset', () => {
    expect(parseTimeUs('2026-11-21T10:00:00')).toBeUndefined();
  });
});

describe('encodeTick', () => {
  it('round-trips every wire format exactly', () => {
    const tick: Tick = { symbol: 'MSFT', exchange: 'NASDAQ', price: '420.07', timeUs: 1795255200123456 };
    for (const format of ['tuple', 'json'] as const) expect(ok(encodeTick(tick, format), 'NASDAQ')).toEqual(tick);
    expect(ok(encodeTick(tick, 'plain'), 'NASDAQ')).toEqual({ ...tick, timeUs: NOW });
  });
});

describe('JSON prices', () => {
  it('keep the digits as written, trailing zeros included', () => {
    expect(ok('{"symbol":"TSLA","price":190.20}').price).toBe('190.20');
    expect(ok('{"symbol":"TSLA", "price" : 7.000 , "volume":1}').price).toBe('7.000');
    expect(ok('{"symbol":"TSLA","price":1e2}').price).toBe('100');
  });
});
