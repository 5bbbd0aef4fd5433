// Writes stored prices as one JSON array, chunk by chunk, so a range of any size streams in constant memory.
import { Readable } from 'node:stream';
import type { PricePoint } from '../ports.js';

/** NUMERIC text is already a valid JSON number; anything else (NaN, Infinity) has no JSON number form. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The price goes out as a number literal with the database's exact digits, never through a float. */
export const jsonNumber = (text: string): string => (JSON_NUMBER.test(text) ? text : 'null');

function encode(points: readonly PricePoint[], first: boolean): string {
  let out = '';
  for (const p of points) {
    out += `${first ? '' : ','}{"timestamp":${JSON.stringify(p.timestamp)},"price":${jsonNumber(p.price)}}`;
    first = false;
  }
  return out;
}

/**
 * A byte stream of `[{"timestamp","price"},…]`. The next chunk is fetched only when the consumer
 * reads (backpressure), and closing the stream early (client gone) returns the iterator, which
 * ends the database cursor and frees its connection.
 */
export function jsonArrayStream(firstChunk: readonly PricePoint[], rest: AsyncIterator<PricePoint[]>): Readable {
  async function* text(): AsyncGenerator<string> {
    let empty = firstChunk.length === 0;
    yield `[${encode(firstChunk, true)}`;
    for (;;) {
      const next = await rest.next();
      if (next.done) break;
      if (next.value.length === 0) continue;
      yield encode(next.value, empty);
      empty = false;
    }
    yield ']';
  }
  const stream = Readable.from(text(), { objectMode: false });
  // On 'close' rather than in a finally: a client can leave before the generator above ever runs.
  stream.once('close', () => {
    if (rest.return) rest.return().catch(() => {});
  });
  return stream;
}
