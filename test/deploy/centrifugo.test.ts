// deploy/centrifugo/config.json checked by structure against the v6 keys (no Centrifugo binary can be had here to run checkconfig).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = JSON.parse(readFileSync(join(ROOT, 'deploy', 'centrifugo', 'config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment: Record<string, string>; volumes?: string[]; command?: string[]; healthcheck: { test: string[] } }>;
};

/** Top-level sections of Centrifugo v6's nested configuration (internal/config Config); v5's flat keys are not among them. */
const V6_SECTIONS = [
  'http_server', 'log', 'engine', 'broker', 'presence_manager', 'map_broker', 'client', 'channel', 'rpc', 'proxies', 'http_api', 'grpc_api',
  'consumers', 'websocket', 'sse', 'http_stream', 'webtransport', 'uni_sse', 'uni_http_stream', 'uni_websocket', 'uni_grpc', 'emulation',
  'admin', 'prometheus', 'health', 'swagger', 'debug', 'dev', 'init', 'opentelemetry', 'graphite', 'usage_stats', 'node', 'shutdown',
  'pid_file', 'enable_unreleased_features',
];

function* entries(value: unknown, path = ''): Generator<[string, unknown]> {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    yield [`${path}${k}`, v];
    yield* entries(v, `${path}${k}.`);
  }
}

const durationSeconds = (d: string): number => {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a Go duration: ${d}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
};

describe('Centrifugo config (v6 nested JSON)', () => {
  const client = config.client!;
  const channels = config.channel!.without_namespace as Record<string, unknown>;

  it('uses only v6 top-level sections', () => {
    expect(Object.keys(config).filter((k) => !V6_SECTIONS.includes(k))).toEqual([]);
  });

  it('lets anonymous browsers connect and subscribe, and never publish', () => {
    expect(client.allow_anonymous_connect_without_token).toBe(true);
    expect(channels.allow_subscribe_for_client).toBe(true);
    expect(channels.allow_subscribe_for_anonymous).toBe(true);
    const publish = [...entries(config)].filter(([k, v]) => /allow_publish|publish_proxy/.test(k) && v);
    expect(publish).toEqual([]);
    expect([...entries(config)].filter(([k, v]) => k.endsWith('insecure') && v)).toEqual([]);
  });

  it('restricts subscriptions to the NYSE and NASDAQ channels the subscriber publishes to', () => {
    // Centrifugo matches channel_regex (Go RE2) against the name; this pattern means the same in JavaScript.
    const re = new RegExp(channels.channel_regex as string);
    for (const ok of ['NYSE', 'NASDAQ']) expect(re.test(ok), ok).toBe(true);
    for (const no of ['nyse', 'NYSE2', 'XNYSE', 'AAPL', 'NYSE:TSLA', '$NYSE', 'NASDAQ NYSE', '']) expect(re.test(no), no).toBe(false);
    for (const ch of compose.services.subscriber!.environment.CHANNELS!.split(',')) expect(re.test(ch), ch).toBe(true);
    expect(config.channel!.namespaces ?? []).toEqual([]);
  });

  it('keeps enough history for a reconnecting browser to recover what it missed', () => {
    const size = channels.history_size as number;
    expect(size).toBeGreaterThan(0);
    expect(durationSeconds(channels.history_ttl as string)).toBeGreaterThanOrEqual(60);
    expect(channels.force_recovery).toBe(true);
    // Recovery returns at most recovery_max_publication_limit (default 300) publications.
    expect((client.recovery_max_publication_limit as number | undefined) ?? 300).toBeGreaterThanOrEqual(size);
  });

  it('keeps the admin UI off and every secret out of the file', () => {
    expect(config.admin?.enabled ?? false).toBe(false);
    const secrets = [...entries(config)].filter(([k]) => /(^|\.)(key|password|secret|hmac_secret_key|api_key|token)$/.test(k));
    expect(secrets).toEqual([]);
    expect(config.http_api?.key).toBeUndefined();
    expect(client.allowed_origins).toBeUndefined();
  });

  it('gets the API key and allowed origins from the environment, and serves /health for the healthcheck', () => {
    const svc = compose.services.centrifugo!;
    expect(svc.environment.CENTRIFUGO_HTTP_API_KEY).toMatch(/^\$\{CENTRIFUGO_HTTP_API_KEY:\?/);
    expect(svc.environment.CENTRIFUGO_CLIENT_ALLOWED_ORIGINS).toMatch(/^\$\{CENTRIFUGO_CLIENT_ALLOWED_ORIGINS:-https:\/\/\S+/);
    expect(svc.volumes).toContain('./deploy/centrifugo/config.json:/centrifugo/config.json:ro');
    expect(svc.command).toContain('--config=/centrifugo/config.json');
    expect(config.health?.enabled).toBe(true);
    expect(svc.healthcheck.test.join(' ')).toContain(':8000/health');
    expect(compose.services.subscriber!.environment.CENTRIFUGO_API_URL).toBe('http://centrifugo:8000/api');
  });
});
