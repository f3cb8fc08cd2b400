// Scale-out: two instances sharing PostgreSQL and Redis. A visitor on one and an agent on the other
// talk as if they were on the same process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('two instances with PostgreSQL and Redis', () => {
  let one: TestServer & { pgSchema?: string };
  let two: TestServer;
  beforeAll(async () => {
    one = await startTestServer({ postgres: true, overrides: { redisUrl: REDIS_URL, autoAssign: false } });
    two = await startTestServer({
      postgres: true,
      pgSchema: one.pgSchema!,
      overrides: { redisUrl: REDIS_URL, seedDemo: false, autoAssign: false },
    });
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('relays messages, typing and status between a visitor on one instance and an agent on the other', async () => {
    const visitor = await newVisitor(one.url);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const conversationId = (await visitor.client.next((f) => f.type === 'ack')).conversationId as string;
    const agent = await newAgent(two.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'queue.subscribe' });
    const snapshot = await agent.client.next((f) => f.type === 'queue.snapshot');
    expect((snapshot.conversations as { id: string }[]).map((c) => c.id)).toContain(conversationId);
    agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await agent.client.next((f) => f.type === 'replay.done');
    agent.client.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    const assigned = await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((assigned.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');
    agent.client.send({ type: 'message.send', cid: 'a1', conversationId, text: 'Grüß Gott, wie kann ich helfen?' });
    const fromAgent = await visitor.client.next(
      (f) => f.type === 'message.created' && (f.message as { text: string }).text.startsWith('Grüß'),
    );
    expect(fromAgent.seq).toBe(3);
    visitor.client.send({ type: 'typing.update', conversationId, active: true });
    expect(await agent.client.next((f) => f.type === 'typing')).toMatchObject({ active: true, author: { type: 'visitor' } });
    visitor.client.send({ type: 'message.send', cid: 'v1', text: 'Wo ist mein Paket?' });
    const fromVisitor = await agent.client.next(
      (f) => f.type === 'message.created' && (f.message as { text: string }).text === 'Wo ist mein Paket?',
    );
    expect(fromVisitor.seq).toBe(4);
    visitor.client.close();
    agent.client.close();
  });
});
