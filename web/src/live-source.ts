// The LiveSource port and the choice of adapter from /api/config; one adapter per transport.
import type { LiveConfig } from './api.js';
import type { LiveTick } from './live-tick.js';
import { createSseSource } from './sse-source.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'disconnected';

export interface LiveHandlers {
  tick(t: LiveTick): void;
  state(s: LiveState): void;
  /** Something worth telling the user next to the state: recovered ticks, gaps, errors. */
  note(text: string, recovered?: number): void;
}

export interface LiveSource {
  close(): void;
}

/**
 * A WebSocket URL on the page's own host for a path the config gives (`/connection/websocket`),
 * so the same build works behind nginx on any host, over http or https.
 */
export function websocketUrl(path: string, base: string): string {
  const url = new URL(path, base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

export async function createLiveSource(cfg: LiveConfig, handlers: LiveHandlers): Promise<LiveSource> {
  if (cfg.transport === 'sse') {
    return createSseSource(new URL(cfg.url, location.href).toString(), handlers);
  }
  // centrifuge-js is only downloaded when the server actually uses Centrifugo.
  const { createCentrifugoSource } = await import('./centrifugo-source.js');
  return createCentrifugoSource(websocketUrl(cfg.url, location.href), cfg.channels, handlers);
}
