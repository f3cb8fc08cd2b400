// Messages of one socket are pipelined into the group-commit queue (they no longer wait one
// commit each), yet they are stored, acknowledged and relayed in the order sent, and a command
// that follows them sees them all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

const N = 120;

describe('message pipelining on one socket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { autoAssign: false, visitorMessagesPerWindow: 10_000, framesPerWindow: 100_000 } });
  });
  afterAll(() => server.close());

  it('stores, acknowledges and relays back-to-back messages in the order sent, each once', async () => {
    const { client: visitor } = await newVisitor(server.url);
    visitor.send({ type: 'handoff.request', cid: 'h' });
    const handoff = await visitor.next((f) => f.type === 'ack' && f.cid === 'h');
    const conversationId = handoff.conversationId as string;
    const { client: agent } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.send({ type: 'conversation.claim', cid: 'c', conversationId });
    const claim = await agent.next((f) => f.cid === 'c');
    agent.send({ type: 'conversation.subscribe', conversationId, lastSeq: claim.seq });
    await agent.next((f) => f.type === 'replay.done');

    // All sent without waiting; one cid is sent twice (a retry), and a resume follows at once.
    for (let i = 0; i < N; i++) {
      visitor.send({ type: 'message.send', cid: `m${i}`, conversationId, text: `message ${i}` });
      if (i === 50) visitor.send({ type: 'message.send', cid: 'm25', conversationId, text: 'message 25' });
    }
    visitor.send({ type: 'conversation.resume', conversationId, lastSeq: 0 });
    await visitor.next((f) => f.type === 'replay.done');

    const acks = visitor.frames.filter((f) => f.type === 'ack' && typeof f.cid === 'string' && f.cid.startsWith('m'));
    expect(acks.map((a) => a.cid)).toEqual([
      ...Array.from({ length: 51 }, (_, i) => `m${i}`),
      'm25',
      ...Array.from({ length: N - 51 }, (_, i) => `m${i + 51}`),
    ]);
    const fresh = acks.filter((a) => !a.duplicate);
    const seqs = fresh.map((a) => a.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(N);
    expect(acks.find((a) => a.duplicate)?.seq).toBe(fresh[25]!.seq);

    // The resume came after the messages: its replay holds every one of them, in order, once.
    const replayed = visitor.frames
      .slice(visitor.frames.findLastIndex((f) => f.type === 'welcome'))
      .filter((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'visitor');
    const texts = replayed.map((f) => (f.message as { text: string }).text);
    expect(texts.slice(-N)).toEqual(Array.from({ length: N }, (_, i) => `message ${i}`));

    // The agent got each message once, in the order sent.
    await agent.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === `message ${N - 1}`);
    const relayed = agent.frames
      .filter((f) => f.type === 'message.created' && (f.message as { text: string }).text.startsWith('message '))
      .map((f) => (f.message as { text: string }).text);
    expect(relayed).toEqual(Array.from({ length: N }, (_, i) => `message ${i}`));
    visitor.close();
    agent.close();
  });
});
