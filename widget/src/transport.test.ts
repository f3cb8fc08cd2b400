import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VisitorServerFrame } from '@servus/shared';
import { createTransport, type ConnectionStatus, type TransportOptions } from './transport.js';
import { safeStorage } from './storage.js';

/** A WebSocket double: records what the widget sends, lets the test play the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    public url: string,
    public protocols: string[],
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
  receive(frame: Partial<VisitorServerFrame> & { type: string }) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
  sentOf(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const welcome = (extra: Record<string, unknown> = {}) => ({ type: 'welcome', role: 'visitor', protocol: 1, ...extra }) as never;

function setup(overrides: Partial<TransportOptions> = {}) {
  const frames: VisitorServerFrame[] = [];
  const statuses: ConnectionStatus[] = [];
  const rejected: string[] = [];
  const storage = safeStorage(() => localStorage);
  const t = createTransport({
    url: 'ws://x/ws/visitor?site=demo',
    storage,
    key: (n) => `t:${n}`,
    resumePoint: () => undefined,
    context: () => ({ lang: 'en' }),
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    onRejected: (item, code) => rejected.push(`${item.cid}:${code}`),
    onTokenRejected: () => rejected.push('token'),
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    random: () => 0.5,
    events: null,
    ...overrides,
  });
  return { t, frames, statuses, rejected, storage };
}

beforeEach(() => {
  vi.useFakeTimers();
  localStorage.clear();
  FakeSocket.all = [];
});
afterEach(() => vi.useRealTimers());

describe('transport', () => {
  it('says hello with the stored token and stores a new one from the welcome', () => {
    const { t, storage } = setup();
    t.start();
    latest().open();
    expect(latest().sent[0]).toMatchObject({ type: 'visitor.hello', context: { lang: 'en' } });
    expect(latest().sent[0]).not.toHaveProperty('token');
    latest().receive(welcome({ token: 'tok-1234567890abcdef' }));
    expect(storage.get('t:token')).toBe('tok-1234567890abcdef');
    t.stop();
    t.start();
    latest().open();
    expect(latest().sent[0]).toMatchObject({ type: 'visitor.hello', token: 'tok-1234567890abcdef' });
  });

  it('keeps a command until its ack and resends it with the same cid after a reconnect', () => {
    const { t, statuses } = setup();
    t.start();
    latest().open();
    latest().receive(welcome());
    t.send({ type: 'message.send', cid: 'c-1', text: 'hello' });
    expect(latest().sentOf('message.send')).toHaveLength(1);
    latest().drop();
    expect(statuses).toContain('offline');
    vi.advanceTimersByTime(20_000);
    latest().open();
    latest().receive(welcome());
    expect(latest().sentOf('message.send')).toEqual([{ type: 'message.send', cid: 'c-1', text: 'hello' }]);
    latest().receive({ type: 'ack', cid: 'c-1', seq: 1 } as never);
    expect(t.outbox()).toHaveLength(0);
  });

  it('sends nothing but the hello before the welcome', () => {
    const { t } = setup();
    t.start();
    t.send({ type: 'message.send', cid: 'c-1', text: 'early' });
    latest().open();
    expect(latest().sent.map((f) => f.type)).toEqual(['visitor.hello']);
    latest().receive(welcome());
    expect(latest().sent.map((f) => f.type)).toEqual(['visitor.hello', 'message.send']);
  });

  it('restores the outbox after a reload (a new transport on the same storage)', () => {
    setup().t.send({ type: 'message.send', cid: 'c-9', text: 'survives' }, 123);
    const { t } = setup();
    expect(t.outbox()).toEqual([{ cid: 'c-9', at: 123, frame: { type: 'message.send', cid: 'c-9', text: 'survives' } }]);
  });

  it('survives a host page that gives arrays a toJSON (Prototype.js)', () => {
    const proto = Array.prototype as unknown as { toJSON?: () => string };
    proto.toJSON = () => 'broken';
    try {
      setup().t.send({ type: 'message.send', cid: 'c-2', text: 'a' });
      setup().t.send({ type: 'message.send', cid: 'c-3', text: 'b' });
      expect(
        setup()
          .t.outbox()
          .map((i) => i.cid),
      ).toEqual(['c-2', 'c-3']);
    } finally {
      delete proto.toJSON;
    }
  });

  it('refuses new commands when the outbox is full, never dropping old ones', () => {
    const { t } = setup({ outboxLength: 2 });
    expect(t.send({ type: 'message.send', cid: 'a', text: '1' })).toBe(true);
    expect(t.send({ type: 'message.send', cid: 'b', text: '2' })).toBe(true);
    expect(t.send({ type: 'message.send', cid: 'c', text: '3' })).toBe(false);
    expect(t.outbox().map((i) => i.cid)).toEqual(['a', 'b']);
  });

  it('drops a command the server rejects for good and reports it; keeps rate-limited ones', () => {
    const { t, rejected } = setup({ rateLimitRetryMs: 1000 });
    t.start();
    latest().open();
    latest().receive(welcome());
    t.send({ type: 'message.send', cid: 'bad', text: 'x' });
    t.send({ type: 'message.send', cid: 'slow', text: 'y' });
    latest().receive({ type: 'error', code: 'BAD_FRAME', message: '', cid: 'bad' } as never);
    latest().receive({ type: 'error', code: 'RATE_LIMITED', message: '', cid: 'slow' } as never);
    expect(rejected).toEqual(['bad:BAD_FRAME']);
    expect(t.outbox().map((i) => i.cid)).toEqual(['slow']);
    vi.advanceTimersByTime(1000);
    expect(
      latest()
        .sentOf('message.send')
        .filter((f) => f.cid === 'slow'),
    ).toHaveLength(2);
  });

  it('forgets an unknown token and starts over', () => {
    const { t, storage, rejected } = setup();
    storage.set('t:token', 'stale-token-000000');
    t.start();
    latest().open();
    latest().receive({ type: 'error', code: 'UNAUTHORIZED', message: '' } as never);
    expect(storage.get('t:token')).toBeNull();
    expect(rejected).toEqual(['token']);
  });

  it('gives up on a socket that never says welcome (connect timeout) and retries', () => {
    const { t } = setup({ connectTimeoutMs: 1000 });
    t.start();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(20_000);
    expect(FakeSocket.all.length).toBeGreaterThanOrEqual(2);
  });

  it('sends typing and read receipts only while online', () => {
    const { t } = setup();
    t.start();
    t.sendVolatile({ type: 'typing.update', conversationId: 'c', active: true });
    latest().open();
    latest().receive(welcome());
    t.sendVolatile({ type: 'typing.update', conversationId: 'c', active: true });
    expect(latest().sentOf('typing.update')).toHaveLength(1);
  });
});
