// Pub/sub across instances through Redis. Everything an instance publishes in one turn of the event
// loop (topic messages and news, in order) goes out at its end as one PUBLISH on one channel that
// every instance of the deployment subscribes; each delivers what its own listeners follow and
// skips the rest undecoded. An instance drops its own batches coming back by their first line.
// Listeners here hear this instance's own messages at once, never through Redis: a Redis outage
// stops news between instances but not delivery on the same one. Nothing is queued while Redis is
// down (commands fail at once): when it is back, the channel is subscribed again and onResync tells
// the listeners to catch up from the database, which holds everything that was written meanwhile.
// An instance starts without Redis and joins when Redis comes.
//
// The same batches carry calls between instances (write affinity, realtime/forwarding.ts): a
// request addressed to one instance and its answer, each a line the others skip by its address.
// A topic message says whether its publisher holds the conversation's visitor (`home`), which is
// how an instance learns where a conversation it follows is written.
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { ServusError, toPublicError } from '../core/errors.js';
import { createLocalDelivery, liveSubscription, type CallAnswer, type Hub, type HubMessage } from './hub.js';
import { redisOptions } from './redis.js';

/**
 * Entries in one PUBLISH at most: a turn of the event loop that produced more sends several, so no
 * single message holds Redis or a subscriber up for long. A whole write batch's frames (500
 * commands) fit in one: its sockets on another instance then get one write each, not several.
 */
export const PUBLISH_BATCH = 1024;

/** How long an instance counts as alive after its last batch (ms): calls go only to live instances. */
export const HEARD_LATELY_MS = 10_000;

/**
 * What one PUBLISH carries: messages for topics (with `home` when a `v:` topic is among them: whether
 * the publisher holds that visitor), news for every instance, and calls and their answers for one.
 */
export type HubEntry =
  | { topics: string[]; message: HubMessage; home?: boolean }
  | { channel: string; data: unknown }
  | { to: string; request: { id: number; method: string; args: unknown; after?: number } }
  | { to: string; answer: { id: number } & CallAnswer };

/**
 * One entry as lines of a batch. A topic message: a line of JSON with its topics and seqs, then the
 * agents' and the visitor's frame as they are (frames are JSON without a raw line break, so they
 * are not escaped into a JSON string a second time); a frame line is empty for null, and a JSON
 * string for a frame that is not a JSON object on one line. News: one line of JSON.
 */
export function encodeHubEntry(entry: HubEntry): string {
  if ('channel' in entry) return `n${JSON.stringify({ channel: entry.channel, data: entry.data })}\n`;
  // A call or an answer: its address before the JSON, so that the other instances skip it unparsed.
  if ('request' in entry) return `q${entry.to} ${JSON.stringify(entry.request)}\n`;
  if ('answer' in entry) return `r${entry.to} ${JSON.stringify(entry.answer)}\n`;
  const { conversationId, seq, visitorSeq, origin, agent, visitor } = entry.message;
  const head = JSON.stringify({ topics: entry.topics, conversationId, seq, visitorSeq, origin, home: entry.home });
  return `m${head}\n${frameLine(agent)}\n${frameLine(visitor)}\n`;
}

const frameLine = (frame: string | null) =>
  frame === null ? '' : frame.charCodeAt(0) === 123 /* { */ && !frame.includes('\n') ? frame : JSON.stringify(frame);
const frameOf = (line: string) => (line === '' ? null : line.charCodeAt(0) === 34 /* " */ ? (JSON.parse(line) as string) : line);

/**
 * The entries of a batch (after its first line, the publisher's id): topic messages only when
 * `wanted` says a listener here follows one of their topics (the others' frames are not decoded),
 * calls and answers only when addressed to `self`.
 */
