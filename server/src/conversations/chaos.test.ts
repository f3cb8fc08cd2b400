// Chaos: a visitor and an agent each send 500 messages while the visitor's connection is dropped
// 100 times at random points, also between a send and its ack. Real server, real sockets, real SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login } from '../testing/client.js';
import { ReliableClient } from '../testing/reliable-client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { seededRandom } from '../core/seeded-random.js';

const MESSAGES = 500;
const DROPS = 100;

function expectGapFree(received: number[], last: number): void {
  expect(received.length).toBe(last);
  received.forEach((seq, i) => expect(seq).toBe(i + 1));
}

describe.each(['sqlite', 'postgres'] as const)('chaos on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      postgres: dialect === 'postgres',
      overrides: { autoAssign: false, visitorMessagesPerWindow: 10_000, agentMessagesPerWindow: 10_000, framesPerWindow: 100_000 },
    });
  });
  afterAll(() => server.close());

  it('stores every message exactly once and both sides see a gap-free ordered log', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? 20261122);
    const random = seededRandom(seed);
    const visitor = new ReliableClient({ url: server.url, role: 'visitor' });
    await visitor.connect();
    visitor.send({ type: 'handoff.request', cid: 'handoff' });
    await visitor.until(() => visitor.acks.has('handoff'), 10_000, 'handoff ack');
    const conversationId = visitor.conversationId!;

    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const agent = new ReliableClient({ url: server.url, role: 'agent', cookie, origin: server.url, conversationId });
    await agent.connect();
    agent.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    await agent.until(() => agent.acks.has('claim'), 10_000, 'claim ack');

    // Drop points: after which visitor sends to cut the line (some right after a send, before its ack).
    const dropAfter = new Set<number>();
    while (dropAfter.size < DROPS) dropAfter.add(Math.floor(random() * MESSAGES));

    const agentDone = (async () => {
      for (let i = 0; i < MESSAGES; i++) {
        agent.send({ type: 'message.send', cid: `a${i}`, conversationId, text: `agent ${i}` });
        if (agent.pending > 8) await agent.until(() => agent.pending <= 4, 30_000, 'agent acks');
        if (random() < 0.3) await new Promise((r) => setImmediate(r));
      }
      await agent.until(() => agent.pending === 0, 60_000, 'all agent acks');
    })();

    let drops = 0;
    for (let i = 0; i < MESSAGES; i++) {
      visitor.send({ type: 'message.send', cid: `v${i}`, conversationId, text: `visitor ${i}` });
      if (dropAfter.has(i)) {
        // Half the time at once (between send and ack), half after a short wait for traffic.
        if (random() < 0.5) await new Promise((r) => setImmediate(r));
        await visitor.drop();
        drops += 1;
      }
      if (visitor.pending > 8) await visitor.until(() => visitor.pending <= 4, 30_000, 'visitor acks');
    }
    await visitor.until(() => visitor.pending === 0, 60_000, 'all visitor acks');
    await agentDone;
    expect(drops).toBe(DROPS);
    expect(visitor.reconnects).toBe(DROPS);

    // Storage: every message exactly once.
    const rows = await server.database.db
      .selectFrom('events')
      .select(['cid', 'author_type', 'seq', 'visitor_seq', 'text'])
      .where('conversation_id', '=', conversationId)
      .where('kind', '=', 'message')
      .orderBy('seq')
      .execute();
    const visitorCids = rows.filter((r) => r.author_type === 'visitor').map((r) => r.cid);
    const agentCids = rows.filter((r) => r.author_type === 'agent').map((r) => r.cid);
    expect(visitorCids).toHaveLength(MESSAGES);
    expect(new Set(visitorCids).size).toBe(MESSAGES);
    expect(agentCids).toHaveLength(MESSAGES);
    expect(new Set(agentCids).size).toBe(MESSAGES);
    // Each side's messages are stored in the order that side sent them.
    expect(visitorCids).toEqual(Array.from({ length: MESSAGES }, (_, i) => `v${i}`));
    expect(agentCids).toEqual(Array.from({ length: MESSAGES }, (_, i) => `a${i}`));

    const conv = await server.database.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    await visitor.until(() => visitor.lastSeq === conv.last_visitor_seq, 30_000, 'visitor log complete');
    await agent.until(() => agent.lastSeq === conv.last_seq, 30_000, 'agent log complete');
    // Gap-free, ordered, no duplicates: every seq arrives exactly once, in order, across 100 reconnects.
    expectGapFree(visitor.received, conv.last_visitor_seq);
    expectGapFree(agent.received, conv.last_seq);
    // And what each side saw is what is stored.
    const visitorTexts = [...visitor.messages.values()]
      .filter((f) => f.type === 'message.created')
      .map((f) => (f.message as { text: string }).text);
    expect(visitorTexts).toEqual(rows.map((r) => r.text));
    expect(visitor.errors).toEqual([]);
    expect(agent.errors).toEqual([]);
    visitor.close();
    agent.close();
  }, 120_000);
});
