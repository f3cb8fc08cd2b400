import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, createLiveSocket } from './socket.js';

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
}

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and never goes below the minimum', () => {
    const opts = { min: 500, max: 20_000, random: () => 0.999 };
    expect(backoffDelay(0, opts)).toBe(500);
    expect(backoffDelay(3, opts)).toBe(Math.floor(0.999 * 4000));
    expect(backoffDelay(30, opts)).toBe(Math.floor(0.999 * 20_000));
    expect(backoffDelay(5, { ...opts, random: () => 0 })).toBe(500);
  });
});

describe('live socket', () => {
  it('says hello on every open, keeps commands while offline (bounded) and retries with backoff', () => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const opens: number[] = [];
    const s = createLiveSocket({
      url: 'ws://x/ws/agent',
      onFrame: () => {},
      onOpen: (send) => {
        opens.push(Date.now());
        send({ type: 'agent.hello' });
      },
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      random: () => 0.5,
      outboxLength: 2,
    });
    s.start();
    s.send({ n: 1 });
    s.send({ n: 2 });
    s.send({ n: 3 });
    FakeSocket.all[0]!.open();
    expect(FakeSocket.all[0]!.protocols).toEqual(['servus.v1']);
    expect(FakeSocket.all[0]!.sent).toEqual(['{"type":"agent.hello"}', '{"n":2}', '{"n":3}']);
    FakeSocket.all[0]!.close();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.open();
    expect(opens).toHaveLength(2);
    s.stop();
    vi.useRealTimers();
  });

  it('reconnects at once when asked (back online, back from sleep)', () => {
    FakeSocket.all = [];
    const s = createLiveSocket({
      url: 'ws://x',
      onFrame: () => {},
      onOpen: () => {},
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    });
    s.start();
    FakeSocket.all[0]!.open();
    s.reconnectNow();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    s.stop();
  });
});
