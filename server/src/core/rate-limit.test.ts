// Shared rate limits against a real Redis: two limiters with a client each stand for two instances.
// Together they never accept more than the limit, and most hits are answered without a round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createSharedRateLimiter, shareOf } from './rate-limit.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('shared rate limits', () => {
  let clients: Redis[];
  let prefix: string;
  beforeAll(async () => {
    clients = [new Redis(REDIS_URL, { lazyConnect: true }), new Redis(REDIS_URL, { lazyConnect: true })];
    await Promise.all(clients.map((c) => c.connect()));
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
  // Keys of one test never meet another's (the machine's Redis is shared).
  // A clock of their own: a window boundary passing mid-test would start a fresh count.
  const T0 = 1_000 * 60_000;
  const instances = (limit: number, now = () => T0) => {
    prefix = `rl-test-${randomBytes(6).toString('hex')}:`;
    return clients.map((redis) => createSharedRateLimiter({ name: 'm', limit, windowMs: 60_000, redis, prefix, now }));
  };

  /** Hits the key `n` times on each limiter, all at once (concurrent hits on one instance wait for its round trip). */
  async function burst(limiters: ReturnType<typeof instances>, n: number): Promise<number> {
    const answers = await Promise.all(Array.from({ length: n }, () => limiters.map((limiter) => limiter.hit('visitor-1'))).flat());
    return answers.filter(Boolean).length;
  }

  /** Hits the key `n` times on each limiter in turn, one after the other as a socket's messages come; counts round trips. */
  async function alternate(limiters: ReturnType<typeof instances>, n: number) {
    let accepted = 0;
    let waited = 0;
    for (let i = 0; i < n; i++) {
      for (const limiter of limiters) {
        let answer = limiter.hit('visitor-1');
        if (typeof answer !== 'boolean') {
          waited += 1;
          answer = await answer;
        }
        if (answer) accepted += 1;
      }
    }
    return { accepted, waited };
  }

  it('counts a small limit hit by hit across instances: exactly the limit is accepted', async () => {
    expect(shareOf(20)).toBe(1);
    expect(await burst(instances(20), 20)).toBe(20);
    // One round trip per accepted hit, and one per instance to learn that the window is spent: its
    // further hits are refused at once.
    expect(await alternate(instances(20), 20)).toEqual({ accepted: 20, waited: 22 });
  });

  it('answers a large limit from shares: never more than the limit, at most one share fewer, one round trip per share', async () => {
    const limit = 6400;
    const share = shareOf(limit);
    expect(share).toBe(100);
    // 10,000 hits against 6,400: Redis hands out 6,400 in shares; one instance may be left holding
    // part of a share it did not use (the documented tolerance: (instances − 1) × share).
    const { accepted, waited } = await alternate(instances(limit), 5000);
    expect(accepted).toBeLessThanOrEqual(limit);
    expect(accepted).toBeGreaterThanOrEqual(limit - share);
    // One round trip per share, and one per instance for the refusal that found the window spent.
    expect(waited).toBeLessThanOrEqual(limit / share + 2);
    expect(Number(await clients[0]!.get(`${prefix}rl:m:visitor-1:${T0 / 60_000}`))).toBeGreaterThanOrEqual(limit);
    // All at once: the same bound.
    const concurrent = await burst(instances(limit), 5000);
    expect(concurrent).toBeLessThanOrEqual(limit);
    expect(concurrent).toBeGreaterThanOrEqual(limit - share);
  });

  it('starts every window afresh', async () => {
    let t = T0;
    const limiters = instances(640, () => t);
    // A share taken for the last few hits on one instance may stay partly unused: at most one share fewer.
    const first = await burst(limiters, 400);
    expect(first).toBeGreaterThanOrEqual(640 - shareOf(640));
    // Later hits in the window use up what is left of a share and no more.
    expect(first + (await burst(limiters, 10))).toBeLessThanOrEqual(640);
    t += 60_000;
    expect(await burst(limiters, 300)).toBe(600);
  });

  it('counts on its own while Redis is unreachable (degraded, not refused)', async () => {
    const away = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    away.on('error', () => {});
    const limiter = createSharedRateLimiter({ name: 'm', limit: 20, windowMs: 60_000, redis: away, prefix: 'unreachable:' });
    const answers = await Promise.all(Array.from({ length: 30 }, () => limiter.hit('visitor-1')));
    expect(answers.filter(Boolean)).toHaveLength(20);
    away.disconnect();
  });
});
