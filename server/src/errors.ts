// One error type with a stable code. HTTP status and WebSocket close codes are mapped from the
// code in one place; clients never see internal error text.
import { ErrorCode, HTTP_STATUS } from '@servus/shared';

export class ServusError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ServusError';
    this.code = code;
    this.path = options.path;
  }
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export const notFound = (what = 'conversation'): ServusError => new ServusError(ErrorCode.NOT_FOUND, `No such ${what}.`);

/** Anything that is not a ServusError becomes INTERNAL with a generic message. */
export function toPublicError(err: unknown): { code: ErrorCode; message: string; path?: string } {
  if (err instanceof ServusError) {
    return err.path ? { code: err.code, message: err.message, path: err.path } : { code: err.code, message: err.message };
  }
  return { code: ErrorCode.INTERNAL, message: 'Internal error.' };
}
