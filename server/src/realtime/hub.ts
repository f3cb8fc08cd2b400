// Pub/sub between the code that writes and the sockets that listen. In-process by default;
// with REDIS_URL the same messages cross instances through Redis (see redis-hub.ts).

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

export interface Hub {
  publish(topics: string[], message: HubMessage): void;
  subscribe(topic: string, listener: HubListener): () => void;
  close(): Promise<void>;
}

export const topics = {
  conversation: (id: string) => `c:${id}`,
  visitor: (id: string) => `v:${id}`,
  site: (key: string) => `s:${key}`,
  agent: (id: string) => `a:${id}`,
} as const;

export function createLocalHub(): Hub & { deliver(topic: string, message: HubMessage): void } {
  const listeners = new Map<string, Set<HubListener>>();
  function deliver(topic: string, message: HubMessage): void {
    const set = listeners.get(topic);
    if (!set) return;
    for (const listener of set) listener(message);
  }
  return {
    deliver,
    publish(topicList, message) {
      for (const topic of topicList) deliver(topic, message);
    },
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(topic);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
