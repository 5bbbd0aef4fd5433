// The REST API as the client sees it: response types, same-origin URLs, and problem+json errors as ApiError.

export type LiveConfig =
  | { transport: 'centrifugo'; url: string; channels: string[] }
  | { transport: 'sse'; url: string };

export interface ClientConfig {
  live: LiveConfig | null;
}

export interface SymbolInfo {
  symbol: string;
  exchange: string;
}

export interface PricePoint {
  timestamp: string;
  price: number;
}

export interface Average {
  stock_name: string;
  average_price: number | null;
  count: number;
  start_time: string;
  end_time: string;
}

/** A failed request, with a message fit to show the user as it is. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The URL of an API path relative to the page, so the client works under any path prefix
 * nginx serves it from (`/`, `/tickwatch/`…).
 */
export const apiUrl = (path: string, query?: Record<string, string>): string =>
  `api/${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;

async function problemMessage(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as { title?: unknown; detail?: unknown; code?: unknown };
      const text = typeof body.detail === 'string' && body.detail ? body.detail : typeof body.title === 'string' ? body.title : '';
      if (text) return new ApiError(text, res.status, typeof body.code === 'string' ? body.code : undefined);
    } catch {
      // A body that claims JSON but is not falls through to the status line.
    }
  }
  // nginx answers 502/504 with HTML when the API is down: the status line says more than the page.
  return new ApiError(`The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`, res.status);
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError('Could not reach the server; check the network connection and try again.', 0);
  }
  if (!res.ok) throw await problemMessage(res);
  try {
    return (await res.json()) as T;
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError('The server sent a response that is not valid JSON.', res.status);
  }
}

export const fetchConfig = (): Promise<ClientConfig> => getJson<ClientConfig>(apiUrl('config'));

export const fetchSymbols = (signal?: AbortSignal): Promise<SymbolInfo[]> => getJson<SymbolInfo[]>(apiUrl('symbols'), signal);

export interface Range {
  startIso: string;
  endIso: string;
}

const rangeQuery = (r: Range): Record<string, string> => ({ start_time: r.startIso, end_time: r.endIso });

export const fetchPrices = (stock: string, r: Range, signal?: AbortSignal): Promise<PricePoint[]> =>
  getJson<PricePoint[]>(apiUrl(`prices/${encodeURIComponent(stock)}`, rangeQuery(r)), signal);

export const fetchAverage = (stock: string, r: Range, signal?: AbortSignal): Promise<Average> =>
  getJson<Average>(apiUrl(`average/${encodeURIComponent(stock)}`, rangeQuery(r)), signal);

/** Text for any error a request can end with. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return 'Unexpected error.';
}
