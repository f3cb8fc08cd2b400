// Pub/sub across instances through Redis. Everything an instance publishes in one turn of the event
// loop (topic messages and news, in order) goes out at its end as one PUBLISH on one channel that
// every instance of the deployment subscribes; each delivers what its own listeners follow and
// skips the rest undecoded. An instance drops its own batches coming back by their first line.
// Listeners here hear this instance's own messages at once, never through Redis: a Redis outage
// stops news between instances but not delivery on the same one. Nothing is queued while Redis is
// down (commands fail at once): when it is back, the channel is subscribed again and onResync tells
// the listeners to catch up from the database, which holds everything that was written meanwhile.
// An instance starts without Redis and joins when Redis comes.
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { createLocalDelivery, liveSubscription, type Hub, type HubMessage } from './hub.js';
import { redisOptions } from './redis.js';

/**
 * Entries (topic messages and news) in one PUBLISH at most: a turn of the event loop that produced
 * more sends several, so no single message holds Redis or a subscriber up for long.
 */
export const PUBLISH_BATCH = 256;

/** What one PUBLISH carries: messages for topics, and news for every instance. */
export type HubEntry = { topics: string[]; message: HubMessage } | { channel: string; data: unknown };

/**
 * One entry as lines of a batch. A topic message: a line of JSON with its topics and seqs, then the
 * agents' and the visitor's frame as they are (frames are JSON without a raw line break, so they
 * are not escaped into a JSON string a second time); a frame line is empty for null, and a JSON
 * string for a frame that is not a JSON object on one line. News: one line of JSON.
 */
export function encodeHubEntry(entry: HubEntry): string {
  if ('channel' in entry) return `n${JSON.stringify({ channel: entry.channel, data: entry.data })}\n`;
  const { conversationId, seq, visitorSeq, origin, agent, visitor } = entry.message;
  const head = JSON.stringify({ topics: entry.topics, conversationId, seq, visitorSeq, origin });
  return `m${head}\n${frameLine(agent)}\n${frameLine(visitor)}\n`;
}

const frameLine = (frame: string | null) =>
  frame === null ? '' : frame.charCodeAt(0) === 123 /* { */ && !frame.includes('\n') ? frame : JSON.stringify(frame);
const frameOf = (line: string) => (line === '' ? null : line.charCodeAt(0) === 34 /* " */ ? (JSON.parse(line) as string) : line);

/**
 * The entries of a batch (after its first line, the publisher's id), topic messages only when
 * `wanted` says a listener here follows one of their topics: the others' frames are not decoded.
 */
export function decodeHubBatch(text: string, wanted: (topics: string[]) => boolean): HubEntry[] {
  const entries: HubEntry[] = [];
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    const json = text.slice(at + 1, end);
    if (text[at] === 'n') {
      entries.push(JSON.parse(json) as { channel: string; data: unknown });
      at = end + 1;
      continue;
    }
    const agentEnd = text.indexOf('\n', end + 1);
    const visitorEnd = text.indexOf('\n', agentEnd + 1);
    if (agentEnd < 0 || visitorEnd < 0) break;
    const { topics, ...head } = JSON.parse(json) as { topics: string[] } & Omit<HubMessage, 'agent' | 'visitor'>;
    if (wanted(topics)) {
      const message = { ...head, agent: frameOf(text.slice(end + 1, agentEnd)), visitor: frameOf(text.slice(agentEnd + 1, visitorEnd)) };
      entries.push({ topics, message });
    }
    at = visitorEnd + 1;
  }
  return entries;
}

export interface RedisHubOptions {
  /** Longest wait between two reconnection attempts (ms): how late at most a returned Redis is noticed. */
  maxReconnectDelayMs?: number;
  /** Prefix of the channel (REDIS_PREFIX): deployments sharing a Redis do not hear each other. */
  prefix?: string;
}

export function createRedisHub(url: string, logger: Logger, { maxReconnectDelayMs = 1000, prefix = 'servus:' }: RedisHubOptions = {}): Hub {
  const CHANNEL = `${prefix}!hub`;
  const instance = randomBytes(6).toString('hex');
  /** The first line of this instance's own batches, to recognise them undecoded. */
  const own = Buffer.from(`${instance}\n`);
  const options = redisOptions(maxReconnectDelayMs);
  const pub = new Redis(url, options);
  const sub = new Redis(url, options);
  const local = createLocalDelivery();
  const resync = new Set<() => void>();
  /** Settles once Redis confirmed the channel's subscription (null while Redis is away). */
  let subscribed: Promise<void> | null = null;
  /** Entries published in this turn of the event loop, sent together at its end. */
  let outbox: string[] = [];
  let closed = false;
  let downSince: number | null = Date.now();

  const ready = () => pub.status === 'ready' && sub.status === 'ready';
  const wanted = (topics: string[]) => topics.some((topic) => local.hasTopic(topic));

  sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => {
    // This instance's own batches come back from Redis too: its listeners heard them already.
    if (payload.length >= own.length && payload.compare(own, 0, own.length, 0, own.length) === 0) return;
    let entries: HubEntry[];
    try {
      entries = decodeHubBatch(payload.toString(), wanted);
    } catch (err) {
      logger.warn({ err }, 'undecodable hub batch dropped');
      return;
    }
    for (const entry of entries) {
      if ('channel' in entry) local.announce(entry.channel, entry.data);
      else for (const topic of entry.topics) local.deliver(topic, entry.message);
    }
  });

  /** Subscribes the channel, then tells the listeners to catch up. */
  async function resubscribe(): Promise<void> {
    const confirmed = sub.subscribe(CHANNEL).then(() => {});
    subscribed = confirmed.catch(() => {});
    try {
      await confirmed;
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
      subscribed = null;
      if (closed || downSince !== null) return;
      downSince = Date.now();
      logger.warn('redis is unreachable: live news between instances stops until it is back');
    });
    // Errors of the first attempt are retried by the strategy above; an instance does not wait for Redis.
    client.connect().catch(() => {});
  }

  /** Nothing is queued while Redis is away: the database has it, and a resync catches up from there. */
  function queue(entry: HubEntry): void {
    if (!ready()) return;
    if (outbox.length === 0) setImmediate(flush);
    outbox.push(encodeHubEntry(entry));
  }

  /** Sends this turn's entries, PUBLISH_BATCH to a message, in the order published. */
  function flush(): void {
    const entries = outbox;
    outbox = [];
    if (!ready()) return;
    for (let i = 0; i < entries.length; i += PUBLISH_BATCH) {
      const payload = `${instance}\n${entries.slice(i, i + PUBLISH_BATCH).join('')}`;
      pub.publish(CHANNEL, payload).catch((err: unknown) => logger.debug({ err }, 'redis publish failed'));
    }
  }

  return {
    publish(topics, message) {
      for (const topic of topics) local.deliver(topic, message);
      queue({ topics, message });
    },
    // Every instance hears the whole channel: a topic is live here as soon as the channel is.
    subscribe: (topic, listener) => liveSubscription(local.add(topic, listener), subscribed ?? Promise.resolve()),
    broadcast(channel, data) {
      local.announce(channel, data);
      queue({ channel, data });
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
