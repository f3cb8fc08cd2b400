// Widget limits and timings: every one a named option with a small default. The protocol limits
// equal shared/src/limits.ts (a unit test keeps them so); the socket reads its limits from here.

export const WIDGET_DEFAULTS = {
  /** Commands kept for resending until acked (protocol: outboxLength). New sends beyond it are refused, never dropped. */
  outboxLength: 50,
  /** Longest message the composer accepts (protocol: maxMessageChars; the server's welcome may lower it). */
  maxMessageChars: 4000,
  /** Reconnect backoff, capped exponential with full jitter (protocol: RECONNECT). */
  reconnectMinMs: 500,
  reconnectMaxMs: 20_000,
  /** A socket that has not opened and said welcome by then is dropped and retried. */
  connectTimeoutMs: 10_000,
  /** How long the visitor's typing indicator stays on without a keystroke. */
  typingIdleMs: 3_000,
  /** How long an agent's typing indicator is shown without a refresh (the server may miss the `false`). */
  typingShowMs: 8_000,
  /** Messages from the same author closer than this form one group. */
  groupGapMs: 5 * 60_000,
  /** Show the length counter when this close to the limit. */
  counterThreshold: 0.8,
} as const;

/** Idle preload of the app chunk: requestIdleCallback timeout (and twice the fallback delay without it). */
export const IDLE_TIMEOUT_MS = 4_000;

/** Storage keys, one set per site key. */
export const storageKey = (site: string, name: string) => `servus:${site}:${name}`;
