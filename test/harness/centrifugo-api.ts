// Records what Centrifugo's HTTP API would receive. Centrifugo itself cannot be installed on these machines
// (see README, "What runs here"), so the broadcaster is checked against the documented API contract instead:
// X-API-Key auth, /api/batch with publish commands, per-command errors in an HTTP 200 body.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  channel: string;
  data: unknown;
}

export interface CentrifugoApiRecorder {
  url: string;
  publications: Recorded[];
  batches: number;
  /** Stops answering (connection refused), as a Centrifugo that went away. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startCentrifugoApiRecorder(opts: { apiKey: string; channels: string[]; port?: number }): Promise<CentrifugoApiRecorder> {
  let server: HttpServer | undefined;
  let port = opts.port ?? 0;
  const rec: CentrifugoApiRecorder = {
    url: '',
    publications: [],
    batches: 0,
    async start() {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          const reply = (status: number, json: unknown): void => {
            res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
          };
          if (req.headers['x-api-key'] !== opts.apiKey) return reply(401, {});
          if (req.method !== 'POST' || req.url !== '/api/batch') return reply(404, {});
          let parsed: { commands?: { publish?: { channel?: string; data?: unknown } }[] };
          try {
            parsed = JSON.parse(body) as typeof parsed;
          } catch {
            return reply(400, {});
          }
          rec.batches++;
          const replies = (parsed.commands ?? []).map((c) => {
            const p = c.publish;
            if (!p?.channel || p.data === undefined) return { error: { code: 107, message: 'bad request' } };
            if (!opts.channels.includes(p.channel)) return { error: { code: 102, message: 'unknown channel' } };
            rec.publications.push({ channel: p.channel, data: p.data });
            return { publish: {} };
          });
          reply(200, { replies });
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      rec.url = `http://127.0.0.1:${port}/api`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await rec.start();
  return rec;
}
