// The compose nginx template, run natively: nginx -t, then real requests for static files, the API, SSE, WebSockets, Grafana and TLS.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { checkNginxConfig, makeSelfSignedCert, NGINX_VAR_NAMES, renderTemplate, startNginx, writeNginxConfig, type RunningNginx } from '../harness/nginx.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  cert?: { subject: Record<string, string> };
}

function fetchRaw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Reply> {
  const https = url.startsWith('https:');
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      const cert = https ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), cert: cert as Reply['cert'] }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An upstream that says who it is and what it was asked, padded past gzip_min_length; WebSockets echo. */
interface Echo {
  port: number;
  server: Server;
}
async function echoUpstream(name: string): Promise<Echo> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      setTimeout(() => res.end('data: last\n\n'), 3000);
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ upstream: name, url: req.url, headers: req.headers, padding: 'x'.repeat(2000) });
      res.writeHead(200, { 'content-type': 'application/json', 'x-frame-options': 'deny' });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => ws.on('message', (m: Buffer) => ws.send(`${name}:${req.url}:${m.toString()}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

const json = (r: Reply): { upstream: string; url: string; headers: IncomingHttpHeaders } => JSON.parse(r.body.toString());

describe('nginx template (deploy/nginx/templates/default.conf.template)', () => {
  let web: string;
  let nginx: RunningNginx;
  const upstreams: Echo[] = [];
  const asset = `console.log(${JSON.stringify('tick '.repeat(600))});\n`;

  beforeAll(async () => {
    web = mkdtempSync(join(tmpdir(), 'tickwatch-web-'));
    chmodSync(web, 0o755);
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Tickwatch</title><script src="./assets/app-3f9a1c.js"></script>\n');
    writeFileSync(join(web, 'assets', 'app-3f9a1c.js'), asset);
    const [api, centrifugo, grafana] = await Promise.all([echoUpstream('api'), echoUpstream('centrifugo'), echoUpstream('grafana')]);
    upstreams.push(api!, centrifugo!, grafana!);
    nginx = await startNginx({
      WEB_ROOT: web,
      API_UPSTREAM: `127.0.0.1:${api!.port}`,
      CENTRIFUGO_UPSTREAM: `127.0.0.1:${centrifugo!.port}`,
      GRAFANA_UPSTREAM: `127.0.0.1:${grafana!.port}`,
    });
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const u of upstreams) {
      u.server.closeAllConnections();
      u.server.close();
    }
    rmSync(web, { recursive: true, force: true });
  });

  it('substitutes exactly its eight placeholders and leaves nginx variables alone', () => {
    const vars = Object.fromEntries(NGINX_VAR_NAMES.map((n) => [n, `<${n}>`]));
    const out = renderTemplate(vars);
    expect(out).not.toMatch(/\$\{/);
    for (const n of NGINX_VAR_NAMES) expect(out).toContain(`<${n}>`);
    for (const v of ['$host', '$http_upgrade', '$uri', '$proxy_add_x_forwarded_for', '$scheme', '$https']) expect(out).toContain(v);
  });

  it('is rejected by nginx -t when a placeholder is left unfilled, accepted when all are filled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwatch-nginx-t-'));
    try {
      const { cert, key } = makeSelfSignedCert(dir);
      const vars = { ...nginx.vars, HTTP_PORT: '127.0.0.1:1', HTTPS_PORT: '127.0.0.1:2', TLS_CERT: cert, TLS_KEY: key };
      const good = checkNginxConfig(writeNginxConfig(vars, dir));
      expect(good.output).toContain('test is successful');
      expect(good.ok).toBe(true);
      const bad = checkNginxConfig(writeNginxConfig({ ...vars, API_UPSTREAM: '${API_UPSTREAM}' }, dir));
      expect(bad.ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves index.html with security headers and no-cache, without HSTS over plain HTTP', async () => {
    const r = await fetchRaw(`${nginx.url}/`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<title>Tickwatch</title>');
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(r.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(r.headers['strict-transport-security']).toBeUndefined();
    expect(r.headers.server).toBe('nginx');
    expect((await fetchRaw(`${nginx.url}/missing.html`)).status).toBe(404);
  });

  it('gzips hashed assets and caches them for a year', async () => {
    const r = await fetchRaw(`${nginx.url}/assets/app-3f9a1c.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(r.body).toString()).toBe(asset);
  });

  it('proxies /api/ with the path and query preserved, forwarding headers, gzip for JSON, and no CORS of its own', async () => {
    const r = await fetchRaw(`${nginx.url}/api/prices/TSLA?start_time=2026-01-01T00:00:00Z`, { headers: { 'accept-encoding': 'gzip', origin: 'https://evil.example' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    const seen = JSON.parse(gunzipSync(r.body).toString()) as ReturnType<typeof json>;
    expect(seen.upstream).toBe('api');
    expect(seen.url).toBe('/api/prices/TSLA?start_time=2026-01-01T00:00:00Z');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.connection).toBeUndefined();
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBeUndefined();
  });

  it('refuses request bodies over client_max_body_size', async () => {
    const r = await fetchRaw(`${nginx.url}/api/ticks`, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 'a'), headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(413);
  });

  it('delivers /api/stream events as they happen, even to a client that accepts gzip', async () => {
    const first = await new Promise<{ chunk: string; ms: number; encoding?: string }>((resolve, reject) => {
      const t0 = Date.now();
      const req = httpRequest(`${nginx.url}/api/stream`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        res.once('data', (c: Buffer) => {
          resolve({ chunk: c.toString(), ms: Date.now() - t0, encoding: res.headers['content-encoding'] });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(first.encoding).toBeUndefined();
    expect(first.chunk).toContain('data: first');
    // The upstream holds the rest for 3 s: a buffering proxy would deliver nothing before then.
    expect(first.ms).toBeLessThan(2500);
  });

  it('upgrades /connection/websocket to Centrifugo and /grafana/api/live/ to Grafana', async () => {
    const echo = (url: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('open', () => ws.send('ping'));
        ws.once('message', (m: Buffer) => (resolve(m.toString()), ws.close()));
        ws.once('error', reject);
      });
    const base = nginx.url.replace('http:', 'ws:');
    expect(await echo(`${base}/connection/websocket`)).toBe('centrifugo:/connection/websocket:ping');
    expect(await echo(`${base}/grafana/api/live/ws`)).toBe('grafana:/grafana/api/live/ws:ping');
  });

  it('proxies /grafana/ with its sub-path intact, one X-Frame-Options, and redirects /grafana', async () => {
    const r = await fetchRaw(`${nginx.url}/grafana/api/health`);
    expect(json(r).upstream).toBe('grafana');
    expect(json(r).url).toBe('/grafana/api/health');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    const redirect = await fetchRaw(`${nginx.url}/grafana`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/grafana/');
  });

  it('serves HTTPS with the self-signed certificate, HSTS, and X-Forwarded-Proto https', async () => {
    const page = await fetchRaw(`${nginx.httpsUrl}/`);
    expect(page.status).toBe(200);
    expect(page.cert?.subject.CN).toBe('localhost');
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    const api = await fetchRaw(`${nginx.httpsUrl}/api/health`);
    expect(json(api).headers['x-forwarded-proto']).toBe('https');
  });
});
