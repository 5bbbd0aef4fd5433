// TickStore on PGlite, PostgreSQL in WASM keeping its data in a directory: the all-in-one mode's database.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Average, PricePoint, PriceQuery, SymbolInfo, TickStore } from '../ports.js';
import { readMigrations } from './migrations.js';
import { INSERT_UNNEST, rangeParams, SELECT_AVERAGE, SELECT_PRICES_PAGE, SELECT_SYMBOLS, unnestParams } from './sql.js';

/** Rows per page when streaming: PGlite has one connection, so a range is read in pages, never in one long-held cursor. */
const PAGE_ROWS = 5000;

/** `dataDir` undefined keeps everything in memory (tests). */
export function createPgliteStore(dataDir?: string): TickStore {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const ready = PGlite.create(dataDir);

  return {
    async migrate() {
      const db = await ready;
      await db.transaction(async (tx) => {
        for (const m of readMigrations()) await tx.exec(m.sql);
      });
    },
    async insert(ticks) {
      if (ticks.length === 0) return;
      await (await ready).query(INSERT_UNNEST, unnestParams(ticks));
    },
    async *prices(q: PriceQuery): AsyncIterable<PricePoint[]> {
      const db = await ready;
      const [symbol, start, to] = rangeParams(q);
      let from = start;
      let pos = '(0,0)';
      let remaining = q.limit ?? Infinity;
      // The first page must include rows at exactly `from`; (from, '(0,0)') sorts before all of them.
      while (remaining > 0) {
        const pageSize = Math.min(PAGE_ROWS, remaining);
        const { rows } = await db.query<PricePoint & { pos: string }>(SELECT_PRICES_PAGE, [symbol, from, to, pageSize, pos]);
        if (rows.length === 0) return;
        yield rows.map(({ timestamp, price }) => ({ timestamp, price }));
        remaining -= rows.length;
        if (rows.length < pageSize) return;
        ({ timestamp: from, pos } = rows[rows.length - 1]!);
      }
    },
    async average(q): Promise<Average> {
      const { rows } = await (await ready).query<{ average: string | null; count: number }>(SELECT_AVERAGE, rangeParams(q));
      return { average: rows[0]?.average ?? null, count: Number(rows[0]?.count ?? 0) };
    },
    async symbols(): Promise<SymbolInfo[]> {
      return (await (await ready).query<SymbolInfo>(SELECT_SYMBOLS)).rows;
    },
    async ping() {
      await (await ready).query('SELECT 1');
    },
    async close() {
      await (await ready).close();
    },
  };
}
