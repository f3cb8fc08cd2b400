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

/** A zod issue, as much of it as the mapping reads. */
interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/**
 * The first problem zod found, as the message and field path every client gets (frames and REST).
 * An unknown field is named in the path itself (`settings.colour: unknown field`).
 */
export function zodIssueMessage(issue: Issue | undefined, what: string): { message: string; path: string } {
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys?.slice(0, 1) : undefined;
  const path = [...(issue?.path ?? []), ...(unknownKey ?? [])].map(String).join('.');
  const message = unknownKey?.length ? 'unknown field' : (issue?.message ?? 'invalid');
  return { message: `${path || what}: ${message}`, path };
}

/** A request or frame zod refused: BAD_FRAME with the field's path. */
export function invalidInput(issues: readonly Issue[], what: string): ServusError {
  const { message, path } = zodIssueMessage(issues[0], what);
  return new ServusError(ErrorCode.BAD_FRAME, message, { path });
}
