// Fixed-window counters keyed by visitor, agent or socket. Small and allocation-free on the hot path.

export interface RateLimiter {
  /** Counts one hit; false when the key is over its limit in the current window. */
  hit(key: string): boolean;
  /** Drops expired windows (called from the heartbeat). */
  sweep(): void;
}

export function createRateLimiter({
  limit,
  windowMs,
  now = Date.now,
}: {
  limit: number;
  windowMs: number;
  now?: () => number;
}): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key) {
      const t = now();
      const w = windows.get(key);
      if (!w || t - w.start >= windowMs) {
        windows.set(key, { start: t, count: 1 });
        return true;
      }
      w.count += 1;
      return w.count <= limit;
    },
    sweep() {
      const t = now();
      for (const [key, w] of windows) if (t - w.start >= windowMs) windows.delete(key);
    },
  };
}
