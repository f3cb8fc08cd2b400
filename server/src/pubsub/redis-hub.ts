// Pub/sub across instances through Redis. Each topic is a Redis channel, subscribed while this
// instance has a listener for it; news goes on one control channel. Listeners here hear this
// instance's own messages at once, never through Redis: a Redis outage stops news between instances
// but not delivery on the same one. Nothing is queued while Redis is down (commands fail at once):
// when it is back, every topic is subscribed again and onResync tells the listeners to catch up from
// the database, which holds everything that was written meanwhile. An instance starts without Redis
// and joins when Redis comes.
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { createLocalDelivery, liveSubscription, type Hub, type HubMessage } from './hub.js';
import { redisOptions } from './redis.js';

interface Envelope {
  /** The instance that published it (it heard it already). */
  from: string;
  message?: HubMessage;
  channel?: string;
  data?: unknown;
}

export interface RedisHubOptions {
  /** Longest wait between two reconnection attempts (ms): how late at most a returned Redis is noticed. */
  maxReconnectDelayMs?: number;
  /** Prefix of every channel (REDIS_PREFIX): deployments sharing a Redis do not hear each other. */
  prefix?: string;
}

export function createRedisHub(url: string, logger: Logger, { maxReconnectDelayMs = 1000, prefix = 'servus:' }: RedisHubOptions = {}): Hub {
  const PREFIX = prefix;
  const CONTROL = `${PREFIX}!control`;
  const instance = randomBytes(6).toString('hex');
  const options = redisOptions(maxReconnectDelayMs);
  const pub = new Redis(url, options);
  const sub = new Redis(url, options);
  const local = createLocalDelivery();
  const resync = new Set<() => void>();
  /** Topics whose SUBSCRIBE Redis has not confirmed yet. */
  const pending = new Map<string, Promise<void>>();
  let closed = false;
  let downSince: number | null = Date.now();

  const channelOf = (topic: string) => PREFIX + topic;
  const ready = () => pub.status === 'ready' && sub.status === 'ready';

  sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload.toString()) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === instance) return;
    const name = channel.toString();
    if (name === CONTROL) {
      if (envelope.channel) local.announce(envelope.channel, envelope.data);
    } else if (envelope.message) local.deliver(name.slice(PREFIX.length), envelope.message);
  });

  /** Subscribes everything wanted now, then tells the listeners to catch up. */
  async function resubscribe(): Promise<void> {
    try {
      await sub.subscribe(CONTROL, ...[...local.topics()].map(channelOf));
    } catch (err) {
      logger.warn({ err }, 'redis resubscribe failed; retried on the next reconnection');
      return;
    }
    if (downSince !== null) logger.info({ downMs: Date.now() - downSince }, 'redis is back: catching up from the database');
    downSince = null;
    for (const listener of resync) {
      try {
        listener();
      } catch (err) {
        logger.error({ err }, 'resync listener failed');
      }
    }
  }

  sub.on('ready', () => void resubscribe());
  for (const client of [pub, sub]) {
    client.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
    client.on('close', () => {
      if (closed || downSince !== null) return;
      downSince = Date.now();
      logger.warn('redis is unreachable: live news between instances stops until it is back');
    });
    // Errors of the first attempt are retried by the strategy above; an instance does not wait for Redis.
    client.connect().catch(() => {});
  }

  function send(channel: string, envelope: Envelope): void {
    if (!ready()) return;
    pub.publish(channel, JSON.stringify(envelope)).catch((err: unknown) => logger.debug({ err }, 'redis publish failed'));
  }

  return {
    publish(topics, message) {
      for (const topic of topics) {
        local.deliver(topic, message);
        send(channelOf(topic), { from: instance, message });
      }
    },
    subscribe(topic, listener) {
      const off = local.add(
        topic,
        listener,
        () => {
          if (sub.status !== 'ready') return;
          // Settled either way: a failed subscribe is made good when Redis is back (resubscribe, resync).
          pending.set(
            topic,
            sub.subscribe(channelOf(topic)).then(
              () => void pending.delete(topic),
              () => void pending.delete(topic),
            ),
          );
        },
        () => {
          if (sub.status === 'ready') sub.unsubscribe(channelOf(topic)).catch(() => {});
        },
      );
      return liveSubscription(off, pending.get(topic) ?? Promise.resolve());
    },
    broadcast(channel, data) {
      local.announce(channel, data);
      send(CONTROL, { from: instance, channel, data });
    },
    onBroadcast: (channel, listener) => local.listen(channel, listener),
    onResync(listener) {
      resync.add(listener);
      return () => resync.delete(listener);
    },
    health: () => (ready() ? 'ok' : 'down'),
    async close() {
      closed = true;
      local.clear();
      resync.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
