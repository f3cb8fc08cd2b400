// Reconnect backoff for every client: capped exponential with full jitter (a random delay between 0
// and the capped step, never below the minimum), so clients that lost the server together do not
// come back together.
import { RECONNECT } from '../limits.js';

/** The delay before reconnect attempt `attempt` (0 for the first retry after a drop). */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  minMs: number = RECONNECT.minMs,
  maxMs: number = RECONNECT.maxMs,
): number {
  return Math.max(minMs, Math.floor(random() * Math.min(maxMs, minMs * 2 ** attempt)));
}
