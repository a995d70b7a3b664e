import pino, { type Logger } from 'pino';

/** The root logger; JSON lines, level from LOG_LEVEL. Tests default to warnings only. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'warn' : 'info')): Logger {
  return pino({ name: service, level, base: { service } });
}

export type { Logger };
