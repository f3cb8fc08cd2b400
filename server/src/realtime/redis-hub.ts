// Pub/sub across instances through Redis: each topic is a Redis channel, subscribed while this
// instance has a listener for it. Everything, local listeners included, is delivered through Redis,
// so all instances see one order per topic.
import { Redis } from 'ioredis';
import type { Hub, HubListener, HubMessage } from './hub.js';
import type { Logger } from '../core/logger.js';

const PREFIX = 'servus:';

export async function createRedisHub(url: string, logger: Logger): Promise<Hub> {
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await Promise.all([pub.connect(), sub.connect()]);
  const listeners = new Map<string, Set<HubListener>>();
  sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
    const topic = channel.toString().slice(PREFIX.length);
    const set = listeners.get(topic);
    if (!set) return;
    let message: HubMessage;
    try {
      message = JSON.parse(payload.toString()) as HubMessage;
    } catch {
      return;
    }
    for (const listener of set) listener(message);
  });
  sub.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis subscriber error'));
  pub.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis publisher error'));
  return {
    publish(topics, message) {
      const payload = JSON.stringify(message);
      for (const topic of topics)
        void pub.publish(PREFIX + topic, payload).catch((err: unknown) => logger.error({ err }, 'redis publish failed'));
    },
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) {
        listeners.set(topic, (set = new Set()));
        void sub.subscribe(PREFIX + topic).catch((err: unknown) => logger.error({ err }, 'redis subscribe failed'));
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(topic);
          void sub.unsubscribe(PREFIX + topic).catch(() => {});
        }
      };
    },
    async close() {
      listeners.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
