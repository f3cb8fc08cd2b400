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

/** A limit that holds across instances: checked in Redis when it is configured and reachable. */
export interface SharedRateLimiter {
  /** Counts one hit; false when the key is over its limit in the current window. */
  hit(key: string): Promise<boolean>;
  sweep(): void;
}

/** What a shared limiter needs of a Redis client (ioredis). */
export interface RedisCounterClient {
  readonly status: string;
  multi(): { incr(key: string): unknown; pexpire(key: string, ms: number): unknown; exec(): Promise<[Error | null, unknown][] | null> };
}

/**
 * Fixed windows in Redis (one key per key and window, INCR and an expiry in one round trip), so
 * two instances count a visitor's messages together. While Redis is unreachable each instance
 * counts on its own (the limit then holds per instance): degraded, not refused.
 */
export function createSharedRateLimiter({
  name,
  limit,
  windowMs,
  redis,
  prefix = 'servus:',
  now = Date.now,
}: {
  name: string;
  /** Prefix of the Redis keys (REDIS_PREFIX). */
  prefix?: string;
  limit: number;
  windowMs: number;
  redis?: RedisCounterClient | undefined;
  now?: () => number;
}): SharedRateLimiter {
  const local = createRateLimiter({ limit, windowMs, now });
  return {
    async hit(key) {
      if (!redis || redis.status !== 'ready') return local.hit(key);
      const window = Math.floor(now() / windowMs);
      const redisKey = `${prefix}rl:${name}:${key}:${window}`;
      try {
        const tx = redis.multi();
        tx.incr(redisKey);
        tx.pexpire(redisKey, windowMs * 2);
        const replies = await tx.exec();
        const count = Number(replies?.[0]?.[1] ?? 0);
        return count <= limit;
      } catch {
        return local.hit(key);
      }
    },
    sweep: () => local.sweep(),
  };
}
