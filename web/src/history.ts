// The history section: the query form, the parallel price and average requests, and their results.
import { errorText, fetchAverage, fetchPrices, type Average, type PricePoint } from './api.js';
import { renderChart, type ChartPoint, type ChartRange } from './chart.js';
import { formatDateTime, formatPrice, parseDatetimeLocal, parseIsoMs, toDatetimeLocal, toIsoWithOffset } from './format.js';

export interface HistoryElements {
  form: HTMLFormElement;
  stock: HTMLSelectElement;
  start: HTMLInputElement;
  end: HTMLInputElement;
  lastMinutes: HTMLButtonElement;
  average: HTMLElement;
  chart: SVGSVGElement;
  points: HTMLTableElement;
  pointsNote: HTMLElement;
  error: HTMLElement;
}

export interface History {
  showError(text: string): void;
}

const DEFAULT_MINUTES = 15;
// A table of a million rows would freeze the page; the chart still draws every point.
const MAX_ROWS = 1000;

export function averageText(a: Average): string {
  if (a.average_price === null || a.count === 0) return 'No data in this range';
  return `Average ${a.average_price.toFixed(4)} over ${a.count} point${a.count === 1 ? '' : 's'}`;
}

export function createHistory(ui: HistoryElements): History {
  let controller: AbortController | undefined;
  let drawn: { points: ChartPoint[]; range: ChartRange; average: number | null } | undefined;

  function setDefaultRange(): void {
    const now = Date.now();
    ui.end.value = toDatetimeLocal(now);
    ui.start.value = toDatetimeLocal(now - DEFAULT_MINUTES * 60_000);
  }

  function showError(text: string): void {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  }

  function clearResults(): void {
    drawn = undefined;
    ui.average.textContent = '';
    ui.chart.replaceChildren();
    ui.chart.toggleAttribute('hidden', true);
    ui.points.tBodies[0]?.replaceChildren();
    ui.points.hidden = true;
    ui.pointsNote.textContent = '';
  }

  function renderPoints(prices: readonly PricePoint[]): void {
    const body = ui.points.tBodies[0] ?? ui.points.createTBody();
    const rows = document.createDocumentFragment();
    for (const p of prices.slice(0, MAX_ROWS)) {
      const tr = document.createElement('tr');
      const time = document.createElement('time');
      time.dateTime = p.timestamp;
      const ms = parseIsoMs(p.timestamp);
      time.textContent = ms === undefined ? p.timestamp : formatDateTime(ms);
      tr.insertCell().appendChild(time);
      const price = tr.insertCell();
      price.className = 'num';
      price.textContent = formatPrice(Number(p.price));
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
    ui.points.hidden = prices.length === 0;
    const n = prices.length;
    ui.pointsNote.textContent =
      n === 0
        ? 'No price points in this range.'
        : n > MAX_ROWS
          ? `Showing the first ${MAX_ROWS} of ${n} points (${n - MAX_ROWS} omitted).`
          : `${n} point${n === 1 ? '' : 's'}.`;
  }

  function drawChart(): void {
    if (drawn) renderChart(ui.chart, drawn.points, drawn.range, drawn.average);
  }

  async function query(): Promise<void> {
    const stock = ui.stock.value;
    const startMs = parseDatetimeLocal(ui.start.value);
    const endMs = parseDatetimeLocal(ui.end.value);
    if (!stock) return showError('Choose a stock first.');
    if (startMs === undefined || endMs === undefined) return showError('Enter both a start and an end time.');
    if (startMs >= endMs) return showError('The start time must be before the end time.');

    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    const range = { startIso: toIsoWithOffset(startMs), endIso: toIsoWithOffset(endMs) };
    ui.form.setAttribute('aria-busy', 'true');
    showError('');
    ui.average.textContent = `Loading ${stock}…`;
    try {
      const [prices, average] = await Promise.all([fetchPrices(stock, range, mine.signal), fetchAverage(stock, range, mine.signal)]);
      clearResults();
      ui.average.textContent = averageText(average);
      const points: ChartPoint[] = [];
      for (const p of prices) {
        const t = parseIsoMs(p.timestamp);
        if (t !== undefined) points.push({ t, price: Number(p.price) });
      }
      drawn = { points, range: { startMs, endMs }, average: average.average_price };
      ui.chart.toggleAttribute('hidden', false);
      drawChart();
      renderPoints(prices);
    } catch (err) {
      // A newer query replaced this one: its outcome no longer matters.
      if (mine.signal.aborted) return;
      clearResults();
      showError(errorText(err));
    } finally {
      if (controller === mine) {
        controller = undefined;
        ui.form.removeAttribute('aria-busy');
      }
    }
  }

  setDefaultRange();
  clearResults();
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    void query();
  });
  ui.lastMinutes.addEventListener('click', () => {
    setDefaultRange();
    void query();
  });
  // The chart is drawn in pixels of its current width, so a resize redraws it.
  let width = 0;
  new ResizeObserver(() => {
    if (ui.chart.clientWidth !== width) {
      width = ui.chart.clientWidth;
      drawChart();
    }
  }).observe(ui.chart);

  return { showError };
}
