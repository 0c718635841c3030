import pino, { type Logger } from 'pino';

export type { Logger };

/** The one logger: structured JSON lines on stdout (pino), level from config. */
export function createLogger(level: string, name = 'nocai'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
