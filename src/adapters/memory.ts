// In-process bus: the TickSink and TickSource of the all-in-one mode, with the Redis adapters' delivery order.
import type { TickSink, TickSource, WireMessage } from '../ports.js';

export interface MemoryBus {
  source(channels: readonly string[]): TickSource;
  sink(): TickSink;
}

export function createMemoryBus(): MemoryBus {
  const listeners = new Set<{ channels: Set<string>; onMessage: (channel: string, payload: string) => void }>();
  return {
    source(channels) {
      const entry = { channels: new Set(channels), onMessage: (_c: string, _p: string) => {} };
      return {
        async start(onMessage) {
          entry.onMessage = onMessage;
          listeners.add(entry);
        },
        async close() {
          listeners.delete(entry);
        },
      };
    },
    sink() {
      return {
        async publish(messages: readonly WireMessage[]) {
          // Delivered after the publisher's turn, like a network hop, so a publisher never re-enters a consumer.
          await Promise.resolve();
          for (const m of messages) {
            for (const l of listeners) if (l.channels.has(m.channel)) l.onMessage(m.channel, m.payload);
          }
        },
        async close() {},
      };
    },
  };
}
