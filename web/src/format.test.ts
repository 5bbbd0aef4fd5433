import { describe, expect, it } from 'vitest';
import { formatChange, formatPrice, parseDatetimeLocal, parseIsoMs, toDatetimeLocal, toIsoWithOffset } from './format.js';

describe('prices', () => {
  it('keeps the digits a price came with, at least two', () => {
    expect(formatPrice(723.02)).toBe('723.02');
    expect(formatPrice(723)).toBe('723.00');
    expect(formatPrice(1.123456789)).toBe('1.123457');
  });

  it('shows a change without float noise, signed, with percent', () => {
    expect(formatChange(723.02, 723.04)).toBe('+0.02 (+0.00%)');
    expect(formatChange(100, 90.5)).toBe('-9.50 (-9.50%)');
    expect(formatChange(100, 100)).toBe('0.00 (0.00%)');
  });
});

describe('times', () => {
  it('reads a datetime-local value as local time and writes it back unchanged', () => {
    const ms = parseDatetimeLocal('2026-11-21T10:05:07');
    expect(ms).toBe(new Date(2026, 10, 21, 10, 5, 7).getTime());
    expect(toDatetimeLocal(ms!)).toBe('2026-11-21T10:05:07');
    expect(parseDatetimeLocal('2026-11-21T10:05')).toBe(new Date(2026, 10, 21, 10, 5).getTime());
    expect(parseDatetimeLocal('')).toBeUndefined();
  });

  it('writes ISO 8601 with an offset that means the same instant', () => {
    const ms = new Date(2026, 5, 1, 8, 30, 0, 250).getTime();
    const iso = toIsoWithOffset(ms);
    expect(iso).toMatch(/^2026-06-01T08:30:00\.250[+-]\d{2}:\d{2}$/);
    expect(Date.parse(iso)).toBe(ms);
  });

  it('parses API timestamps with microseconds', () => {
    expect(parseIsoMs('2026-11-21T10:00:00.123456Z')).toBe(Date.UTC(2026, 10, 21, 10, 0, 0, 123));
    expect(parseIsoMs('2026-11-21T10:00:00+0100')).toBe(Date.UTC(2026, 10, 21, 9));
    expect(parseIsoMs('nonsense')).toBeUndefined();
  });
});
