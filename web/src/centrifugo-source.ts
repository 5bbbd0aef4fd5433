// LiveSource over Centrifugo with centrifuge-js: one subscription per exchange channel, recovery reported per reconnect.
import { Centrifuge, type PublicationContext, type SubscribedContext } from 'centrifuge';
import { parseLiveTick } from './live-tick.js';
import type { LiveHandlers, LiveSource } from './live-source.js';

export function createCentrifugoSource(url: string, channels: readonly string[], h: LiveHandlers): LiveSource {
  const client = new Centrifuge(url);
  let everConnected = false;
  let closing = false;
  let invalid = 0;
  // Ticks recovered since the last connect, summed over channels.
  let recovered = 0;
  let lost = false;
  let reported = false;
  const counting = new Map<string, number>();

  // Counters reset on 'connecting', not 'connected': nothing promises that every
  // subscription reply of a connect is handled after the 'connected' event.
  client.on('connecting', (ctx) => {
    recovered = 0;
    lost = false;
    reported = false;
    h.state(everConnected ? 'reconnecting' : 'connecting');
    if (everConnected) h.note(`connection lost (${ctx.reason}); reconnecting`);
  });
  client.on('connected', () => {
    everConnected = true;
    h.state('live');
    if (!reported) h.note('');
  });
  client.on('disconnected', (ctx) => {
    h.state('disconnected');
    if (!closing) h.note(`disconnected: ${ctx.reason}`);
  });
  client.on('error', (ctx) => console.warn('centrifuge error', ctx.type, ctx.error));

  function report(): void {
    reported = true;
    if (lost) h.note(`some missed ticks could not be recovered${recovered ? `; recovered ${recovered}` : ''}`, recovered);
    else h.note(`recovered ${recovered} missed ticks`, recovered);
  }

  for (const channel of channels) {
    const sub = client.newSubscription(channel);
    sub.on('subscribed', (ctx: SubscribedContext) => {
      if (!ctx.wasRecovering) return;
      if (!ctx.recovered) {
        lost = true;
        report();
        return;
      }
      // centrifuge-js emits the recovered publications synchronously right after
      // 'subscribed', so counting until the next microtask counts exactly those.
      counting.set(channel, 0);
      queueMicrotask(() => {
        recovered += counting.get(channel) ?? 0;
        counting.delete(channel);
        report();
      });
    });
    sub.on('publication', (ctx: PublicationContext) => {
      const n = counting.get(channel);
      if (n !== undefined) counting.set(channel, n + 1);
      const tick = parseLiveTick(ctx.data);
      if (tick) h.tick(tick);
      else if (invalid++ % 1000 === 0) console.warn('ignoring invalid live message', channel, ctx.data);
    });
    sub.on('unsubscribed', (ctx) => {
      if (!closing) h.note(`${channel}: not subscribed (${ctx.reason})`);
    });
    sub.on('error', (ctx) => console.warn('subscription error', channel, ctx.type, ctx.error));
    sub.subscribe();
  }
  client.connect();

  return {
    close() {
      closing = true;
      client.disconnect();
    },
  };
}
