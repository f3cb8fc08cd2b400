import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '../protocol.js';
import { backoffDelay } from './backoff.js';
import { newCid } from './cid.js';
import {
  createReconnectingSocket,
  type CommandResult,
  type OutboxItem,
  type ReconnectingSocketOptions,
  type SocketStatus,
  type SocketStorage,
} from './reconnecting-socket.js';

/** Timers the test advances by hand: deterministic, no sleeping, no global fake timers. */
function manualTimers() {
  let now = 0;
  let nextId = 0;
  const queue = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn: () => void, ms: number) {
      queue.set(++nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout(id: unknown) {
      queue.delete(id as number);
    },
    /** Runs every timer due within `ms`, in time order (timers they set included). */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of queue) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
        if (!due) break;
        queue.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}

/** A WebSocket double: records what the client sends, lets the test play the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(frame: ServerFrame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
  types() {
    return this.sent.map((f) => f.type);
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const welcome: ServerFrame = {
  type: 'welcome',
  role: 'agent',
  protocol: 1,
  serverTime: 0,
  limits: { maxMessageChars: 4000, maxFrameBytes: 65536, visitorMessagesPerWindow: 20, rateWindowMs: 10_000 },
  agent: {
    id: 'a1',
    name: 'Ann',
    email: 'ann@example.com',
    role: 'agent',
    siteKeys: ['demo'],
    status: 'online',
    initials: null,
    lang: null,
  },
};
const ack = (cid: string): ServerFrame => ({ type: 'ack', cid, conversationId: 'c1', id: 'm1', seq: 1 });

function memoryStorage(): SocketStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v), remove: (k) => void data.delete(k) };
}

type Frame = { type: string; cid?: string; text?: string };

function setup(overrides: Partial<ReconnectingSocketOptions<Frame>> = {}) {
  FakeSocket.all = [];
  const timers = manualTimers();
  const frames: ServerFrame[] = [];
  const statuses: SocketStatus[] = [];
  const settled: [OutboxItem<Frame>, CommandResult][] = [];
  let drops = 0;
  const socket = createReconnectingSocket<Frame>({
    url: 'ws://x/ws/agent',
    onOpen: (send) => send({ type: 'agent.hello' }),
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    onSettled: (item, result) => settled.push([item, result]),
    onDrop: () => drops++,
    WebSocket: FakeSocket as unknown as ReconnectingSocketOptions<Frame>['WebSocket'],
    timers,
    random: () => 0.5,
    events: null,
    ...overrides,
  });
  return { socket, timers, frames, statuses, settled, drops: () => drops };
}

/** What a command settled with, in order. */
const resultsOf = (s: ReturnType<typeof setup>, cid: string) => s.settled.filter(([item]) => item.cid === cid).map(([, r]) => r);

/** Starts, opens and (if asked) says welcome: the socket is online. */
function online(s: ReturnType<typeof setup>, welcomeFirst = false) {
  s.socket.start();
  latest().open();
  if (welcomeFirst) latest().receive(welcome);
  expect(s.socket.status).toBe('online');
}

