// The visitor socket: connects, says hello (token + resume point), reconnects with capped
// exponential backoff and full jitter, and keeps a bounded outbox persisted across reloads so a
// command is resent with the same cid until its ack arrives (the server dedups on cid).
import type { ServerFrame, VisitorContext } from '@servus/shared';
import { WIDGET_DEFAULTS } from './options.js';
import type { SafeStorage } from './storage.js';

/** A command that waits for an ack. */
export interface OutboxItem {
  cid: string;
  /** When the visitor sent it (epoch ms), to show it again after a reload. */
  at?: number;
  frame: { type: string; cid: string } & Record<string, unknown>;
}

export type ConnectionStatus = 'idle' | 'connecting' | 'online' | 'offline';

export interface TransportOptions {
  /** ws(s)://host/ws/visitor?site=KEY */
  url: string;
  storage: SafeStorage;
  /** Storage key prefix for this site. */
  key: (name: string) => string;
  /** Where to resume from (the app's state), sent in the hello. */
  resumePoint: () => { conversationId: string; lastSeq: number } | undefined;
  context: () => VisitorContext;
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** A command the server refused for good (not retried): the app marks it failed. */
  onRejected: (item: OutboxItem, code: string) => void;
  /** The stored token was unknown to the server: the app starts over as a new visitor. */
  onTokenRejected: () => void;
  WebSocket?: typeof WebSocket;
  random?: () => number;
  outboxLength?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  /** Wait before resending commands the server rate-limited. */
  rateLimitRetryMs?: number;
  /** Window to listen on for online/offline events (none in tests). */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

export interface Transport {
  readonly status: ConnectionStatus;
  start(): void;
  /** Queues a command until acked. False when the outbox is full (the caller shows an error; nothing is dropped). */
  send(frame: OutboxItem['frame'], at?: number): boolean;
  /** Fire-and-forget frames (typing, read receipts): sent only while online. */
  sendVolatile(frame: Record<string, unknown> & { type: string }): void;
  outbox(): readonly OutboxItem[];
  /** Forget everything (shutdown): close, clear token and outbox. */
  reset(): void;
  stop(): void;
}

/** Full-jitter backoff: a random delay between min and the capped exponential ceiling. */
export function backoffDelay(attempt: number, random: () => number, minMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** attempt);
  return Math.round(minMs + random() * (ceiling - minMs));
}

export function newCid(random: () => number = Math.random): string {
  return 'w-' + Date.now().toString(36) + '-' + Math.floor(random() * 2 ** 40).toString(36);
}

// One JSON object per line, not a JSON array: a host page's Array.prototype.toJSON (Prototype.js)
// would otherwise corrupt what we store.
const encodeOutbox = (items: readonly OutboxItem[]) => {
  let s = '';
  for (let i = 0; i < items.length; i++) s += (i ? '\n' : '') + JSON.stringify(items[i]);
  return s;
};
function decodeOutbox(raw: string | null, max: number): OutboxItem[] {
  const out: OutboxItem[] = [];
  if (!raw) return out;
  for (const line of raw.split('\n')) {
    try {
      const item = JSON.parse(line) as OutboxItem;
      if (item && typeof item.cid === 'string' && item.frame && typeof item.frame.type === 'string' && out.length < max) out.push(item);
    } catch {
      // a damaged line is skipped, the rest survive
    }
  }
  return out;
}

