// The heartbeat pings every socket once per HEARTBEAT_SECONDS, but a slice at a time: pinging
// thousands at once stalled the event loop for every message arriving meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SUBPROTOCOL } from '@servus/shared';
import { startTestServer, type TestServer } from '../testing/in-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ overrides: { connectionsPerIp: 100, heartbeatSeconds: 1 } });
});
afterAll(() => server.close());

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, [SUBPROTOCOL]);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const nextPing = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('ping', () => resolve(performance.now())));

describe('heartbeat', () => {
  it('pings every socket once per interval, spread over the interval, and keeps those that answer', async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, open));
    const first = await Promise.all(sockets.map(nextPing));
    // 30 sockets, a 1 s interval visited in 100 ms slices: three per slice, not 30 in one go.
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(300);
    // Each is pinged again about one interval later, and a socket that answers (ws answers pongs
    // by itself) is never terminated.
    const second = await Promise.all(sockets.map(nextPing));
    for (const [i, t] of second.entries()) expect(t - first[i]!).toBeGreaterThan(500);
    expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
    for (const ws of sockets) ws.close();
  });
});
