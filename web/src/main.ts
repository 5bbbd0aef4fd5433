// Entry point: finds the page's elements and wires the live board, connection badge and history together.
import { errorText, fetchConfig } from './api.js';
import { createBoard } from './board.js';
import { createConnectionBadge } from './connection-badge.js';
import { createHistory } from './history.js';
import { createLiveSource } from './live-source.js';
import { createSymbolSelect } from './symbol-select.js';

function byId<T extends Element>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`index.html lacks #${id} (${type.name})`);
  return node;
}

const badge = createConnectionBadge(byId('connection', HTMLElement));
const history = createHistory({
  form: byId('history-form', HTMLFormElement),
  stock: byId('stock', HTMLSelectElement),
  start: byId('start', HTMLInputElement),
  end: byId('end', HTMLInputElement),
  lastMinutes: byId('last-minutes', HTMLButtonElement),
  average: byId('average', HTMLElement),
  chart: byId('chart', SVGSVGElement),
  points: byId('points', HTMLTableElement),
  pointsNote: byId('points-note', HTMLElement),
  error: byId('history-error', HTMLElement),
});
const symbols = createSymbolSelect(byId('stock', HTMLSelectElement), history.showError);
const boardEmpty = byId('board-empty', HTMLElement);
const board = createBoard(byId('board', HTMLTableElement), {
  empty: boardEmpty,
  rate: byId('tick-rate', HTMLElement),
  onNewSymbol: (s) => symbols.add(s),
});

const MAX_CONFIG_BACKOFF_MS = 30_000;

/** Asks the server how live updates are delivered; retries with backoff while the API is unreachable. */
async function startLive(backoff = 1000): Promise<void> {
  badge.state('connecting');
  let cfg;
  try {
    cfg = await fetchConfig();
  } catch (err) {
    badge.state('disconnected');
    badge.note(`could not load the live configuration (${errorText(err)}); retrying in ${Math.round(backoff / 1000)} s`);
    setTimeout(() => void startLive(Math.min(MAX_CONFIG_BACKOFF_MS, backoff * 2)), backoff);
    return;
  }
  if (!cfg.live) {
    badge.state('disconnected');
    badge.note('live updates are not enabled on this server');
    boardEmpty.textContent = 'Live updates are not enabled on this server; the history below still works.';
    return;
  }
  badge.note('');
  try {
    await createLiveSource(cfg.live, {
      tick: (t) => board.push(t),
      state: (s) => badge.state(s),
      note: (text, recovered) => badge.note(text, recovered),
    });
  } catch (err) {
    // Only the lazily loaded transport module can fail here, e.g. after a redeploy removed its chunk.
    badge.state('disconnected');
    badge.note(`could not start live updates: ${err instanceof Error ? err.message : String(err)}; reload the page`);
  }
}

void symbols.refresh();
void startLive();
