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

/** A limit that holds across instances: counted in Redis when it is configured and reachable. */
export interface SharedRateLimiter {
  /**
   * Counts one hit; false when the key is over its limit in the current window. Answers at once
   * (a boolean) while this instance holds an unused share of the key's window, else after a round
   * trip to Redis.
   */
  hit(key: string): boolean | Promise<boolean>;
  sweep(): void;
}

/** What a shared limiter needs of a Redis client (ioredis). */
export interface RedisCounterClient {
  readonly status: string;
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Counts a share (ARGV[1]) for each key, which expires after ARGV[2] ms; answers each key's count. */
const TAKE_SHARES = `local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCRBY', key, ARGV[1])
  if counts[i] == tonumber(ARGV[1]) then redis.call('PEXPIRE', key, ARGV[2]) end
end
return counts`;

/** Keys whose shares one script call takes at most. */
const TAKES_PER_CALL = 500;

/** The share of a window an instance takes at a time: this fraction of the limit (at least 1). */
export const SHARE_OF_LIMIT = 1 / 64;

export const shareOf = (limit: number) => Math.max(1, Math.floor(limit * SHARE_OF_LIMIT));

/**
 * Fixed windows in Redis, handed out in shares. An instance takes a share of a key's window from
 * Redis (an INCRBY: `share` more hits counted for the window) and answers the next hits on that
 * key locally until the share is used up; only then does a hit wait for Redis again (the shares
 * asked for in one turn of the event loop are taken in one round trip). Redis grants
 * no more than the limit in all (the last share is cut to what is left), so the instances together
 * never accept more than the limit in a window. They may accept fewer: a share one instance took and
 * did not use is not given to another, so a key on N instances may be refused up to (N − 1) × share
 * hits before its limit (share = limit / 64, at least 1: a limit under 128 is counted hit by hit,
 * exactly as one process would). While Redis is unreachable each instance counts on its own (the
 * limit then holds per instance): degraded, not refused.
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
  const share = shareOf(limit);
  type ShareState = { window: number; left: number; spent: boolean };
  /** This instance's share of each key's current window: hits left, and whether Redis has none left to give. */
  const shares = new Map<string, ShareState & { taking: Promise<void> | null }>();

  /** Shares asked for in this turn of the event loop: taken together, in one round trip, at its end. */
  let due: { redisKey: string; state: ShareState; done: () => void; failed: (err: unknown) => void }[] = [];

  /** Takes the next share of the key's window from Redis (one at a time per key). */
  function take(key: string, state: ShareState): Promise<void> {
    return new Promise((done, failed) => {
      if (due.length === 0) setImmediate(takeDue);
      due.push({ redisKey: `${prefix}rl:${name}:${key}:${state.window}`, state, done, failed });
    });
  }

  function takeDue(): void {
    const all = due;
    due = [];
    for (let i = 0; i < all.length; i += TAKES_PER_CALL) {
      const batch = all.slice(i, i + TAKES_PER_CALL);
      redis!.eval(TAKE_SHARES, batch.length, ...batch.map((b) => b.redisKey), share, windowMs * 2).then(
        (counts) => {
          batch.forEach(({ state, done }, k) => {
            const counted = Number((counts as unknown[])[k]);
            // What was counted before this share, and so how much of it is within the limit.
            const granted = Math.max(0, Math.min(share, limit - (counted - share)));
            state.left += granted;
            if (granted < share) state.spent = true;
            done();
          });
        },
        (err: unknown) => {
          for (const { failed } of batch) failed(err);
        },
      );
    }
  }

  function hit(key: string): boolean | Promise<boolean> {
    if (!redis || redis.status !== 'ready') return local.hit(key);
    const window = Math.floor(now() / windowMs);
    let state = shares.get(key);
    if (!state || state.window !== window) shares.set(key, (state = { window, left: 0, spent: false, taking: null }));
    if (state.left > 0) {
      state.left -= 1;
      return true;
    }
    if (state.spent) return false;
    const current = state;
    current.taking ??= take(key, current).finally(() => (current.taking = null));
    return current.taking.then(
      () => hit(key),
      () => local.hit(key),
    );
  }

  return {
    hit,
    sweep() {
      local.sweep();
      const window = Math.floor(now() / windowMs);
      for (const [key, state] of shares) if (state.window !== window && !state.taking) shares.delete(key);
    },
  };
}
