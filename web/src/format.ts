// Number and time formatting for display, and conversion between datetime-local values and ISO 8601.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Digits after the decimal point in a number's shortest text form. */
export function decimalsOf(n: number): number {
  const s = String(n);
  const dot = s.indexOf('.');
  if (dot < 0 || s.includes('e')) return 0;
  return s.length - dot - 1;
}

// Prices keep the digits they came with (at least cents), capped so float noise never shows.
const MAX_DECIMALS = 6;
const priceDecimals = (...ns: number[]): number => Math.min(MAX_DECIMALS, Math.max(2, ...ns.map(decimalsOf)));

export const formatPrice = (p: number): string => p.toFixed(priceDecimals(p));

/** Change from `first` to `now`, absolute and in percent, e.g. "+1.25 (+0.17%)". */
export function formatChange(first: number, now: number): string {
  // Subtraction in floats leaves noise (723.04 - 723.02 = 0.0199…); round to the inputs' digits.
  const diff = Number((now - first).toFixed(priceDecimals(first, now)));
  const pct = first === 0 ? 0 : (diff / first) * 100;
  const sign = diff > 0 ? '+' : diff < 0 ? '-' : '';
  return `${sign}${Math.abs(diff).toFixed(priceDecimals(first, now))} (${sign}${Math.abs(pct).toFixed(2)}%)`;
}

/** Local wall-clock time with milliseconds, HH:MM:SS.mmm. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Local date and time, YYYY-MM-DD HH:MM:SS.mmm, or without .mmm when `millis` is false. */
export function formatDateTime(ms: number, millis = true): string {
  const d = new Date(ms);
  const clock = formatClock(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${millis ? clock : clock.slice(0, 8)}`;
}

/** The value a `<input type="datetime-local" step="1">` shows for a moment, in local time. */
export function toDatetimeLocal(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const LOCAL = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/** A datetime-local value read as local time; undefined when empty or malformed. */
export function parseDatetimeLocal(value: string): number | undefined {
  const m = LOCAL.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, frac] = m.slice(1).map((x) => x ?? '');
  const ms = Number((frac ?? '').padEnd(3, '0'));
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s || 0), ms);
  return Number.isNaN(date.getTime()) ? undefined : date.getTime();
}

/**
 * ISO 8601 with the local offset (2026-11-21T10:00:00.000+01:00) rather than Z, so the query
 * the server logs reads the way the user typed it. The offset is the one in force at that
 * moment, which differs across a daylight-saving change.
 */
export function toIsoWithOffset(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${toDatetimeLocal(ms)}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const ISO = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch milliseconds of an API timestamp. The API sends microseconds, and not every engine's
 * Date.parse accepts more than three fraction digits, so they are cut to milliseconds first.
 */
export function parseIsoMs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const frac = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  let zone = (m[3] ?? 'Z').toUpperCase();
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]!.replace(' ', 'T')}.${frac}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}
