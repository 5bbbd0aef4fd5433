// The live board: one table row per symbol, redrawn at most once per animation frame however fast ticks arrive.
import type { SymbolInfo } from './api.js';
import { formatChange, formatClock, formatPrice } from './format.js';
import type { LiveTick } from './live-tick.js';

export interface Board {
  push(t: LiveTick): void;
  symbols(): SymbolInfo[];
}

export interface BoardOptions {
  /** Shown while the board has no rows. */
  empty: HTMLElement;
  /** Ticks per second, refreshed every second. */
  rate?: HTMLElement;
  onNewSymbol?(s: SymbolInfo): void;
}

interface Row {
  symbol: string;
  exchange: string;
  first: number;
  last: LiveTick;
  /** The price on screen, to tell an up from a down tick when the frame is drawn. */
  shown?: number;
  tr?: HTMLTableRowElement;
  cells?: { exchange: HTMLElement; price: HTMLElement; change: HTMLElement; time: HTMLElement };
}

const compareRows = (a: Row, b: Row): number =>
  a.exchange < b.exchange ? -1 : a.exchange > b.exchange ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;

function cell(tr: HTMLTableRowElement, className: string, text = ''): HTMLTableCellElement {
  const td = tr.insertCell();
  td.className = className;
  td.textContent = text;
  return td;
}

export function createBoard(table: HTMLTableElement, opts: BoardOptions): Board {
  const body = table.tBodies[0] ?? table.createTBody();
  const rows = new Map<string, Row>();
  // Kept sorted by exchange then symbol; only a new symbol changes it.
  const ordered: Row[] = [];
  const dirty = new Set<Row>();
  let frame = 0;
  let ticks = 0;

  function mount(row: Row): void {
    const tr = document.createElement('tr');
    tr.dataset.symbol = row.symbol;
    tr.dataset.exchange = row.exchange;
    const symbol = cell(tr, 'symbol', row.symbol);
    symbol.scope = 'row';
    row.cells = {
      exchange: cell(tr, 'exchange', row.exchange),
      price: cell(tr, 'price num'),
      change: cell(tr, 'change num'),
      time: cell(tr, 'time num'),
    };
    row.tr = tr;
    let i = ordered.findIndex((r) => compareRows(row, r) < 0);
    if (i < 0) i = ordered.length;
    body.insertBefore(tr, ordered[i]?.tr ?? null);
    ordered.splice(i, 0, row);
    opts.empty.hidden = true;
  }

  function draw(row: Row): void {
    if (!row.tr) mount(row);
    const { tr, cells, last, first, shown } = row as Required<Row>;
    if (cells.exchange.textContent !== last.exchange) {
      cells.exchange.textContent = last.exchange;
      tr.dataset.exchange = last.exchange;
    }
    cells.price.textContent = formatPrice(last.price);
    cells.change.textContent = formatChange(first, last.price);
    cells.change.classList.toggle('pos', last.price > first);
    cells.change.classList.toggle('neg', last.price < first);
    cells.time.textContent = formatClock(last.timeMs);
    if (shown !== undefined && last.price !== shown) {
      const up = last.price > shown;
      tr.classList.toggle('up', up);
      tr.classList.toggle('down', !up);
      // Alternating 'flip' changes the animation name, which restarts the flash without
      // the forced reflow that removing and re-adding a class would need.
      tr.classList.toggle('flip');
    }
    row.shown = last.price;
  }

  function render(): void {
    frame = 0;
    for (const row of dirty) draw(row);
    dirty.clear();
  }

  if (opts.rate) {
    const rate = opts.rate;
    setInterval(() => {
      rate.textContent = `${ticks.toLocaleString()} ticks/s`;
      ticks = 0;
    }, 1000);
  }

  return {
    push(t) {
      ticks++;
      let row = rows.get(t.stock);
      if (!row) {
        row = { symbol: t.stock, exchange: t.exchange, first: t.price, last: t };
        rows.set(t.stock, row);
        opts.onNewSymbol?.({ symbol: t.stock, exchange: t.exchange });
      } else {
        row.last = t;
      }
      dirty.add(row);
      if (!frame) frame = requestAnimationFrame(render);
    },
    symbols: () => [...rows.values()].map((r) => ({ symbol: r.symbol, exchange: r.exchange })),
  };
}
