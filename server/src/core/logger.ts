// Structured logging with pino; one root logger, children carry context.
import { pino, type Logger } from 'pino';

export type { Logger };

/** A logger at this level; JSON lines on stdout unless another destination is given (tests read it). */
export function createLogger(level: string, destination?: { write(line: string): void }): Logger {
  const options = { level, base: { service: 'servus' }, redact: ['token', 'password', 'req.headers.cookie'] };
  return destination ? pino(options, destination) : pino(options);
}
