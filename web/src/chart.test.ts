import { describe, expect, it } from 'vitest';
import { linePath, priceDomain } from './chart.js';

describe('priceDomain', () => {
  it('pads a flat series so it can be drawn', () => {
    const d = priceDomain([5, 5]);
    expect(d.min).toBe(5);
    expect(d.max).toBe(5);
    expect(d.lo).toBeLessThan(5);
    expect(d.hi).toBeGreaterThan(5);
  });
});

describe('linePath', () => {
  const id = (v: number): number => v;

  it('draws every point when each has its own pixel column', () => {
    expect(linePath([{ t: 0, price: 1 }, { t: 10, price: 2 }], id, id)).toBe('M0,1.0L10,2.0');
  });

  it('keeps first, lowest, highest and last of a crowded column in time order', () => {
    const pts = [3, 9, 1, 5, 4].map((price, i) => ({ t: i / 10, price }));
    expect(linePath(pts, id, id)).toBe('M0,3.0L0,9.0L0,1.0L0,4.0');
  });

  it('draws nothing for no points', () => {
    expect(linePath([], id, id)).toBe('');
  });
});