export function decodeHubBatch(text: string, wanted: (topics: string[]) => boolean, self = ''): HubEntry[] {
  const entries: HubEntry[] = [];
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    const kind = text[at];
    if (kind === 'q' || kind === 'r') {
      const space = text.indexOf(' ', at);
      const to = space > 0 && space < end ? text.slice(at + 1, space) : null;
      if (to === self) {
        let body: Record<string, unknown> | null = null;
        try {
          body = JSON.parse(text.slice(space + 1, end)) as Record<string, unknown>;
        } catch {
          // One broken line costs its call (the caller's time runs out), never the batch's other entries.
        }
        if (body && typeof body.id === 'number')
          entries.push(kind === 'q' ? { to, request: body as never } : { to, answer: body as never });
      }
      at = end + 1;
      continue;
    }
    const json = text.slice(at + 1, end);
    if (kind === 'n') {
      entries.push(JSON.parse(json) as { channel: string; data: unknown });
      at = end + 1;
      continue;
    }
    const agentEnd = text.indexOf('\n', end + 1);
    const visitorEnd = text.indexOf('\n', agentEnd + 1);
    if (agentEnd < 0 || visitorEnd < 0) break;
    const { topics, home, ...head } = JSON.parse(json) as { topics: string[]; home?: boolean } & Omit<HubMessage, 'agent' | 'visitor'>;
    if (wanted(topics)) {
      const message = { ...head, agent: frameOf(text.slice(end + 1, agentEnd)), visitor: frameOf(text.slice(agentEnd + 1, visitorEnd)) };
      entries.push(home === undefined ? { topics, message } : { topics, message, home });
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

  /** When each other instance's last batch arrived (ms): calls go only to instances heard from lately. */
  const heard = new Map<string, number>();
  /** Instances that left a call unanswered: not called again until then (ms), or until they answer one. */
  const silentUntil = new Map<string, number>();
  /**
   * Calls from each other instance: the highest id heard, and ids it will not run (lost on the way,
   * or refused): a later call `after` one of them is refused too. A caller numbers its calls to each
   * instance 1, 2, 3 ... and Redis keeps their order, so a gap is a loss.
   */
  const callers = new Map<string, { last: number; refused: [number, number][] }>();
  /** Each instance's last call id from here. */
  const callIds = new Map<string, number>();
  /** Conversations followed here whose visitor another instance holds: that instance, and the visitor's topic. */
  const homes = new Map<string, { instance: string; visitorTopic: string }>();
  let prunesAt = 10_000;
  const handlers = new Map<string, (args: unknown) => Promise<unknown>>();
  /** Calls in flight, by instance and id. */
  const calls = new Map<string, { resolve: (answer: CallAnswer) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  const ready = () => pub.status === 'ready' && sub.status === 'ready';
  const wanted = (topics: string[]) => topics.some((topic) => local.hasTopic(topic));
  const visitorTopicOf = (topics: string[]) => topics.find((topic) => topic.startsWith('v:'));

  /** Where the conversation of a message from `from` is written: at `from` when it holds the visitor. */
  function learnHome(from: string, entry: { topics: string[]; message: HubMessage; home?: boolean }): void {
    if (entry.home === undefined) return;
    const id = entry.message.conversationId;
    if (entry.home) {
      homes.set(id, { instance: from, visitorTopic: visitorTopicOf(entry.topics)! });
      if (homes.size >= prunesAt) {
        // Conversations no socket here follows any more are forgotten, and so are instances long gone.
        for (const [conversationId] of homes) if (!local.hasTopic(`c:${conversationId}`)) homes.delete(conversationId);
        prunesAt = Math.max(10_000, homes.size * 2);
        const gone = Date.now() - 60 * HEARD_LATELY_MS;
        for (const [other, at] of heard) if (at < gone) for (const map of [heard, silentUntil, callers, callIds]) map.delete(other);
      }
    } else if (homes.get(id)?.instance === from) homes.delete(id);
  }

  function answerCall(from: string, request: { id: number; method: string; args: unknown; after?: number }): void {
    const reply = (answer: CallAnswer) => queue({ to: from, answer: { id: request.id, ...answer } });
    let caller = callers.get(from);
    if (!caller) callers.set(from, (caller = { last: 0, refused: [] }));
    const refuse = (why: string) => {
      caller.refused.push([request.id, request.id]);
      if (caller.refused.length > 64) caller.refused.shift();
      reply({ failed: why });
    };
    if (request.id > caller.last + 1) caller.refused.push([caller.last + 1, request.id - 1]);
    caller.last = Math.max(caller.last, request.id);
    const { after } = request;
    if (after !== undefined && caller.refused.some(([first, last]) => after >= first && after <= last))
      return refuse('a call before it did not run here');
    const handler = handlers.get(request.method);
    if (!handler) return refuse(`no handler for ${request.method}`);
    let running: Promise<unknown>;
    try {
      running = handler(request.args);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (ok) => reply({ ok }),
      (err: unknown) => {
        // It ran and failed: the caller's client gets the error it would get here (INTERNAL for a fault).
        if (!(err instanceof ServusError)) logger.error({ err, method: request.method }, 'call from another instance failed');
        reply({ error: toPublicError(err) });
      },
    );
  }

  sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => {
    // This instance's own batches come back from Redis too: its listeners heard them already.
    if (payload.length >= own.length && payload.compare(own, 0, own.length, 0, own.length) === 0) return;
    const text = payload.toString();
    const from = text.slice(0, text.indexOf('\n'));
    heard.set(from, Date.now());
    let entries: HubEntry[];
    try {
      entries = decodeHubBatch(text, wanted, instance);
    } catch (err) {
      logger.warn({ err }, 'undecodable hub batch dropped');
      return;
    }
    for (const entry of entries) {
      if ('channel' in entry) local.announce(entry.channel, entry.data);
      else if ('request' in entry) answerCall(from, entry.request);
      else if ('answer' in entry) {
        const { id, ...answer } = entry.answer;
        silentUntil.delete(from);
        const call = calls.get(`${from}:${id}`);
        if (!call) continue;
        calls.delete(`${from}:${id}`);
        clearTimeout(call.timer);
        call.resolve(answer as CallAnswer);
      } else {
        learnHome(from, entry);
        for (const topic of entry.topics) local.deliver(topic, entry.message);
      }
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
      const visitorTopic = visitorTopicOf(topics);
      queue(visitorTopic === undefined ? { topics, message } : { topics, message, home: local.hasTopic(visitorTopic) });
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
    homeOf(conversationId) {
      const home = homes.get(conversationId);
      if (!home || !ready() || local.hasTopic(home.visitorTopic)) return null;
      const now = Date.now();
      if (now < (silentUntil.get(home.instance) ?? 0)) return null;
      return now - (heard.get(home.instance) ?? 0) <= HEARD_LATELY_MS ? home.instance : null;
    },
    call(to, method, args, { timeoutMs, after }) {
      if (closed || !ready()) return Object.assign(Promise.reject(new Error('redis is unreachable')), { id: 0 });
      const id = (callIds.get(to) ?? 0) + 1;
      callIds.set(to, id);
      const key = `${to}:${id}`;
      const answer = new Promise<CallAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          calls.delete(key);
          silentUntil.set(to, Date.now() + HEARD_LATELY_MS);
          reject(new Error(`instance ${to} did not answer ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        calls.set(key, { resolve, reject, timer });
      });
      queue({ to, request: after === undefined ? { id, method, args } : { id, method, args, after } });
      return Object.assign(answer, { id });
    },
    handle(method, handler) {
      handlers.set(method, handler);
      return () => handlers.delete(method);
    },
    async close() {
      closed = true;
      for (const [key, call] of calls) {
        clearTimeout(call.timer);
        call.reject(new Error('hub closed'));
        calls.delete(key);
      }
      local.clear();
      resync.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
