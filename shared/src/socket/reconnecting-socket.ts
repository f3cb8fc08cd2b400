// The one reconnecting WebSocket both browser clients use (widget and console): connects with a
// connect timeout, says hello on every open, reconnects with capped full-jitter backoff, and keeps a
// bounded outbox in which every command (a frame with a `cid`) waits until it is settled exactly
// once: by its ack, by an error frame with its cid, or locally (outbox full, timed out, closed for
// good). Commands are resent with the same cid after a reconnect; the server dedups on cid.
// The environment (WebSocket, timers, randomness, storage) is injectable. Docs: docs/architecture.md.
import type { ErrorCode } from '../codes.js';
import { OUTBOX_LENGTH, RECONNECT, SUBPROTOCOL } from '../limits.js';
import type { AckFrame, ErrorFrame, ServerFrame } from '../protocol.js';
import { backoffDelay } from './backoff.js';

export type SocketStatus = 'idle' | 'connecting' | 'online' | 'offline';

/** Why a command settled without an answer from the server. */
export const CommandFailure = {
  /** The outbox was full of commands: the new one was refused. */
  OUTBOX_FULL: 'OUTBOX_FULL',
  /** No ack or error within `commandTimeoutMs` of sending it. */
  TIMEOUT: 'TIMEOUT',
  /** The socket was closed for good (`close()`), e.g. on logout. */
  CLOSED: 'CLOSED',
} as const;
export type CommandFailure = (typeof CommandFailure)[keyof typeof CommandFailure];

export type CommandResult = { ok: true; ack: AckFrame } | { ok: false; code: ErrorCode | CommandFailure; error?: ErrorFrame };

/** What the outbox takes: a command has a `cid` and waits for its ack; a frame without one is sent once. */
export interface OutgoingFrame {
  type: string;
  cid?: string;
}

export interface OutboxItem<F extends OutgoingFrame = OutgoingFrame> {
  cid?: string;
  /** When the user sent it (epoch ms), for showing it again after a reload. */
  at?: number;
  frame: F;
}

