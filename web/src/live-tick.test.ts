import { describe, expect, it } from 'vitest';
import { parseLiveTick } from './live-tick.js';

describe('parseLiveTick', () => {
  it('reads a publication object or its JSON text', () => {
    const pub = { stock: 'TSLA', exchange: 'NYSE', price: 723.02, timestamp: 1757494917.021 };
    expect(parseLiveTick(pub)).toEqual({ stock: 'TSLA', exchange: 'NYSE', price: 723.02, timeMs: 1757494917021 });
    expect(parseLiveTick(JSON.stringify(pub))?.price).toBe(723.02);
  });

  it('rejects what it cannot show', () => {
    expect(parseLiveTick('TSLA:723.02')).toBeUndefined();
    expect(parseLiveTick({ stock: 'TSLA', exchange: 'NYSE', price: 'x', timestamp: 1 })).toBeUndefined();
    expect(parseLiveTick(null)).toBeUndefined();
  });
});
