// The live publication as received from Centrifugo or SSE, validated into a LiveTick.

export interface LiveTick {
  stock: string;
  exchange: string;
  price: number;
  /** Epoch milliseconds. */
  timeMs: number;
}

/** Validates one publication (`{"stock","exchange","price","timestamp"}`, timestamp in epoch seconds). */
export function parseLiveTick(data: unknown): LiveTick | undefined {
  let obj = data;
  if (typeof obj === 'string') {
    try {
      obj = JSON.parse(obj);
    } catch {
      return undefined;
    }
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as Record<string, unknown>;
  if (typeof o.stock !== 'string' || o.stock === '' || typeof o.exchange !== 'string') return undefined;
  // A price may come as a decimal string from a producer that keeps exact digits.
  const price = typeof o.price === 'string' ? Number(o.price) : o.price;
  if (typeof price !== 'number' || !Number.isFinite(price)) return undefined;
  const ts = typeof o.timestamp === 'string' ? Number(o.timestamp) : o.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  return { stock: o.stock, exchange: o.exchange, price, timeMs: ts * 1000 };
}
