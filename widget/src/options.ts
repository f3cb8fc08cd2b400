// Widget limits and timings: every one a named option with a small default. The socket's (outbox
// length, reconnect backoff, connect timeout) are shared/'s protocol defaults (limits.ts, RECONNECT),
// which the reconnecting socket applies itself; maxMessageChars equals the protocol's (a unit test
// keeps it so).

export const WIDGET_DEFAULTS = {
  /** Longest message the composer accepts (protocol: maxMessageChars; the server's welcome may lower it). */
  maxMessageChars: 4000,
  /** How long the visitor's typing indicator stays on without a keystroke. */
  typingIdleMs: 3_000,
  /** How long an agent's typing indicator is shown without a refresh (the server may miss the `false`). */
  typingShowMs: 8_000,
  /** Messages from the same author closer than this form one group. */
  groupGapMs: 5 * 60_000,
} as const;

/** Idle preload of the app chunk: requestIdleCallback timeout (and twice the fallback delay without it). */
export const IDLE_TIMEOUT_MS = 4_000;

/** Storage keys, one set per site key. */
export const storageKey = (site: string, name: string) => `servus:${site}:${name}`;
