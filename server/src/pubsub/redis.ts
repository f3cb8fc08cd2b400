// Redis connections as every part of Servus uses them: started without waiting (an instance does
// not need Redis to start), failing fast while Redis is unreachable (nothing queues up without
// bound; the database has everything), reconnecting by themselves with a capped backoff.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger.js';

export function redisOptions(maxReconnectDelayMs = 1000): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    retryStrategy: (times) => Math.min(maxReconnectDelayMs, 100 * 2 ** Math.min(times, 5)),
  };
}

/** A command connection (counters, rate limits); `status === 'ready'` while it can be used. */
export function createRedisClient(url: string, logger: Logger): Redis {
  const client = new Redis(url, redisOptions());
  client.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
  client.connect().catch(() => {});
  return client;
}
