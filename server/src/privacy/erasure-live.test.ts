// An erasure reaches every instance: two server processes on one PostgreSQL schema and one Redis.
// The visitor's socket is on B, the erasure goes through A: the socket is closed with 4001 ERASED
// within a second of the erasure's answer, and agent sockets on both instances (one following the
// conversation, one the site's queue) get `conversation.erased`. The token then opens nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../testing/cluster.js';
import { startPrivateRedis, type PrivateRedis } from '../testing/redis-server.js';
import { connect, login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

describe('erasure across instances', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  let a: string;
  let b: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = await startCluster({ size: 2, redis, env: { AUTO_ASSIGN: 'false' } });
    [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    // Two processes starting and migrating a schema on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it('closes the erased visitor’s socket on B within a second of the erasure through A, and tells the consoles', async () => {
    const visitor = await newVisitor(b);
    visitor.client.send({ type: 'visitor.profile', cid: 'p', email: 'gerda.geloescht@example.com' });
    await visitor.client.next((f) => f.cid === 'p');
    visitor.client.send({ type: 'message.send', cid: 'm', text: 'Bitte alles über mich löschen' });
    const conversationId = (await visitor.client.next((f) => f.cid === 'm')).conversationId as string;
    visitor.client.send({ type: 'handoff.request', cid: 'h', conversationId });
    await visitor.client.next((f) => f.cid === 'h');
    // Someone else, who must stay connected.
    const other = await newVisitor(b);

    // A console on B has the conversation open; one on A follows the queue.
    const following = await newAgent(b, TEST_ADMIN.email, TEST_ADMIN.password);
    following.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await following.client.next((f) => f.type === 'replay.done' && f.conversationId === conversationId);
    const queue = await newAgent(a, TEST_ADMIN.email, TEST_ADMIN.password);
    queue.client.send({ type: 'queue.subscribe' });
    const snapshot = await queue.client.next((f) => f.type === 'queue.snapshot');
    expect((snapshot.conversations as { id: string }[]).map((c) => c.id)).toContain(conversationId);

    const closedAt = visitor.client.closed.then((info) => ({ ...info, at: performance.now() }));
    const res = await fetch(`${a}/api/privacy/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: a, cookie: queue.cookie },
      body: JSON.stringify({ email: 'gerda.geloescht@example.com', confirm: true }),
    });
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    const closed = await closedAt;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'ERASED' });
    // Measured from the erasure's answer (the close may even arrive first).
    expect(closed.at - answeredAt).toBeLessThan(1000);
    expect(visitor.client.frames.at(-1)).toMatchObject({ type: 'error', code: 'ERASED' });

    for (const agent of [following, queue]) {
      expect(await agent.client.next((f) => f.type === 'conversation.erased' && f.conversationId === conversationId)).toEqual({
        type: 'conversation.erased',
        conversationId,
        siteKey: 'demo',
      });
    }
    // The other visitor's socket is untouched: it still talks.
    other.client.send({ type: 'message.send', cid: 'still', text: 'Noch da' });
    expect(await other.client.next((f) => f.cid === 'still')).toMatchObject({ type: 'ack' });

    // The erased token opens nothing any more, on either instance.
    for (const url of [a, b]) {
      const again = await connect(`${url.replace(/^http/, 'ws')}/ws/visitor?site=demo`);
      again.send({ type: 'visitor.hello', token: visitor.token });
      expect(await again.closed).toEqual({ code: 1008, reason: 'UNAUTHORIZED' });
    }
    other.client.close();
    following.client.close();
    queue.client.close();
  }, 120_000);

  it('closes it when Redis is back, if the news was lost in an outage', async () => {
    const visitor = await newVisitor(b);
    visitor.client.send({ type: 'visitor.profile', cid: 'p', email: 'otto.ausfall@example.com' });
    await visitor.client.next((f) => f.cid === 'p');
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    await redis.stop();
    const res = await fetch(`${a}/api/privacy/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: a, cookie },
      body: JSON.stringify({ email: 'otto.ausfall@example.com', confirm: true }),
    });
    expect(res.status).toBe(200);
    // B never heard of it: the socket is still open and answers (whatever the answer to a visitor that is gone).
    visitor.client.send({ type: 'visitor.profile', cid: 'probe', name: 'Otto' });
    await visitor.client.next((f) => f.cid === 'probe');
    expect(visitor.client.ws.readyState).toBe(visitor.client.ws.OPEN);
    await redis.start();
    const back = performance.now();
    expect(await visitor.client.closed).toEqual({ code: 4001, reason: 'ERASED' });
    // Redis is noticed within a second; the check is one query.
    expect(performance.now() - back).toBeLessThan(5000);
  }, 60_000);
});
