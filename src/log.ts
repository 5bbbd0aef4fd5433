// Structured JSON logs on stdout, and the metric lines Vector ships into the `metrics` table.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, service: string): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** One line whose fields equal the seed's `metrics` columns: timestamp, service, event, metric, value, unit. */
export function logMetric(log: Logger, event: string, metric: string, value: number, unit: string): void {
  log.info({ timestamp: new Date().toISOString(), event, metric, value, unit }, 'metric');
}
