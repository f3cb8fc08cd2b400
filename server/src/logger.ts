// Structured logging with pino; one root logger, children carry context.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'servus' }, redact: ['token', 'password', 'req.headers.cookie'] });
}
