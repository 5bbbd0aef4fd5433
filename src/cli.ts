#!/usr/bin/env node
// `tickwatch <service>`: reads the environment, picks the adapters, starts the service, shuts it down cleanly.
import { ConfigError, loadConfig, type Service } from './config.js';
import { createLogger } from './log.js';
import { startServices } from './services.js';

const SERVICES: Service[] = ['generator', 'subscriber', 'api', 'all'];
const USAGE = `usage: tickwatch <${SERVICES.join('|')}>

  generator   publish random-walk prices to Redis (REDIS_URL)
  subscriber  store ticks from Redis in PostgreSQL and forward them live (REDIS_URL, DATABASE_URL, CENTRIFUGO_API_URL)
  api         serve the REST API and the web client (DATABASE_URL)
  all         everything in one process; embedded PGlite, bus and SSE unless the URLs above are set

Configuration is read from environment variables; see the README.`;

async function main(argv: string[]): Promise<number> {
  const service = argv[0] as Service;
  if (!SERVICES.includes(service)) {
    process.stderr.write(`${USAGE}\n`);
    return argv[0] === undefined || argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
  let config;
  try {
    config = loadConfig(process.env, service);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tickwatch ${service}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.logLevel, service);
  const running = await startServices(service, config, log);

  const signalled = new Promise<string>((resolve) => {
    const onSignal = (signal: string): void => {
      resolve(signal);
      // A second Ctrl-C means "now": give up on the flush and say so.
      process.once(signal, () => {
        log.error({ signal }, 'second signal: exiting without finishing the flush');
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  const reason = await Promise.race([running.done.then(() => 'finished'), signalled]);
  log.info({ reason }, 'shutting down');
  try {
    await running.stop();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'shutdown incomplete');
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Clients are closed by now; a handle a library forgot must not keep a stopped service alive.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`tickwatch: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
