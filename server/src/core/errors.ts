// One error type with a stable code. HTTP status and WebSocket close codes are mapped from the
// code in one place; clients never see internal error text.
import { ErrorCode, FIELD_ISSUE_KINDS, HTTP_STATUS, type FieldIssue, type FieldIssueKind } from '@servus/shared';

export class ServusError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  /** Every problem of a refused body or query, for clients that show them at their fields. */
  readonly issues: FieldIssue[] | undefined;
  constructor(code: ErrorCode, message: string, options: { path?: string; issues?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ServusError';
    this.code = code;
    this.path = options.path;
    this.issues = options.issues;
  }
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export const notFound = (what = 'conversation'): ServusError => new ServusError(ErrorCode.NOT_FOUND, `No such ${what}.`);

/** Anything that is not a ServusError becomes INTERNAL with a generic message. */
export function toPublicError(err: unknown): { code: ErrorCode; message: string; path?: string; issues?: FieldIssue[] } {
  if (err instanceof ServusError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.path ? { path: err.path } : {}),
      ...(err.issues ? { issues: err.issues } : {}),
    };
  }
  return { code: ErrorCode.INTERNAL, message: 'Internal error.' };
}

/** A zod issue, as much of it as the mappings read. */
interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
  input?: unknown;
  expected?: string;
  origin?: string;
  format?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  /** A custom issue may name its kind: `params: { kind: 'not_origin' }`. */
  params?: Record<string, unknown>;
}

/** At most this many issues go back with one refused request. */
const MAX_ISSUES = 20;

const LENGTH_KINDS: Record<string, [FieldIssueKind, FieldIssueKind]> = {
  string: ['too_long', 'too_short'],
  array: ['too_many', 'too_few'],
  set: ['too_many', 'too_few'],
};

/** What is wrong, in the vocabulary clients translate (FIELD_ISSUE_KINDS), from zod's issue codes. */
function issueKind(issue: Issue): { kind: FieldIssueKind; limit?: number } {
  // zod reports the input only when asked (`reportInput`, as parseJson does); without it, a missing
  // field says so in its message.
  const missing = 'input' in issue ? issue.input === undefined || issue.input === null : /received (undefined|null)/.test(issue.message);
  if (missing && issue.code !== 'custom' && issue.code !== 'unrecognized_keys') return { kind: 'required' };
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return { kind: typeof issue.input === 'number' ? 'not_integer' : 'not_number' };
      return { kind: issue.expected === 'number' ? 'not_number' : 'invalid' };
    case 'too_big':
      return { kind: LENGTH_KINDS[issue.origin ?? '']?.[0] ?? 'too_big', limit: Number(issue.maximum) };
    case 'too_small':
      // An empty text where one is needed is missing, not "too short".
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return { kind: 'required' };
      return { kind: LENGTH_KINDS[issue.origin ?? '']?.[1] ?? 'too_small', limit: Number(issue.minimum) };
    case 'invalid_format':
      return { kind: issue.format === 'url' ? 'not_url' : issue.format === 'email' ? 'not_email' : 'format' };
    case 'invalid_value':
    case 'invalid_union':
      return { kind: 'choice' };
    case 'unrecognized_keys':
      return { kind: 'unknown_field' };
    case 'custom': {
      const named = issue.params?.kind;
      return { kind: (FIELD_ISSUE_KINDS as readonly unknown[]).includes(named) ? (named as FieldIssueKind) : 'invalid' };
    }
    default:
      return { kind: 'invalid' };
  }
}

/** One zod issue as clients get it (`error.issues[]`): the field's path, the kind of problem, its bound. */
export function fieldIssue(issue: Issue): FieldIssue {
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys?.slice(0, 1) : undefined;
  const path = [...issue.path, ...(unknownKey ?? [])].map(String).join('.');
  const { kind, limit } = issueKind(issue);
  return {
    path,
    kind,
    ...(limit !== undefined && Number.isFinite(limit) ? { limit } : {}),
    message: unknownKey?.length ? 'unknown field' : issue.message,
  };
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
  return new ServusError(ErrorCode.BAD_FRAME, message, { path, issues: issues.slice(0, MAX_ISSUES).map(fieldIssue) });
}
