// The socket limits that protect the process: connections per IP, heartbeat, slow consumers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SUBPROTOCOL } from '@servus/shared';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { connect, newAgent, newVisitor, type TestClient } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    overrides: {
      connectionsPerIp: 5,
      heartbeatSeconds: 0.2,
      socketHighWaterBytes: 16 * 1024,
      agentMessagesPerWindow: 10_000,
      framesPerWindow: 10_000,
    },
  });
});
afterAll(() => server.close());

describe('socket limits', () => {
  it('refuses more connections per IP than allowed with 429, and accepts again once one closes', async () => {
    const open: TestClient[] = [];
    for (let i = 0; i < 5; i++) open.push(await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`));
    await expect(connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`)).rejects.toMatchObject({ status: 429 });
    open[0]!.close();
    await open[0]!.closed;
    // The server counts the close on its side after the client saw it: retry until it is free.
    let next: TestClient | null = null;
    for (let i = 0; i < 50 && !next; i++)
      next = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`).catch(() => null);
    expect(next).not.toBeNull();
    for (const c of [...open.slice(1), next!]) c.close();
    await Promise.all([...open.slice(1), next!].map((c) => c.closed));
  });

  it('terminates a socket that stops answering pings', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, [SUBPROTOCOL], { autoPong: false });
    let pinged = 0;
    ws.on('ping', () => (pinged += 1));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'visitor.hello' }));
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(pinged).toBeGreaterThanOrEqual(1);
    // Terminated without a close frame: the client sees 1006.
    expect(code).toBe(1006);
  });

  it('drops a visitor that does not read while the agent keeps writing, and the agent is unaffected', async () => {
    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const conversationId = (await visitor.client.next((f) => f.type === 'ack')).conversationId as string;
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.claim', cid: 'c', conversationId });
    await agent.client.next((f) => f.type === 'ack' && f.cid === 'c');
    // The visitor's TCP socket stops reading: the server's send buffer fills up.
    (visitor.client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const text = 'x'.repeat(3900);
    let i = 0;
    const dropped = new Promise<void>((resolve) => {
      const tick = () => {
        for (let k = 0; k < 20; k++) agent.client.send({ type: 'message.send', cid: `m${i++}`, conversationId, text });
        void agent.client
          .next((f) => f.type === 'ack' && f.cid === `m${i - 1}`)
          .then(async () => {
            const health = (await (await fetch(`${server.url}/healthz`)).json()) as { sockets: number };
            if (health.sockets === 1) resolve();
            else if (i < 4000) tick();
          });
      };
      tick();
    });
    await dropped;
    expect(i).toBeLessThan(4000);
    agent.client.close();
  });
});