export function createTransport({
  url,
  storage,
  key,
  resumePoint,
  context,
  onFrame,
  onStatus,
  onRejected,
  onTokenRejected,
  WebSocket: WS = WebSocket,
  random = Math.random,
  outboxLength = WIDGET_DEFAULTS.outboxLength,
  reconnectMinMs = WIDGET_DEFAULTS.reconnectMinMs,
  reconnectMaxMs = WIDGET_DEFAULTS.reconnectMaxMs,
  connectTimeoutMs = WIDGET_DEFAULTS.connectTimeoutMs,
  rateLimitRetryMs = 10_000,
  events = typeof window === 'undefined' ? null : window,
}: TransportOptions): Transport {
  let ws: WebSocket | null = null;
  let status: ConnectionStatus = 'idle';
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = true;
  let items = decodeOutbox(storage.get(key('outbox')), outboxLength);
  const inFlight = new Set<string>();

  const setStatus = (s: ConnectionStatus) => {
    if (s === status) return;
    status = s;
    onStatus(s);
  };
  const persist = () => (items.length ? storage.set(key('outbox'), encodeOutbox(items)) : storage.remove(key('outbox')));
  const raw = (frame: unknown) => {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  };
  const flush = () => {
    if (status !== 'online') return;
    for (const item of items) {
      if (inFlight.has(item.cid)) continue;
      inFlight.add(item.cid);
      raw(item.frame);
    }
  };

  const clearTimers = () => {
    clearTimeout(retryTimer);
    clearTimeout(connectTimer);
    clearTimeout(flushTimer);
  };

  const drop = (sock: WebSocket | null) => {
    if (!sock) return;
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
    try {
      sock.close();
    } catch {
      // already closing
    }
  };

  const scheduleReconnect = () => {
    if (stopped) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, backoffDelay(attempt++, random, reconnectMinMs, reconnectMaxMs));
  };

  const lost = () => {
    drop(ws);
    ws = null;
    inFlight.clear();
    clearTimeout(connectTimer);
    setStatus('offline');
    scheduleReconnect();
  };

  function connect() {
    if (stopped) return;
    clearTimers();
    drop(ws);
    inFlight.clear();
    if (status !== 'offline') setStatus('connecting');
    let sock: WebSocket;
    try {
      sock = new WS(url, ['servus.v1']);
    } catch {
      lost();
      return;
    }
    ws = sock;
    connectTimer = setTimeout(lost, connectTimeoutMs);
    sock.onopen = () => {
      const token = storage.get(key('token'));
      const resume = resumePoint();
      raw({ type: 'visitor.hello', ...(token ? { token } : {}), ...(resume ? { resume } : {}), context: context() });
    };
    sock.onmessage = (ev: MessageEvent) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        clearTimeout(connectTimer);
        attempt = 0;
        if (frame.token) storage.set(key('token'), frame.token);
        onFrame(frame);
        setStatus('online');
        flush();
        return;
      }
      if (frame.type === 'ack') {
        const before = items.length;
        items = items.filter((i) => i.cid !== frame.cid);
        inFlight.delete(frame.cid);
        if (items.length !== before) persist();
      } else if (frame.type === 'error') {
        if (frame.cid) {
          const item = items.find((i) => i.cid === frame.cid);
          inFlight.delete(frame.cid);
          if (item && frame.code === 'RATE_LIMITED') {
            clearTimeout(flushTimer);
            flushTimer = setTimeout(flush, rateLimitRetryMs);
          } else if (item) {
            items = items.filter((i) => i !== item);
            persist();
            onRejected(item, frame.code);
          }
        } else if (frame.code === 'UNAUTHORIZED' && status !== 'online') {
          // Our token is unknown (the visitor was deleted or the database reset): start over.
          storage.remove(key('token'));
          onTokenRejected();
        }
      }
      onFrame(frame);
    };
    sock.onclose = lost;
    sock.onerror = lost;
  }

  const onOnline = () => {
    if (stopped || status === 'online') return;
    attempt = 0;
    connect();
  };
  const onOffline = () => {
    if (!stopped) lost();
  };

  return {
    get status() {
      return status;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      events?.addEventListener('online', onOnline);
      events?.addEventListener('offline', onOffline);
      connect();
    },
    send(frame, at) {
      if (items.some((i) => i.cid === frame.cid)) return true;
      if (items.length >= outboxLength) return false;
      items.push({ cid: frame.cid, frame, ...(at ? { at } : {}) });
      persist();
      flush();
      return true;
    },
    sendVolatile(frame) {
      if (status === 'online') raw(frame);
    },
    outbox: () => items,
    reset() {
      this.stop();
      items = [];
      storage.remove(key('outbox'));
      storage.remove(key('token'));
      status = 'idle';
    },
    stop() {
      stopped = true;
      clearTimers();
      events?.removeEventListener('online', onOnline);
      events?.removeEventListener('offline', onOffline);
      drop(ws);
      ws = null;
      inFlight.clear();
      setStatus('idle');
    },
  };
}
