import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory.js';
import { parseTick, type Tick } from '../tick.js';
import { createGenerator } from './generator.js';

const symbols = [{ symbol: 'AAPL', exchange: 'NASDAQ' }, { symbol: 'TSLA', exchange: 'NYSE' }];

async function run(format: 'plain' | 'tuple' | 'json', count: number, ratePerSec: number): Promise<{ channel: string; tick: Tick }[]> {
  const bus = createMemoryBus();
  const got: { channel: string; tick: Tick }[] = [];
  await bus.source(['NYSE', 'NASDAQ']).start((channel, payload) => {
    const r = parseTick(channel, payload, Date.now() * 1000);
    if (!r.ok) throw new Error(`generator sent an invalid tick ${payload}: ${r.detail}`);
    got.push({ channel, tick: r.tick });
  });
  const gen = createGenerator({ sink: bus.sink(), config: { symbols, ratePerSec, format, count }, log: pino({ level: 'silent' }) });
  await gen.done;
  expect(gen.sent()).toBe(count);
  return got;
}

describe('generator', () => {
  it.each(['plain', 'tuple', 'json'] as const)('publishes exactly `count` valid %s ticks, each symbol on its exchange channel', async (format) => {
    const got = await run(format, 200, 100_000);
    expect(got).toHaveLength(200);
    for (const { channel, tick } of got) {
      expect(channel).toBe(tick.symbol === 'AAPL' ? 'NASDAQ' : 'NYSE');
      expect(tick.price).toMatch(/^\d+\.\d{2}$/);
    }
    expect(got.filter((g) => g.tick.symbol === 'AAPL')).toHaveLength(100);
  });

  it('walks prices in small steps from plausible levels', async () => {
    const got = await run('tuple', 400, 100_000);
    const aapl = got.filter((g) => g.tick.symbol === 'AAPL').map((g) => Number(g.tick.price));
    expect(aapl[0]).toBeGreaterThan(150);
    expect(aapl[0]).toBeLessThan(230);
    for (let i = 1; i < aapl.length; i++) expect(Math.abs(aapl[i]! / aapl[i - 1]! - 1)).toBeLessThan(0.0015);
  });

  it('keeps to the requested rate', async () => {
    const started = Date.now();
    await run('plain', 50, 200);
    // 50 ticks at 200/s take about a quarter of a second; far faster would mean no pacing at all.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});
