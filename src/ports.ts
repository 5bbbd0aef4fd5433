// The interfaces callers need; adapters in src/adapters implement them and only entrypoints choose one.
import type { Tick } from './tick.js';

/** One message on an exchange channel, in any wire format. */
export interface WireMessage {
  channel: string;
  payload: string;
}

/** Where ticks come from: Redis pub/sub or the in-process bus. */
export interface TickSource {
  /** Subscribes to the channels; resolves once messages can arrive. Order is kept per channel. */
  start(onMessage: (channel: string, payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Where producers put ticks: the same bus the TickSource reads. */
export interface TickSink {
  publish(messages: readonly WireMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface PriceQuery {
  symbol: string;
  fromUs?: number;
  toUs?: number;
  limit?: number;
}

/** A stored price as the database renders it: ISO time with microseconds, exact decimal text. */
export interface PricePoint {
  timestamp: string;
  price: string;
}

export interface Average {
  average: string | null;
  count: number;
}

export interface SymbolInfo {
  symbol: string;
  exchange: string;
}

/** PostgreSQL, served or embedded. */
export interface TickStore {
  /** Applies deploy/postgres/migrations in order; safe to run on every start. */
  migrate(): Promise<void>;
  /** Stores every tick of the batch or none of them. */
  insert(ticks: readonly Tick[]): Promise<void>;
  /** Prices in time order, in chunks, without holding the whole range in memory. */
  prices(q: PriceQuery): AsyncIterable<PricePoint[]>;
  average(q: PriceQuery): Promise<Average>;
  symbols(): Promise<SymbolInfo[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Pushes ticks to live clients. Never throws and never waits on the network: storage must not depend on it. */
export interface Broadcaster {
  publish(ticks: readonly Tick[]): void;
  close(): Promise<void>;
}
