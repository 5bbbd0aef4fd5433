// SQL shared by the PostgreSQL and PGlite stores, so the embedded adapter cannot drift from the real one.
import type { PriceQuery } from '../ports.js';
import { formatTimeUs, type Tick } from '../tick.js';

export const PRICE_COLUMNS = 'timestamp, stock_name, exchange_name, price, volume';

/**
 * One statement for a whole batch: five arrays, one row per index. Times and prices travel as text and are
 * cast by PostgreSQL: a client-side timestamptz serializer would go through Date and lose the microseconds.
 */
export const INSERT_UNNEST = `INSERT INTO stock_prices (${PRICE_COLUMNS})
  SELECT * FROM unnest($1::text[]::timestamptz[], $2::text[], $3::text[], $4::text[]::numeric[], $5::bigint[])`;

export function unnestParams(ticks: readonly Tick[]): [string[], string[], string[], string[], (number | null)[]] {
  const ts: string[] = [], sym: string[] = [], ex: string[] = [], price: string[] = [], vol: (number | null)[] = [];
  for (const t of ticks) {
    ts.push(formatTimeUs(t.timeUs));
    sym.push(t.symbol);
    ex.push(t.exchange);
    price.push(t.price);
    vol.push(t.volume ?? null);
  }
  return [ts, sym, ex, price, vol];
}

export const COPY_IN = `COPY stock_prices (${PRICE_COLUMNS}) FROM STDIN`;

/** COPY text format; symbols, exchanges and prices are validated, so nothing needs escaping. */
export function copyLines(ticks: readonly Tick[]): string {
  let out = '';
  for (const t of ticks) {
    out += `${formatTimeUs(t.timeUs)}\t${t.symbol}\t${t.exchange}\t${t.price}\t${t.volume ?? '\\N'}\n`;
  }
  return out;
}

const TIME_TEXT = `to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** Bounds are bound as text (microseconds, ±infinity) and cast by the server, never by a client serializer. */
const RANGE = `stock_name = $1 AND timestamp >= $2::text::timestamptz AND timestamp <= $3::text::timestamptz`;

/** Open bounds become ±infinity so the index range scan is always usable. */
export function rangeParams(q: PriceQuery): [string, string, string] {
  return [
    q.symbol,
    q.fromUs === undefined ? '-infinity' : formatTimeUs(q.fromUs),
    q.toUs === undefined ? 'infinity' : formatTimeUs(q.toUs),
  ];
}

// ORDER BY names the table's column: a bare `timestamp` would mean the text alias above, and sorting text
// instead of reading the (stock_name, timestamp) index in order costs a full sort of the range.
export const SELECT_PRICES = `SELECT ${TIME_TEXT} AS timestamp, price::text AS price
  FROM stock_prices WHERE ${RANGE} ORDER BY stock_prices.timestamp LIMIT $4`;

/**
 * Keyset page for stores without server-side cursors: resumes after (time, row position) of the last row
 * sent, so rows sharing a time are neither repeated nor skipped.
 */
export const SELECT_PRICES_PAGE = `SELECT ${TIME_TEXT} AS timestamp, price::text AS price, ctid::text AS pos
  FROM stock_prices WHERE ${RANGE} AND (timestamp, ctid) > ($2::text::timestamptz, $5::text::tid)
  ORDER BY stock_prices.timestamp, ctid LIMIT $4`;

/**
 * avg(price) over the range, to the same digits, from the per-minute sums (migration 003) for the whole
 * minutes inside it plus the raw rows of the partial minutes at either end. A range within one minute reads
 * raw rows only. numeric sum / numeric count is exactly what avg() computes.
 */
export const SELECT_AVERAGE = `WITH b AS (SELECT $2::text::timestamptz AS lo, $3::text::timestamptz AS hi),
  m AS (
    SELECT lo, hi,
      CASE WHEN date_trunc('minute', lo) = lo THEN lo ELSE date_trunc('minute', lo) + interval '1 minute' END AS m0,
      date_trunc('minute', hi + interval '1 microsecond') AS m1
    FROM b
  ),
  parts AS (
    SELECT r.sum AS s, r.n FROM stock_prices_minute r, m
      WHERE m.m0 < m.m1 AND r.stock_name = $1 AND r.minute >= m.m0 AND r.minute < m.m1
    UNION ALL
    SELECT p.price, 1 FROM stock_prices p, m WHERE m.m0 < m.m1 AND p.stock_name = $1 AND p.timestamp >= m.lo AND p.timestamp < m.m0
    UNION ALL
    SELECT p.price, 1 FROM stock_prices p, m WHERE m.m0 < m.m1 AND p.stock_name = $1 AND p.timestamp >= m.m1 AND p.timestamp <= m.hi
    UNION ALL
    SELECT p.price, 1 FROM stock_prices p, m WHERE m.m0 >= m.m1 AND p.stock_name = $1 AND p.timestamp >= m.lo AND p.timestamp <= m.hi
  )
  SELECT (sum(s) / NULLIF(sum(n), 0))::text AS average, coalesce(sum(n), 0)::int AS count FROM parts`;

/** Distinct symbols by skipping through the (stock_name, timestamp) index instead of scanning every row. */
export const SELECT_SYMBOLS = `WITH RECURSIVE s AS (
    (SELECT stock_name FROM stock_prices ORDER BY stock_name LIMIT 1)
    UNION ALL
    SELECT (SELECT p.stock_name FROM stock_prices p WHERE p.stock_name > s.stock_name ORDER BY p.stock_name LIMIT 1)
    FROM s WHERE s.stock_name IS NOT NULL
  )
  SELECT s.stock_name AS symbol,
    (SELECT p.exchange_name FROM stock_prices p WHERE p.stock_name = s.stock_name ORDER BY p.timestamp DESC LIMIT 1) AS exchange
  FROM s WHERE s.stock_name IS NOT NULL ORDER BY 1`;

/** Serialises concurrent migrators (subscriber and API starting together). */
export const MIGRATION_LOCK = 'SELECT pg_advisory_xact_lock(7150245)';