describe('reconnecting socket', () => {
  it('says hello on every open before any queued frame, and resends an unacked command with the same cid after a reconnect', () => {
    const s = setup();
    s.socket.start();
    s.socket.send({ type: 'message.send', cid: 'a', text: 'hi' });
    latest().open();
    expect(latest().protocols).toEqual(['servus.v1']);
    expect(latest().types()).toEqual(['agent.hello', 'message.send']);
    latest().drop();
    expect(s.socket.status).toBe('offline');
    s.timers.advance(500);
    latest().open();
    expect(FakeSocket.all).toHaveLength(2);
    expect(latest().sent).toEqual([{ type: 'agent.hello' }, { type: 'message.send', cid: 'a', text: 'hi' }]);
    latest().receive(ack('a'));
    expect(s.socket.outbox()).toEqual([]);
    expect(s.settled.map(([item, r]) => [item.cid, r.ok])).toEqual([['a', true]]);
  });

  it('with awaitWelcome, sends nothing but the hello until the welcome arrives', () => {
    const s = setup({ awaitWelcome: true });
    s.socket.start();
    s.socket.send({ type: 'message.send', cid: 'a', text: 'early' });
    latest().open();
    expect(latest().types()).toEqual(['agent.hello']);
    expect(s.socket.status).toBe('connecting');
    latest().receive(welcome);
    expect(s.socket.status).toBe('online');
    expect(latest().types()).toEqual(['agent.hello', 'message.send']);
    expect(s.frames.map((f) => f.type)).toEqual(['welcome']);
  });

  it('settles a command exactly once: by its ack, a repeated ack changes nothing, and every frame still reaches the app', () => {
    const s = setup();
    online(s);
    s.socket.send({ type: 'message.send', cid: 'a', text: 'x' });
    latest().receive(ack('a'));
    latest().receive(ack('a'));
    expect(resultsOf(s, 'a')).toEqual([{ ok: true, ack: ack('a') }]);
    expect(s.frames.map((f) => f.type)).toEqual(['ack', 'ack']);
  });

  it('settles a command at once with the error frame that carries its cid, and never resends it', () => {
    const s = setup();
    online(s);
    s.socket.send({ type: 'message.send', cid: 'a', text: 'x' });
    const error: ServerFrame = { type: 'error', code: 'CONFLICT', message: 'Another agent has this conversation.', cid: 'a' };
    latest().receive(error);
    expect(resultsOf(s, 'a')).toEqual([{ ok: false, code: 'CONFLICT', error }]);
    latest().drop();
    s.timers.advance(1000);
    latest().open();
    expect(latest().types()).toEqual(['agent.hello']);
  });

  it('times out a command the server never answers: it settles once with TIMEOUT, is not resent, and a late ack settles nothing', () => {
    const s = setup({ commandTimeoutMs: 5000 });
    online(s);
    s.socket.send({ type: 'message.send', cid: 'a', text: 'x' });
    s.timers.advance(4999);
    expect(resultsOf(s, 'a')).toEqual([]);
    s.timers.advance(1);
    expect(resultsOf(s, 'a')).toEqual([{ ok: false, code: 'TIMEOUT' }]);
    expect(s.socket.outbox()).toEqual([]);
    latest().receive(ack('a'));
    expect(resultsOf(s, 'a')).toHaveLength(1);
    latest().drop();
    s.timers.advance(1000);
    latest().open();
    expect(latest().types()).toEqual(['agent.hello']);
  });

  it('counts the timeout from send, also while offline', () => {
    const s = setup({ commandTimeoutMs: 5000 });
    s.socket.start();
    s.socket.send({ type: 'note.add', cid: 'n', text: 'x' });
    s.timers.advance(5000);
    expect(resultsOf(s, 'n')).toEqual([{ ok: false, code: 'TIMEOUT' }]);
    latest().open();
    expect(latest().types()).toEqual(['agent.hello']);
  });

  it('never times out with commandTimeoutMs 0 (the widget: commands wait for the connection, across reloads)', () => {
    const s = setup({ commandTimeoutMs: 0 });
    s.socket.start();
    s.socket.send({ type: 'message.send', cid: 'a', text: 'x' });
    s.timers.advance(3_600_000);
    expect(s.settled).toEqual([]);
    expect(s.socket.outbox()).toHaveLength(1);
  });

  it('refuses a new command when the outbox is full (settled OUTBOX_FULL), never dropping an older one', () => {
    const s = setup({ outboxLength: 2 });
    expect(s.socket.send({ type: 'm', cid: 'a' })).toBe(true);
    expect(s.socket.send({ type: 'm', cid: 'b' })).toBe(true);
    expect(s.socket.send({ type: 'm', cid: 'c' })).toBe(false);
    expect(s.settled).toEqual([
      [
        { cid: 'c', frame: { type: 'm', cid: 'c' } },
        { ok: false, code: 'OUTBOX_FULL' },
      ],
    ]);
    expect(s.socket.outbox().map((i) => i.cid)).toEqual(['a', 'b']);
    expect(s.socket.send({ type: 'plain' })).toBe(false);
  });

  it('makes room in a full outbox by dropping the oldest frame without a cid, never a command', () => {
    const s = setup({ outboxLength: 3 });
    s.socket.send({ type: 'plain', cid: undefined });
    s.socket.send({ type: 'm', cid: 'a' });
    s.socket.send({ type: 'later' });
    expect(s.socket.send({ type: 'm', cid: 'b' })).toBe(true);
    expect(s.socket.send({ type: 'newest' })).toBe(true);
    expect(s.socket.outbox().map((i) => i.frame.type)).toEqual(['m', 'm', 'newest']);
    expect(s.settled).toEqual([]);
  });

  it('sends a frame without a cid once, and does not queue a cid that is already waiting', () => {
    const s = setup();
    s.socket.start();
    s.socket.send({ type: 'conversation.subscribe' });
    s.socket.send({ type: 'm', cid: 'a' });
    s.socket.send({ type: 'm', cid: 'a' });
    latest().open();
    expect(latest().types()).toEqual(['agent.hello', 'conversation.subscribe', 'm']);
    expect(s.socket.outbox().map((i) => i.cid)).toEqual(['a']);
  });

  it('keeps a rate-limited command and resends it after rateLimitRetryMs when asked to', () => {
    const s = setup({ rateLimitRetryMs: 1000 });
    online(s);
    s.socket.send({ type: 'm', cid: 'slow' });
    latest().receive({ type: 'error', code: 'RATE_LIMITED', message: '', cid: 'slow' });
    expect(s.settled).toEqual([]);
    s.timers.advance(1000);
    expect(latest().sent.filter((f) => f.cid === 'slow')).toHaveLength(2);
  });

  it('settles a rate-limited command with its error by default', () => {
    const s = setup();
    online(s);
    s.socket.send({ type: 'm', cid: 'slow' });
    latest().receive({ type: 'error', code: 'RATE_LIMITED', message: '', cid: 'slow' });
    expect(s.settled.map(([, r]) => !r.ok && r.code)).toEqual(['RATE_LIMITED']);
  });

  it('closes for good: every waiting command settles with CLOSED and the stored outbox is removed', () => {
    const storage = memoryStorage();
    const s = setup({ storage, storageKey: 'outbox' });
    s.socket.start();
    s.socket.send({ type: 'm', cid: 'a' });
    s.socket.send({ type: 'm', cid: 'b' });
    expect(storage.data.has('outbox')).toBe(true);
    s.socket.close();
    expect(s.settled.map(([item, r]) => [item.cid, !r.ok && r.code])).toEqual([
      ['a', 'CLOSED'],
      ['b', 'CLOSED'],
    ]);
    expect(storage.data.has('outbox')).toBe(false);
    expect(s.socket.status).toBe('idle');
  });

  it('pauses on stop and sends the waiting commands after start', () => {
    const s = setup();
    online(s);
    s.socket.stop();
    s.socket.send({ type: 'm', cid: 'a' });
    expect(s.socket.status).toBe('idle');
    s.socket.start();
    latest().open();
    expect(latest().types()).toEqual(['agent.hello', 'm']);
  });

  it('keeps commands in storage across a reload, one JSON object per line, skipping a damaged line', () => {
    const storage = memoryStorage();
    setup({ storage, storageKey: 'k' }).socket.send({ type: 'm', cid: 'a', text: '1' }, 123);
    storage.data.set('k', storage.data.get('k') + '\n{broken\n' + JSON.stringify({ cid: 'b', frame: { type: 'm', cid: 'b' } }));
    const s = setup({ storage, storageKey: 'k' });
    expect(s.socket.outbox()).toEqual([
      { cid: 'a', at: 123, frame: { type: 'm', cid: 'a', text: '1' } },
      { cid: 'b', frame: { type: 'm', cid: 'b' } },
    ]);
    online(s);
    latest().receive(ack('a'));
    expect(storage.data.get('k')).toBe(JSON.stringify({ cid: 'b', frame: { type: 'm', cid: 'b' } }));
  });

  it('gives up on an attempt that is not online within the connect timeout and retries with backoff', () => {
    const s = setup({ connectTimeoutMs: 1000, awaitWelcome: true });
    s.socket.start();
    latest().open();
    s.timers.advance(999);
    expect(FakeSocket.all).toHaveLength(1);
    s.timers.advance(1);
    expect(s.socket.status).toBe('offline');
    expect(s.drops()).toBe(1);
    // random 0.5, attempt 0: max(500, 0.5 × 500) = 500 ms
    s.timers.advance(500);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('stays offline while retrying (no flicker), reports every failed attempt, and resets the backoff once online', () => {
    const s = setup({ random: () => 0.999 });
    online(s);
    latest().drop();
    // 0.999 × min(20 s, 500 ms × 2^n): 499→500, 999, 1998 ms
    for (const delay of [500, 999, 1998]) {
      s.timers.advance(delay - 1);
      const before = FakeSocket.all.length;
      s.timers.advance(1);
      expect(FakeSocket.all.length).toBe(before + 1);
      latest().drop();
    }
    expect(s.statuses).toEqual(['connecting', 'online', 'offline']);
    expect(s.drops()).toBe(4);
    s.timers.advance(3996);
    latest().open();
    latest().drop();
    s.timers.advance(500);
    expect(FakeSocket.all).toHaveLength(6);
  });

  it('reconnects at once when asked (back from sleep), even while it looks online', () => {
    const s = setup();
    online(s);
    const first = latest();
    s.socket.reconnectNow();
    expect(FakeSocket.all).toHaveLength(2);
    expect(first.readyState).toBe(3);
  });

  it('follows the browser while started: offline drops the socket, online reconnects without waiting for the backoff', () => {
    const events = new EventTarget();
    const s = setup({ events });
    online(s);
    events.dispatchEvent(new Event('offline'));
    expect(s.socket.status).toBe('offline');
    expect(FakeSocket.all).toHaveLength(1);
    events.dispatchEvent(new Event('online'));
    expect(FakeSocket.all).toHaveLength(2);
    latest().open();
    events.dispatchEvent(new Event('online'));
    expect(FakeSocket.all).toHaveLength(2);
    s.socket.stop();
    events.dispatchEvent(new Event('online'));
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('sends volatile frames only while online', () => {
    const s = setup({ awaitWelcome: true });
    s.socket.start();
    s.socket.sendVolatile({ type: 'typing.update' });
    latest().open();
    s.socket.sendVolatile({ type: 'typing.update' });
    latest().receive(welcome);
    s.socket.sendVolatile({ type: 'typing.update' });
    expect(latest().types()).toEqual(['agent.hello', 'typing.update']);
  });

  it('ignores frames that are not JSON objects with a type', () => {
    const s = setup();
    online(s);
    latest().onmessage?.({ data: 'not json' });
    latest().onmessage?.({ data: 'null' });
    latest().onmessage?.({ data: '{"no":"type"}' });
    expect(s.frames).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('stays between the minimum and the capped exponential ceiling (full jitter)', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(20_000, 500 * 2 ** attempt);
      expect(backoffDelay(attempt, () => 0, 500, 20_000)).toBe(500);
      expect(backoffDelay(attempt, () => 0.999999, 500, 20_000)).toBeLessThanOrEqual(ceiling);
    }
    expect(backoffDelay(30, () => 1, 500, 20_000)).toBe(20_000);
  });

  it('grows exponentially, is capped, and never goes below the minimum', () => {
    const random = () => 0.999;
    expect(backoffDelay(0, random, 500, 20_000)).toBe(500);
    expect(backoffDelay(3, random, 500, 20_000)).toBe(Math.floor(0.999 * 4000));
    expect(backoffDelay(30, random, 500, 20_000)).toBe(Math.floor(0.999 * 20_000));
    expect(backoffDelay(5, () => 0, 500, 20_000)).toBe(500);
  });

  it('defaults to the protocol timings, 0.5 s to 20 s', () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(40, () => 1)).toBe(20_000);
  });
});

describe('newCid', () => {
  it('gives ids that are unique in a page even with the same clock and randomness, and valid cids', () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () =>
        newCid(
          'w-',
          () => 0.5,
          () => 1_700_000_000_000,
        ),
      ),
    );
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    expect(
      newCid(
        'c',
        () => 0.999999,
        () => Number.MAX_SAFE_INTEGER,
      ).length,
    ).toBeLessThanOrEqual(64);
  });
});
