// Stable error codes and WebSocket close codes. Clients switch on these, never on message text.

export const ErrorCode = {
  BAD_JSON: 'BAD_JSON',
  BAD_FRAME: 'BAD_FRAME',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  TOO_LARGE: 'TOO_LARGE',
  BAD_ENCODING: 'BAD_ENCODING',
  UNAUTHORIZED: 'UNAUTHORIZED',
  AUTH_TIMEOUT: 'AUTH_TIMEOUT',
  FORBIDDEN: 'FORBIDDEN',
  /** The page's origin is not among the site's allowed origins (the widget stops for good). */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  CONFLICT: 'CONFLICT',
  /** A cid this client already used for a different command (another conversation or kind). */
  CID_REUSED: 'CID_REUSED',
  INVALID_STATE: 'INVALID_STATE',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  INTERNAL: 'INTERNAL',
  /** An upload whose bytes are of a type the site does not accept (sniffed from the bytes, not the name). */
  UNSUPPORTED_TYPE: 'UNSUPPORTED_TYPE',
  /** An upload without a Content-Length, or whose body ended before it. */
  LENGTH_REQUIRED: 'LENGTH_REQUIRED',
  /** A per-conversation limit is reached (files per conversation). */
  LIMIT_REACHED: 'LIMIT_REACHED',
  /** The visitor's data was erased (GDPR): their socket is closed with CloseCode.ERASED. */
  ERASED: 'ERASED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * What is wrong with one field of a refused request (`error.issues[].kind`, docs/protocol.md): a
 * small stable vocabulary, so a client can say it in its own words and language. `limit` goes with
 * the `too_*` kinds.
 */
export const FIELD_ISSUE_KINDS = [
  /** Missing, or empty where a value is needed. */
  'required',
  /** More characters than `limit`. */
  'too_long',
  /** Fewer characters than `limit`. */
  'too_short',
  /** A number above `limit`. */
  'too_big',
  /** A number below `limit`. */
  'too_small',
  /** More entries than `limit`. */
  'too_many',
  /** Fewer entries than `limit`. */
  'too_few',
  'not_integer',
  'not_number',
  'not_url',
  'not_email',
  /** Not an origin such as https://shop.example (scheme, host, optional port; no path). */
  'not_origin',
  /** Not in the form the field needs (the message says which). */
  'format',
  /** Not one of the values allowed here. */
  'choice',
  /** The same value twice in a list. */
  'duplicate',
  /** A field the request may not have. */
  'unknown_field',
  'invalid',
] as const;
export type FieldIssueKind = (typeof FIELD_ISSUE_KINDS)[number];

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  /** The visitor's data was erased (an admin, their own request, retention): do not resume, start over. */
  ERASED: 4001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** HTTP status for each code, used by REST responses and rejected upgrades. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_JSON: 400,
  BAD_FRAME: 400,
  UNKNOWN_TYPE: 400,
  TOO_LARGE: 413,
  BAD_ENCODING: 400,
  UNAUTHORIZED: 401,
  AUTH_TIMEOUT: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  CID_REUSED: 409,
  INVALID_STATE: 409,
  SLOW_CONSUMER: 503,
  TOO_MANY_CONNECTIONS: 429,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  UNSUPPORTED_TYPE: 415,
  LENGTH_REQUIRED: 411,
  LIMIT_REACHED: 409,
  ERASED: 410,
};