export interface SocketTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Storage that never throws (see the widget's safeStorage): the outbox survives a reload in it. */
export interface SocketStorage {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/** `F`: the frames the client sends; `In`: the frames its endpoint sends (VisitorServerFrame, AgentServerFrame). */
export interface ReconnectingSocketOptions<F extends OutgoingFrame, In extends ServerFrame = ServerFrame> {
  url: string;
  /** Says hello and resumes (from the last seq the app holds) on every open, before any queued frame goes out. */
  onOpen: (send: (frame: object) => void) => void;
  /** Every frame the server sends, after the outbox has settled what it answers. */
  onFrame: (frame: In) => void;
  onStatus?: (status: SocketStatus) => void;
  /** Every command settles here exactly once, also those restored from storage. */
  onSettled?: (item: OutboxItem<F>, result: CommandResult) => void;
  /** Each lost socket or failed attempt (the status stays 'offline' while it retries). */
  onDrop?: () => void;
  /** Online only once the server's `welcome` arrives (queued frames wait for it); otherwise as soon as the socket opens. */
  awaitWelcome?: boolean;
  protocols?: string[];
  WebSocket?: new (url: string, protocols: string[]) => WebSocket;
  timers?: SocketTimers;
  random?: () => number;
  /** With `storageKey`, where the outbox is kept across reloads (commands only). */
  storage?: SocketStorage;
  storageKey?: string;
  /**
   * Frames kept until settled (commands) or sent (frames without a cid). When full, the oldest frame
   * without a cid makes room (onOpen says it again anyway); with none, a new command is refused.
   */
  outboxLength?: number;
  /** A command without ack or error this long after `send` settles with TIMEOUT and is not resent. 0: never. */
  commandTimeoutMs?: number;
  /** A socket that is not online this long after the attempt began is dropped and retried. */
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** 0: a RATE_LIMITED error settles the command. Otherwise the command is kept and resent after this long. */
  rateLimitRetryMs?: number;
  /** Where the browser says `online` (reconnect now) and `offline` (drop, retry with backoff) while started; null: not listened to. */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

export interface ReconnectingSocket<F extends OutgoingFrame> {
  readonly status: SocketStatus;
  /** Connects (again after `stop`); queued commands go out once online. */
  start(): void;
  /**
   * Queues a frame until it is sent (no cid) or settled (cid; `onSettled` hears the result). False
   * when refused because the outbox is full of commands (settled with OUTBOX_FULL then). A cid
   * already waiting is not queued twice.
   */
  send(frame: F, at?: number): boolean;
  /** Sent only while online (typing, read receipts): worthless later. */
  sendVolatile(frame: object): void;
  outbox(): readonly OutboxItem<F>[];
  /** Drops the socket and connects again now, without backoff (back online, back from sleep). */
  reconnectNow(): void;
  /** Pauses: closes the socket; queued commands wait for the next `start`. */
  stop(): void;
  /** Closes for good: every waiting command settles with CLOSED and the stored outbox is removed. */
  close(): void;
}

// One JSON object per line, not a JSON array: a host page's Array.prototype.toJSON (Prototype.js)
// would otherwise corrupt what is stored.
const encode = (items: readonly OutboxItem[]) => items.map((item) => JSON.stringify(item)).join('\n');

function decode<F extends OutgoingFrame>(raw: string | null, max: number): OutboxItem<F>[] {
  const out: OutboxItem<F>[] = [];
  for (const line of raw ? raw.split('\n') : []) {
    try {
      const item = JSON.parse(line) as OutboxItem<F>;
      if (typeof item?.cid === 'string' && typeof item.frame?.type === 'string' && out.length < max) out.push(item);
    } catch {
      // a damaged line is skipped, the rest survive
    }
  }
  return out;
}

export function createReconnectingSocket<F extends OutgoingFrame, In extends ServerFrame = ServerFrame>({
  url,
  onOpen,
  onFrame,
  onStatus,
  onSettled,
  onDrop,
  awaitWelcome = false,
  protocols = [SUBPROTOCOL],
  WebSocket: WS = WebSocket,
  timers = globalThis,
  random = Math.random,
  storage,
  storageKey = '',
  outboxLength = OUTBOX_LENGTH,
  commandTimeoutMs = 15_000,
  connectTimeoutMs = 10_000,
  reconnectMinMs = RECONNECT.minMs,
  reconnectMaxMs = RECONNECT.maxMs,
  rateLimitRetryMs = 0,
  events = typeof window === 'undefined' ? null : window,
}: ReconnectingSocketOptions<F, In>): ReconnectingSocket<F> {
  let ws: WebSocket | null = null;
  let status: SocketStatus = 'idle';
  let attempt = 0;
  let stopped = true;
  let retryTimer: unknown;
  let connectTimer: unknown;
  let flushTimer: unknown;
  const keep = storage && storageKey;
  let items: OutboxItem<F>[] = keep ? decode(storage.get(storageKey), outboxLength) : [];
  /** Commands sent on the current socket: not sent again until it is replaced. */
  const inFlight = new Set<string>();
  /** The timeout of each waiting command. */
  const timeouts = new Map<string, unknown>();

  const later = (fn: () => void, ms: number) => timers.setTimeout(fn, ms);
  const cancel = (id: unknown) => timers.clearTimeout(id);
  const setStatus = (next: SocketStatus) => {
    if (next === status) return;
    status = next;
    onStatus?.(next);
  };
  const persist = () => {
    if (!keep) return;
    if (items.length) storage.set(storageKey, encode(items));
    else storage.remove(storageKey);
  };
  const raw = (frame: object) => {
    if (ws?.readyState === 1) ws.send(JSON.stringify(frame));
  };

  function settle(item: OutboxItem<F>, result: CommandResult): void {
    items = items.filter((i) => i !== item);
    persist();
    const cid = item.cid!;
    cancel(timeouts.get(cid));
    timeouts.delete(cid);
    inFlight.delete(cid);
    onSettled?.(item, result);
  }

  /** Starts a command's timeout (from `send`, or from the page load for one restored from storage). */
  const track = (item: OutboxItem<F>) => {
    if (commandTimeoutMs)
      timeouts.set(
        item.cid!,
        later(() => settle(item, { ok: false, code: 'TIMEOUT' }), commandTimeoutMs),
      );
  };
  items.forEach(track);

  function flush(): void {
    if (status !== 'online') return;
    const before = items.length;
    items = items.filter((item) => {
      if (item.cid === undefined) {
        raw(item.frame);
        return false;
      }
      if (!inFlight.has(item.cid)) {
        inFlight.add(item.cid);
        raw(item.frame);
      }
      return true;
    });
    if (items.length !== before) persist();
  }

  const drop = (sock: WebSocket | null) => {
    if (!sock) return;
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
    try {
      sock.close();
    } catch {
      // already closing
    }
  };

  function lost(): void {
    drop(ws);
    ws = null;
    inFlight.clear();
    cancel(connectTimer);
    setStatus('offline');
    onDrop?.();
    if (stopped) return;
    cancel(retryTimer);
    retryTimer = later(connect, backoffDelay(attempt++, random, reconnectMinMs, reconnectMaxMs));
  }

  function ready(): void {
    cancel(connectTimer);
    attempt = 0;
    setStatus('online');
    flush();
  }

  function connect(): void {
    if (stopped) return;
    cancel(retryTimer);
    cancel(connectTimer);
    drop(ws);
    inFlight.clear();
    // A reconnect after a drop stays 'offline' until it succeeds: no flicker in the UI.
    if (status !== 'offline') setStatus('connecting');
    let sock: WebSocket;
    try {
      sock = new WS(url, protocols);
    } catch {
      lost();
      return;
    }
    ws = sock;
    connectTimer = later(lost, connectTimeoutMs);
    sock.onopen = () => {
      onOpen(raw);
      if (!awaitWelcome) ready();
    };
    sock.onmessage = (ev: MessageEvent) => {
      // The server is trusted to send its protocol (the endpoint decides which union, `In`); only
      // the outbox's own fields are read here, and a frame that is not an object with a type is dropped.
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      if (typeof frame?.type !== 'string') return;
      if (frame.type === 'welcome' && awaitWelcome) {
        onFrame(frame as In);
        ready();
        return;
      }
      if (frame.type === 'ack' || (frame.type === 'error' && frame.cid)) {
        const item = items.find((i) => i.cid === frame.cid);
        if (item && frame.type === 'ack') settle(item, { ok: true, ack: frame });
        else if (item && frame.type === 'error') {
          if (frame.code === 'RATE_LIMITED' && rateLimitRetryMs) {
            inFlight.delete(item.cid!);
            cancel(flushTimer);
            flushTimer = later(flush, rateLimitRetryMs);
          } else settle(item, { ok: false, code: frame.code, error: frame });
        }
      }
      onFrame(frame as In);
    };
    sock.onclose = sock.onerror = lost;
  }

  function reconnectNow(): void {
    attempt = 0;
    connect();
  }
  const onOnline = () => {
    if (status !== 'online') reconnectNow();
  };
  const onOffline = () => {
    if (!stopped) lost();
  };
  /** Adds or removes the online/offline listeners. */
  const listen = (how: 'addEventListener' | 'removeEventListener') => {
    events?.[how]('online', onOnline);
    events?.[how]('offline', onOffline);
  };

  function pause(): void {
    listen('removeEventListener');
    stopped = true;
    cancel(retryTimer);
    cancel(connectTimer);
    cancel(flushTimer);
    drop(ws);
    ws = null;
    inFlight.clear();
    setStatus('idle');
  }

  return {
    get status() {
      return status;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      listen('addEventListener');
      connect();
    },
    send(frame, at) {
      const cid = frame.cid;
      if (cid !== undefined && items.some((i) => i.cid === cid)) return true;
      // Undefined fields stay out of storage (JSON drops them).
      const item: OutboxItem<F> = { cid, at, frame };
      if (items.length >= outboxLength) {
        const plain = items.findIndex((i) => i.cid === undefined);
        if (plain < 0) {
          if (cid !== undefined) onSettled?.(item, { ok: false, code: 'OUTBOX_FULL' });
          return false;
        }
        items.splice(plain, 1);
      }
      items.push(item);
      if (cid !== undefined) track(item);
      persist();
      flush();
      return true;
    },
    sendVolatile(frame) {
      if (status === 'online') raw(frame);
    },
    outbox: () => items,
    reconnectNow,
    stop: pause,
    close() {
      pause();
      for (const item of items) if (item.cid !== undefined) settle(item, { ok: false, code: 'CLOSED' });
      items = [];
      persist();
    },
  };
}
