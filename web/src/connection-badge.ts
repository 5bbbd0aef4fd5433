// The connection badge: live state in words and as data-state, plus the latest note (recovery, errors).
import type { LiveState } from './live-source.js';

const LABELS: Record<LiveState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  disconnected: 'Disconnected',
};

export interface ConnectionBadge {
  state(s: LiveState): void;
  note(text: string, recovered?: number): void;
}

export function createConnectionBadge(el: HTMLElement): ConnectionBadge {
  const label = el.querySelector<HTMLElement>('.state') ?? el.appendChild(document.createElement('span'));
  const note = el.querySelector<HTMLElement>('.note') ?? el.appendChild(document.createElement('span'));
  return {
    state(s) {
      if (el.dataset.state === s) return;
      el.dataset.state = s;
      label.textContent = LABELS[s];
    },
    note(text, recovered) {
      note.textContent = text;
      if (recovered === undefined) delete el.dataset.recovered;
      else el.dataset.recovered = String(recovered);
    },
  };
}
