// The heartbeat pings every socket once per HEARTBEAT_SECONDS, whatever the number of sockets, a
// slice at a time (pinging thousands at once stalled the event loop), and terminates a socket only
// when a whole interval passed without its pong.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { SUBPROTOCOL } from '@servus/shared';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { createHeartbeat, type HeartbeatMember } from './heartbeat.js';

describe('createHeartbeat (timing wheel)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function member(log: string[], name: string): HeartbeatMember {
    return { ping: () => log.push(`ping ${name}`), terminate: () => log.push(`terminate ${name}`) };
  }

  it('pings each member once per interval, whether there are 1 or 3 of them', () => {
    vi.useFakeTimers();
    const heartbeat = createHeartbeat({ intervalMs: 1000, tickMs: 100 });
    const log: string[] = [];
    const members = ['a', 'b', 'c'].map((n) => member(log, n));
    for (const m of members) heartbeat.add(m);
    for (let second = 1; second <= 5; second++) {
      vi.advanceTimersByTime(1000);
      for (const m of members) heartbeat.pong(m);
    }
    expect(log.filter((l) => l === 'ping a')).toHaveLength(5);
    expect(log.filter((l) => l === 'ping b')).toHaveLength(5);
    expect(log.filter((l) => l === 'ping c')).toHaveLength(5);
    expect(log.some((l) => l.startsWith('terminate'))).toBe(false);
    heartbeat.stop();
  });

  it('terminates a member one interval after the ping it did not answer, and calls onInterval once per interval', () => {
    vi.useFakeTimers();
    let intervals = 0;
    const heartbeat = createHeartbeat({ intervalMs: 1000, tickMs: 100, onInterval: () => (intervals += 1) });
    const log: string[] = [];
    heartbeat.add(member(log, 'silent'));
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['ping silent']);
    vi.advanceTimersByTime(999);
    expect(log).toEqual(['ping silent']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['ping silent', 'terminate silent']);
    vi.advanceTimersByTime(3000);
    expect(log).toHaveLength(2);
    expect(intervals).toBe(4);
    heartbeat.stop();
  });
});

describe('heartbeat on a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { connectionsPerIp: 5000, heartbeatSeconds: 1 } });
  });
  afterAll(() => server.close());

  function open(url = server.url, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, [SUBPROTOCOL], options);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  const nextPing = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('ping', () => resolve(performance.now())));
  async function pingTimes(ws: WebSocket, n: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await nextPing(ws));
    return times;
  }
  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

  for (const count of [1, 3]) {
    it(`pings each of ${count} socket(s) once per interval, not once per round of the open sockets`, async () => {
      const sockets = await Promise.all(Array.from({ length: count }, () => open()));
      const times = await Promise.all(sockets.map((ws) => pingTimes(ws, 3)));
      // Timers only run late, never early: a gap under 90 % of the 1 s interval is a second ping.
      for (const t of times) for (const gap of gaps(t)) expect(gap).toBeGreaterThan(900);
      expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
      for (const ws of sockets) ws.close();
    });
  }

  it('spreads the pings of 30 sockets over the interval and keeps those that answer', async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, () => open()));
    const first = await Promise.all(sockets.map(nextPing));
    // 30 sockets, a 1 s interval visited in 100 ms slices: three per slice, not 30 in one go.
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(300);
    const second = await Promise.all(sockets.map(nextPing));
    for (const [i, t] of second.entries()) expect(t - first[i]!).toBeGreaterThan(900);
    expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
    for (const ws of sockets) ws.close();
  });

  it('keeps a client whose pong takes 2 s (a slow phone), with a 2.5 s interval', async () => {
    const slow = await startTestServer({ overrides: { heartbeatSeconds: 2.5 } });
    try {
      const ws = await open(slow.url, { autoPong: false });
      ws.on('ping', (data) => setTimeout(() => ws.pong(data), 2000));
      const closed = new Promise<string>((resolve) => ws.once('close', (code) => resolve(`closed with ${code}`)));
      const outcome = await Promise.race([pingTimes(ws, 3), closed]);
      if (typeof outcome === 'string') expect.fail(`a client answering within 2 s was ${outcome}`);
      for (const gap of gaps(outcome)) expect(gap).toBeGreaterThan(2250);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.close();
    } finally {
      await slow.close();
    }
  });

  it('terminates a silent client one interval after its only ping', async () => {
    const ws = await open(server.url, { autoPong: false });
    const pings: number[] = [];
    ws.on('ping', () => pings.push(performance.now()));
    const closedAt = await new Promise<{ at: number; code: number }>((resolve) =>
      ws.once('close', (code) => resolve({ at: performance.now(), code })),
    );
    expect(pings).toHaveLength(1);
    expect(closedAt.code).toBe(1006);
    expect(closedAt.at - pings[0]!).toBeGreaterThan(900);
  });

  it('pings each of 4,000 sockets once per interval, spread over it', async () => {
    // A 4 s interval: the test process hosts the server and all 4,000 clients, and a busy machine
    // must not delay a pong past the interval. The sockets never say hello: no auth timeout meanwhile.
    const big = await startTestServer({ overrides: { connectionsPerIp: 5000, heartbeatSeconds: 4, authTimeoutSeconds: 300 } });
    try {
      const sockets: WebSocket[] = [];
      while (sockets.length < 4000) sockets.push(...(await Promise.all(Array.from({ length: 200 }, () => open(big.url)))));
      const times = sockets.map(() => [] as number[]);
      const closed = new Promise<string>((resolve) => {
        for (const ws of sockets) ws.once('close', (code) => resolve(`a socket was closed with ${code}`));
      });
      const twice = Promise.all(
        sockets.map(
          (ws, i) =>
            new Promise<void>((resolve) =>
              ws.on('ping', () => {
                if (times[i]!.push(performance.now()) === 2) resolve();
              }),
            ),
        ),
      );
      const outcome = await Promise.race([twice, closed]);
      if (typeof outcome === 'string') expect.fail(outcome);
      const first = times.map((t) => t[0]!);
      // 40 slots of 100 ms: 100 sockets per slice, spread over the interval.
      expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(2000);
      for (const t of times) expect(t[1]! - t[0]!).toBeGreaterThan(3600);
      for (const ws of sockets) ws.terminate();
    } finally {
      await big.close();
    }
  }, 60_000);
});
