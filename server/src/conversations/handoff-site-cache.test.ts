// Regression: a handoff whose site settings are no longer cached is answered, and the server keeps
// writing afterwards. The queue position (with the site's opening hours) is computed inside the
// group-commit transaction; the site lookup there once read through the outer connection, which on
// SQLite waits for the connection the transaction holds: every later write hung forever. It showed in
// `npm run bench` as "no handoff ack" whenever the 5 s site cache expired in the middle of setup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

describe.each(['sqlite', 'postgres'] as const)('handoff after the site cache expired on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ postgres: dialect === 'postgres', overrides: { autoAssign: false } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('acks the handoff, then every later command', async () => {
    // An agent online: the queue position then also needs the wait estimate (another read in the transaction).
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const { client } = await newVisitor(server.url);
    // Saving a site setting drops the cached site, as expiry does after 5 s.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const put = await fetch(`${server.url}/api/sites/demo/proactive`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', origin: server.url, cookie },
      body: JSON.stringify({ rules: [] }),
    });
    expect(put.status).toBe(200);

    client.send({ type: 'handoff.request', cid: 'h1' });
    const ack = await client.next((f) => f.cid === 'h1', 5_000);
    expect(ack.type).toBe('ack');
    const conversationId = ack.conversationId as string;
    const queued = await client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff', 5_000);
    expect((queued.conversation as { queue?: { position: number } }).queue?.position).toBe(1);

    // The write path still works: the agent claims, the visitor writes and gets its ack.
    agent.client.send({ type: 'conversation.claim', cid: 'c1', conversationId });
    expect((await agent.client.next((f) => f.cid === 'c1', 5_000)).type).toBe('ack');
    client.send({ type: 'message.send', cid: 'm1', conversationId, text: 'still there?' });
    expect((await client.next((f) => f.cid === 'm1', 5_000)).type).toBe('ack');
    client.close();
    agent.client.close();
  });
});
