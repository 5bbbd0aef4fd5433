// The SVG line chart of a price history: axes, min/max price and start/end time labels, a path thinned to the pixels drawn.
import { formatDateTime, formatPrice } from './format.js';

export interface ChartPoint {
  /** Epoch milliseconds. */
  t: number;
  price: number;
}

export interface ChartRange {
  startMs: number;
  endMs: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const MARGIN = { top: 14, right: 12, bottom: 30, left: 84 };

/** The price span to draw: the data's min and max with a margin, widened when all prices are equal. */
export function priceDomain(prices: readonly number[]): { min: number; max: number; lo: number; hi: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const p of prices) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  const pad = max > min ? (max - min) * 0.05 : Math.max(Math.abs(min) * 0.001, 0.01);
  return { min, max, lo: min - pad, hi: max + pad };
}

/**
 * An SVG path through time-ordered points. Points that land on the same pixel column are cut
 * to the first, lowest, highest and last of them, which draws the same line: a day of ticks
 * becomes a few thousand segments instead of millions.
 */
export function linePath(points: readonly ChartPoint[], x: (t: number) => number, y: (p: number) => number): string {
  const out: string[] = [];
  const emit = (px: number, p: ChartPoint): void => {
    out.push(`${out.length ? 'L' : 'M'}${px},${y(p.price).toFixed(1)}`);
  };
  let i = 0;
  while (i < points.length) {
    const col = Math.round(x(points[i]!.t));
    const first = points[i]!;
    let lo = first;
    let hi = first;
    let loAt = i;
    let hiAt = i;
    let j = i + 1;
    for (; j < points.length && Math.round(x(points[j]!.t)) === col; j++) {
      const p = points[j]!;
      if (p.price < lo.price) [lo, loAt] = [p, j];
      if (p.price > hi.price) [hi, hiAt] = [p, j];
    }
    const last = points[j - 1]!;
    const picks = new Map<number, ChartPoint>([[i, first]]);
    picks.set(loAt, lo).set(hiAt, hi).set(j - 1, last);
    for (const k of [...picks.keys()].sort((a, b) => a - b)) emit(col, picks.get(k)!);
    i = j;
  }
  return out.join('');
}

function el<K extends keyof SVGElementTagNameMap>(parent: Element, tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}

/** Draws the chart at the SVG's current size; call again after a resize. */
export function renderChart(svg: SVGSVGElement, points: readonly ChartPoint[], range: ChartRange, average?: number | null): void {
  const width = Math.max(240, svg.clientWidth || 640);
  const height = Math.max(160, svg.clientHeight || 260);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;

  el(svg, 'line', { class: 'axis', x1: left, y1: top, x2: left, y2: bottom });
  el(svg, 'line', { class: 'axis', x1: left, y1: bottom, x2: right, y2: bottom });
  el(svg, 'text', { class: 'time-label start-label', x: left, y: height - 8, 'text-anchor': 'start' }, formatDateTime(range.startMs, range.startMs % 1000 !== 0));
  el(svg, 'text', { class: 'time-label end-label', x: right, y: height - 8, 'text-anchor': 'end' }, formatDateTime(range.endMs, range.endMs % 1000 !== 0));

  if (points.length === 0) {
    el(svg, 'text', { class: 'empty-label', x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle' }, 'No data in this range');
    return;
  }

  const span = Math.max(1, range.endMs - range.startMs);
  // Points are clamped to the plot: the server's boundaries may be inclusive to the microsecond.
  const x = (t: number): number => left + (Math.min(Math.max(t, range.startMs), range.endMs) - range.startMs) / span * (right - left);
  const d = priceDomain(points.map((p) => p.price));
  const y = (p: number): number => bottom - ((p - d.lo) / (d.hi - d.lo)) * (bottom - top);

  const priceLabel = (p: number, cls: string): void => {
    el(svg, 'line', { class: 'grid', x1: left, y1: y(p), x2: right, y2: y(p) });
    el(svg, 'text', { class: `price-label ${cls}`, x: left - 6, y: y(p) + 4, 'text-anchor': 'end' }, formatPrice(p));
  };
  priceLabel(d.max, 'max-label');
  if (d.min !== d.max) priceLabel(d.min, 'min-label');
  if (average !== undefined && average !== null && Number.isFinite(average)) {
    el(svg, 'line', { class: 'average', x1: left, y1: y(average), x2: right, y2: y(average) });
    el(svg, 'text', { class: 'average-label', x: right - 4, y: y(average) - 5, 'text-anchor': 'end' }, `avg ${formatPrice(Number(average.toFixed(4)))}`);
  }

  if (points.length === 1) {
    const p = points[0]!;
    el(svg, 'circle', { class: 'dot', cx: x(p.t), cy: y(p.price), r: 4 });
    return;
  }
  el(svg, 'path', { class: 'line', d: linePath(points, x, y) });
}
