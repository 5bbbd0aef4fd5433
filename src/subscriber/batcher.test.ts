import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Tick } from '../tick.js';
import { createBatcher, type BatcherOptions } from './batcher.js';

const tick = (i: number): Tick => ({ symbol: 'TSLA', exchange: 'NYSE', price: `${i}.5`, timeUs: 1_795_255_200_000_000 + i });
const clock = { now: () => Date.now(), setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };

function setup(over: Partial<BatcherOptions> = {}) {
  const stored: Tick[][] = [];
  let failuresLeft = 0;
  const write = vi.fn(async (ticks: Tick[]) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new Error('database down');
    }
    stored.push([...ticks]);
  });
  const batcher = createBatcher({ write, intervalMs: 5000, maxRows: 100, maxBuffered: 1000, clock, backoffMs: () => 1000, ...over });
  return { batcher, stored, write, fail: (n: number) => (failuresLeft = n) };
}

describe('batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes nothing before the interval, then everything in one batch', async () => {
    const { batcher, stored } = setup();
    for (let i = 0; i < 10; i++) batcher.add(tick(i));
    await vi.advanceTimersByTimeAsync(4999);
    expect(stored).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(stored).toEqual([Array.from({ length: 10 }, (_, i) => tick(i))]);
  });

  it('writes as soon as maxRows are buffered', async () => {
    const { batcher, stored } = setup();
    for (let i = 0; i < 250; i++) batcher.add(tick(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(stored.map((b) => b.length)).toEqual([100, 100]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stored.flat()).toEqual(Array.from({ length: 250 }, (_, i) => tick(i)));
  });

  it('keeps a failed batch and retries it, in order, while accepting new ticks', async () => {
    const errors: number[] = [];
    const { batcher, stored, fail } = setup({ onFlushError: (_e, attempt) => errors.push(attempt) });
    fail(3);
    for (let i = 0; i < 5; i++) batcher.add(tick(i));
    await vi.advanceTimersByTimeAsync(5000);
    for (let i = 5; i < 8; i++) batcher.add(tick(i));
    await vi.advanceTimersByTimeAsync(3000);
    expect(errors).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stored.flat()).toEqual(Array.from({ length: 8 }, (_, i) => tick(i)));
    expect(batcher.stats()).toMatchObject({ stored: 8, buffered: 0, failedFlushes: 3, dropped: 0 });
  });

  it('drops and counts ticks past maxBuffered, never silently', async () => {
    const drops: number[] = [];
    const { batcher, fail } = setup({ maxBuffered: 150, onDrop: (n) => drops.push(n) });
    fail(100);
    let accepted = 0;
    for (let i = 0; i < 200; i++) if (batcher.add(tick(i))) accepted++;
    expect(accepted).toBe(150);
    expect(drops).toHaveLength(50);
    expect(batcher.stats()).toMatchObject({ dropped: 50, buffered: 150 });
  });

  it('drain stores everything buffered, retrying through failures', async () => {
    const { batcher, stored, fail } = setup();
    for (let i = 0; i < 130; i++) batcher.add(tick(i));
    fail(2);
    const drained = batcher.drain(60_000);
    await vi.advanceTimersByTimeAsync(5000);
    await drained;
    expect(stored.flat()).toEqual(Array.from({ length: 130 }, (_, i) => tick(i)));
  });

  it('drain gives up after its deadline and says how much is left', async () => {
    const { batcher, fail } = setup();
    for (let i = 0; i < 7; i++) batcher.add(tick(i));
    fail(1_000);
    const drained = batcher.drain(1000).catch((e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await drained).toMatch(/7 ticks not stored/);
  });
});
