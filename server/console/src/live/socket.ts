// The console's connection to /ws/agent: reconnects with capped exponential backoff and full jitter,
// keeps a bounded outbox of commands while offline, and lets the store resync after every (re)open.
import { RECONNECT, SUBPROTOCOL } from '@servus/shared';

export type SocketState = 'connecting' | 'open' | 'closed';

export interface LiveSocketOptions {
  url: string;
  /** Called with every parsed server frame. */
  onFrame: (frame: Record<string, unknown> & { type: string }) => void;
  /** Called after each successful open, before queued commands are flushed: say hello, resubscribe. */
  onOpen: (send: (frame: object) => void) => void;
  onState?: (state: SocketState) => void;
  /** Injectable for tests. */
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A socket that does not open within this time is abandoned and retried. */
  connectTimeoutMs?: number;
  /** Commands kept while offline; older ones are dropped (they carry cids, so the UI can retry). */
  outboxLength?: number;
}

/** Full jitter: a random delay between 0 and the capped exponential step (never below min). */
export function backoffDelay(attempt: number, { min, max, random }: { min: number; max: number; random: () => number }): number {
  const cap = Math.min(max, min * 2 ** attempt);
  return Math.max(min, Math.floor(random() * cap));
}

export function createLiveSocket({
  url,
  onFrame,
  onOpen,
  onState,
  WebSocketImpl = WebSocket,
  random = Math.random,
  minDelayMs = RECONNECT.minMs,
  maxDelayMs = RECONNECT.maxMs,
  connectTimeoutMs = 10_000,
  outboxLength = 50,
}: LiveSocketOptions) {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let state: SocketState = 'closed';
  const outbox: string[] = [];

  const setState = (s: SocketState) => {
    state = s;
    onState?.(s);
  };

  function schedule(): void {
    if (stopped || timer) return;
    const delay = backoffDelay(attempt++, { min: minDelayMs, max: maxDelayMs, random });
    timer = setTimeout(() => {
      timer = null;
      open();
    }, delay);
  }

  function open(): void {
    if (stopped) return;
    setState('connecting');
    const socket = new WebSocketImpl(url, [SUBPROTOCOL]);
    ws = socket;
    const connectTimer = setTimeout(() => socket.close(), connectTimeoutMs);
    socket.onopen = () => {
      clearTimeout(connectTimer);
      attempt = 0;
      setState('open');
      onOpen((frame) => socket.send(JSON.stringify(frame)));
      while (outbox.length && socket.readyState === 1) socket.send(outbox.shift()!);
    };
    socket.onmessage = (ev) => {
      let frame: unknown;
      try {
        frame = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && typeof (frame as { type?: unknown }).type === 'string') {
        onFrame(frame as Record<string, unknown> & { type: string });
      }
    };
    socket.onclose = () => {
      clearTimeout(connectTimer);
      if (ws !== socket) return;
      ws = null;
      setState('closed');
      schedule();
    };
    socket.onerror = () => {
      /* onclose follows and schedules the retry */
    };
  }

  return {
    get state() {
      return state;
    },
    start(): void {
      stopped = false;
      if (!ws && !timer) open();
    },
    /** Sends now, or keeps it for the next open (bounded). */
    send(frame: object): void {
      const json = JSON.stringify(frame);
      if (ws && ws.readyState === 1) ws.send(json);
      else {
        outbox.push(json);
        if (outbox.length > outboxLength) outbox.shift();
      }
    },
    /** Sends only when connected (typing, read): stale ones are worthless later. */
    sendVolatile(frame: object): void {
      if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
    },
    /**
     * After a sleep or a network change the socket may look open while being dead: reconnect now
     * instead of waiting for the heartbeat to notice, and skip any pending backoff.
     */
    reconnectNow(): void {
      if (stopped) return;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      attempt = 0;
      const old = ws;
      ws = null;
      if (old) {
        old.onclose = null;
        old.close();
      }
      open();
    },
    stop(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const old = ws;
      ws = null;
      if (old) {
        old.onclose = null;
        old.close();
      }
      setState('closed');
    },
  };
}

export type LiveSocket = ReturnType<typeof createLiveSocket>;
