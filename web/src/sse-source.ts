// LiveSource over Server-Sent Events: EventSource, its Last-Event-ID resume, and a reopen when the browser gives up.
import { parseLiveTick } from './live-tick.js';
import type { LiveHandlers, LiveSource } from './live-source.js';

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

export function createSseSource(url: string, h: LiveHandlers): LiveSource {
  let es: EventSource | undefined;
  let everOpen = false;
  let closed = false;
  let backoff = MIN_BACKOFF_MS;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let lastId = 0;
  // Set on every (re)open: the first event after it shows whether the stream resumed without a gap.
  let checkGap = false;
  let invalid = 0;

  function open(): void {
    h.state(everOpen ? 'reconnecting' : 'connecting');
    const source = new EventSource(url);
    es = source;
    source.onopen = () => {
      everOpen = true;
      backoff = MIN_BACKOFF_MS;
      checkGap = lastId > 0;
      h.state('live');
      if (!checkGap) h.note('');
    };
    source.onmessage = (e: MessageEvent<string>) => {
      const id = Number(e.lastEventId);
      if (Number.isInteger(id) && id > 0) {
        // Event ids count every tick the server sent, so after a resume a jump in them is
        // ticks the server no longer had to replay. A smaller id means the server restarted.
        if (checkGap) {
          checkGap = false;
          if (id > lastId + 1) h.note(`missed ${id - lastId - 1} ticks while disconnected`);
          else if (id <= lastId) h.note('server restarted; ticks during the outage may be missing');
          else h.note('resumed without missing ticks');
        }
        lastId = id;
      }
      const tick = parseLiveTick(e.data);
      if (tick) h.tick(tick);
      else if (invalid++ % 1000 === 0) console.warn('ignoring invalid live message', e.data);
    };
    source.onerror = () => {
      if (closed) return;
      if (source.readyState === EventSource.CONNECTING) {
        h.state('reconnecting');
        return;
      }
      // CLOSED: the browser stops retrying after a non-200 answer (e.g. nginx's 502 while the
      // API restarts), so reopen with backoff. A new EventSource cannot send Last-Event-ID;
      // the id check above then reports what was missed.
      source.close();
      h.state('reconnecting');
      h.note(`stream closed; retrying in ${Math.round(backoff / 1000)} s`);
      retry = setTimeout(open, backoff);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    };
  }

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      es?.close();
      h.state('disconnected');
    },
  };
}
