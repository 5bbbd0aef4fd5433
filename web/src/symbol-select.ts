// The stock <select>: filled from /api/symbols, merged with symbols seen live, refreshed when new ones appear.
import { errorText, fetchSymbols, type SymbolInfo } from './api.js';

export interface SymbolSelect {
  /** A symbol seen live: listed at once, and the server's list is fetched again soon after. */
  add(s: SymbolInfo): void;
  refresh(): Promise<void>;
}

// New symbols tend to arrive in a burst when the board starts; one fetch covers the burst.
const REFRESH_DELAY_MS = 1000;

export function createSymbolSelect(select: HTMLSelectElement, onError: (text: string) => void): SymbolSelect {
  const known = new Map<string, SymbolInfo>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;

  function render(): void {
    const selected = select.value;
    const list = [...known.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    if (list.length === 0) {
      select.replaceChildren(new Option('No stocks yet', '', true, true));
      select.options[0]!.disabled = true;
      return;
    }
    select.replaceChildren(...list.map((s) => new Option(`${s.symbol} · ${s.exchange}`, s.symbol, false, s.symbol === selected)));
  }

  function merge(list: readonly SymbolInfo[]): boolean {
    let changed = false;
    for (const s of list) {
      if (known.get(s.symbol)?.exchange === s.exchange) continue;
      known.set(s.symbol, { symbol: s.symbol, exchange: s.exchange });
      changed = true;
    }
    return changed;
  }

  async function load(): Promise<void> {
    try {
      if (merge(await fetchSymbols())) render();
    } catch (err) {
      onError(`Could not load the list of stocks: ${errorText(err)}`);
    }
  }

  const refresh = (): Promise<void> => {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  render();
  return {
    add(s) {
      if (!merge([s])) return;
      render();
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), REFRESH_DELAY_MS);
    },
    refresh,
  };
}
