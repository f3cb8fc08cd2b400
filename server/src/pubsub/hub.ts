// Pub/sub between the code that writes and the sockets that listen, and news between instances.
// In-process by default; with REDIS_URL the same messages cross instances through Redis
// (redis-hub.ts). The database is the truth: what the hub carries is news of it, so a message lost
// in a Redis outage is made good from the database (onResync), never the other way round.

/** A frame ready to send, serialised once for each audience. */
export interface HubMessage {
  /** Conversation the frame belongs to. */
  conversationId: string;
  /** Logged frames: the agents' seq and the visitor's seq (null: agents only). */
  seq?: number;
  visitorSeq?: number | null;
  /** JSON for agents, and for the visitor (null: not for the visitor). */
  agent: string | null;
  visitor: string | null;
  /** The socket that caused it, so typing indicators are not echoed back. */
  origin?: string;
}

export type HubListener = (message: HubMessage) => void;

export type HubHealth = 'ok' | 'down' | 'off';

/**
 * Another instance's answer to a call: its handler's result, its error (public, as a client would
 * get it), or `failed` when the handler did not run there (none for the method, or a call before
 * it was lost): the caller then does the work itself.
 */
export type CallAnswer = { ok: unknown } | { error: { code: string; message: string; path?: string } } | { failed: string };

/** A call in flight, with its id (for a later call's `after`). */
export type Call = Promise<CallAnswer> & { id: number };

/**
 * Stops listening when called. `ready` resolves once messages published from now on reach the
 * listener, also from other instances (Redis confirmed the subscription): read the database after
 * it, and nothing falls between the read and the live messages.
 */
export type Subscription = (() => void) & { ready: Promise<void> };

/** A subscription that is live at once (in-process). */
export const liveSubscription = (off: () => void, ready: Promise<void> = Promise.resolve()): Subscription => Object.assign(off, { ready });

export interface Hub {
  /** Delivers to this instance's listeners at once, and to the other instances' through Redis. */
  publish(topics: string[], message: HubMessage): void;
  subscribe(topic: string, listener: HubListener): Subscription;
  /** News for every instance (a cache to drop, presence to reload), this one included. */
  broadcast(channel: string, data: unknown): void;
  onBroadcast(channel: string, listener: (data: unknown) => void): () => void;
  /**
   * Called when news from other instances may have been lost (Redis came back after an outage, or
   * first became reachable): listeners catch up from the database.
   */
  onResync(listener: () => void): () => void;
  /** 'off': one instance, in-process; 'down': Redis is unreachable (this instance still serves). */
  health(): HubHealth;
  /**
   * Write affinity: the instance that holds the visitor of a conversation followed here, when that
   * is another instance heard from lately (learned from its frames); null when it is this one, not
   * known, or Redis is down.
   */
  homeOf(conversationId: string): string | null;
  /**
   * Runs another instance's handler of `method`; rejects when Redis is down or no answer comes
   * within timeoutMs. `after`: a call to the same instance that must have reached it first (its
   * id); if it was lost on the way, this one is not run there either (answered `failed`), so a
   * caller that then does the work itself keeps their order.
   */
  call(instance: string, method: string, args: unknown, options: { timeoutMs: number; after?: number | undefined }): Call;
  /** What this instance runs when another calls `method`: its result or its ServusError goes back. */
  handle(method: string, handler: (args: unknown) => Promise<unknown>): () => void;
  close(): Promise<void>;
}

export const topics = {
  conversation: (id: string) => `c:${id}`,
  visitor: (id: string) => `v:${id}`,
  site: (key: string) => `s:${key}`,
  agent: (id: string) => `a:${id}`,
} as const;

/** Listeners by topic and by broadcast channel: what both hubs deliver to locally. */
export function createLocalDelivery() {
  const listeners = new Map<string, Set<HubListener>>();
  const news = new Map<string, Set<(data: unknown) => void>>();
  return {
    deliver(topic: string, message: HubMessage): void {
      const set = listeners.get(topic);
      if (set) for (const listener of set) listener(message);
    },
    hasTopic: (topic: string) => listeners.has(topic),
    topics: () => listeners.keys(),
    /** Adds a listener; `first` is told when the topic gets its first listener, `last` when it loses it. */
    add(topic: string, listener: HubListener, first?: () => void, last?: () => void): () => void {
      let set = listeners.get(topic);
      if (!set) {
        listeners.set(topic, (set = new Set()));
        first?.();
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(topic) === set) {
          listeners.delete(topic);
          last?.();
        }
      };
    },
    announce(channel: string, data: unknown): void {
      for (const listener of news.get(channel) ?? []) listener(data);
    },
    listen(channel: string, listener: (data: unknown) => void): () => void {
      let set = news.get(channel);
      if (!set) news.set(channel, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    clear(): void {
      listeners.clear();
      news.clear();
    },
  };
}

export function createLocalHub(): Hub {
  const local = createLocalDelivery();
  return {
    publish(topicList, message) {
      for (const topic of topicList) local.deliver(topic, message);
    },
    subscribe: (topic, listener) => liveSubscription(local.add(topic, listener)),
    broadcast: (channel, data) => local.announce(channel, data),
    onBroadcast: (channel, listener) => local.listen(channel, listener),
    onResync: () => () => {},
    health: () => 'off',
    homeOf: () => null,
    call: () => Object.assign(Promise.reject(new Error('one instance: no other to call')), { id: 0 }),
    handle: () => () => {},
    async close() {
      local.clear();
    },
  };
}
