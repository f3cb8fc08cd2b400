// One conversation through its whole life over the real protocol: bot, handoff with queue
// position, claim, messages, notes (never seen by the visitor), typing, reads, transfer,
// resolve, rating, reopen, identify, and retries that change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor, type Frame } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { hashPassword, identityHash, randomId } from '../core/ids.js';
import type { BotResponder } from '../bot/index.js';

const unsureBot: BotResponder = {
  reply: (_site, input) => {
    const misses = (JSON.parse(input.state) as { misses?: number }).misses ?? 0;
    return {
      kind: misses >= 1 ? 'handoff' : 'unsure',
      text: 'Not sure.',
      lang: 'en',
      confidence: 0.1,
      suggestions: [{ id: 'shipping', title: 'Shipping' }],
      offerHandoff: true,
      handoffReason: 'low_confidence',
      state: { misses: misses + 1, recent: [] },
    };
  },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ bots: unsureBot, overrides: { autoAssign: false } });
  const id = randomId('a');
  await server.database.db
    .insertInto('agents')
    .values({
      id,
      email: 'bea@example.com',
      name: 'Bea',
      role: 'agent',
      password_hash: await hashPassword('bea-password-1'),
      capacity: 3,
      created_at: Date.now(),
    })
    .execute();
  await server.database.db.insertInto('agent_sites').values({ agent_id: id, site_key: 'demo' }).execute();
});
afterAll(() => server.close());

const text = (f: Frame) => (f.message as { text: string } | undefined)?.text;

describe('a conversation from bot to rating', () => {
  it('works end to end and keeps the visitor’s sequence gap-free around internal notes', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'q1', text: 'Where is my parcel?' });
    const first = await v.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot',
    );
    expect(first.message).toMatchObject({ suggestions: [{ id: 'shipping', title: 'Shipping' }] });
    expect(first.message).not.toHaveProperty('bot');
    // Second miss: the bot hands over, and the visitor learns their place in the queue.
    v.client.send({ type: 'message.send', cid: 'q2', text: 'Hello??' });
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    // Both questions the bot could not answer are counted for the site owner.
    const { login } = await import('../testing/client.js');
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const unansweredRes = await fetch(`${server.url}/api/sites/demo/bot/unanswered`, { headers: { cookie } });
    const unanswered = (await unansweredRes.json()) as { questions: { text: string; count: number }[] };
    expect(unansweredRes.status, JSON.stringify(unanswered)).toBe(200);
    expect(unanswered.questions.map((q) => [q.text, q.count]).sort()).toEqual([
      ['Hello??', 1],
      ['Where is my parcel?', 1],
    ]);
    expect((await fetch(`${server.url}/api/sites/elsewhere/bot/unanswered`, { headers: { cookie } })).status).toBe(404);
    const conversationId = handoff.conversationId as string;
    expect(handoff.conversation).toMatchObject({ status: 'queued', queue: { position: 1, expectedWaitSeconds: null, agentsOnline: 0 } });

    // An agent comes online: the waiting visitor gets an expected wait.
    const a = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const eta = await v.client.next(
      (f) =>
        f.type === 'conversation.updated' &&
        f.change === 'queue' &&
        (f.conversation as { queue: { expectedWaitSeconds: number | null } }).queue.expectedWaitSeconds !== null,
    );
    expect((eta.conversation as { queue: { agentsOnline: number } }).queue.agentsOnline).toBe(1);
    a.client.send({ type: 'queue.subscribe' });
    const snapshot = await a.client.next((f) => f.type === 'queue.snapshot');
    expect((snapshot.conversations as { id: string; handoffReason: string }[]).find((c) => c.id === conversationId)).toMatchObject({
      handoffReason: 'low_confidence',
    });
    a.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await a.client.next((f) => f.type === 'replay.done' && f.conversationId === conversationId);
    // The agent sees the whole transcript, bot turns and their confidence included.
    const botTurn = a.client.frames.find(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot',
    );
    expect(botTurn?.message).toMatchObject({ bot: { confidence: 0.1 } });

    a.client.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    expect(await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned')).toMatchObject({
      conversation: { status: 'assigned', assignee: { name: 'Admin' } },
    });
    a.client.send({ type: 'note.add', cid: 'n1', conversationId, text: 'VIP customer, be nice' });
    const noteAck = await a.client.next((f) => f.type === 'ack' && f.cid === 'n1');
    a.client.send({ type: 'message.send', cid: 'r1', conversationId, text: 'Hi, I am here to help.' });
    const reply = await v.client.next((f) => f.type === 'message.created' && text(f) === 'Hi, I am here to help.');
    // The note took an agent seq but no visitor seq.
    const agentReply = await a.client.next((f) => f.type === 'message.created' && text(f) === 'Hi, I am here to help.');
    expect(agentReply.seq).toBe((noteAck.seq as number) + 1);
    const visitorSeqs = v.client.frames.filter((f) => f.type !== 'ack' && typeof f.seq === 'number').map((f) => f.seq);
    expect(visitorSeqs).toEqual(Array.from({ length: visitorSeqs.length }, (_, i) => i + 1));
    expect(JSON.stringify(v.client.frames)).not.toContain('VIP customer');

    // Typing both ways, and read receipts in each side's own sequence.
    v.client.send({ type: 'typing.update', conversationId, active: true });
    expect(await a.client.next((f) => f.type === 'typing')).toMatchObject({ author: { type: 'visitor' }, active: true });
    a.client.send({ type: 'typing.update', conversationId, active: true });
    expect(await v.client.next((f) => f.type === 'typing')).toMatchObject({ author: { type: 'agent', name: 'Admin' }, active: true });
    v.client.send({ type: 'conversation.read', conversationId, seq: reply.seq });
    expect(await a.client.next((f) => f.type === 'read' && f.by === 'visitor')).toMatchObject({ seq: agentReply.seq });
    a.client.send({ type: 'conversation.read', conversationId, seq: agentReply.seq });
    expect(await v.client.next((f) => f.type === 'read' && f.by === 'agent')).toMatchObject({ seq: reply.seq });

    // A retried command changes nothing and gets the same ack.
    a.client.send({ type: 'message.send', cid: 'r1', conversationId, text: 'Hi, I am here to help.' });
    const dup = await a.client.next((f) => f.type === 'ack' && f.cid === 'r1' && f.duplicate === true);
    const firstAck = a.client.frames.find((f) => f.type === 'ack' && f.cid === 'r1' && !f.duplicate)!;
    expect([dup.id, dup.seq]).toEqual([firstAck.id, firstAck.seq]);

    // Transfer to Bea; Bea resolves; the visitor rates; writing again reopens to the queue.
    const bea = await newAgent(server.url, 'bea@example.com', 'bea-password-1');
    a.client.send({ type: 'conversation.transfer', cid: 't1', conversationId, agentId: bea.agentId });
    expect(await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'transferred')).toMatchObject({
      conversation: { assignee: { name: 'Bea' } },
    });
    a.client.send({ type: 'message.send', cid: 'r2', conversationId, text: 'still me?' });
    expect(await a.client.next((f) => f.type === 'error' && f.cid === 'r2')).toMatchObject({ code: 'CONFLICT' });
    bea.client.send({ type: 'conversation.resolve', cid: 'done', conversationId });
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'resolved');
    v.client.send({ type: 'conversation.rate', cid: 'rate', conversationId, csat: 5, nps: 9, comment: 'Danke!' });
    expect(await a.client.next((f) => f.type === 'conversation.updated' && f.change === 'rated')).toMatchObject({
      rating: { csat: 5, nps: 9, comment: 'Danke!' },
    });
    v.client.send({ type: 'conversation.rate', cid: 'bad-rate', conversationId, csat: 9 });
    expect(await v.client.next((f) => f.type === 'error' && f.cid === 'bad-rate')).toMatchObject({ code: 'BAD_FRAME', path: 'csat' });
    v.client.send({ type: 'message.send', cid: 'again', text: 'One more question' });
    expect(await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'reopened')).toMatchObject({
      conversation: { status: 'queued', id: conversationId },
    });
    for (const c of [v.client, a.client, bea.client]) c.close();
  });

  it('trusts an identity only with the right HMAC', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.identify', cid: 'i1', id: 'user-42', name: 'Eve', hash: 'a'.repeat(64) });
    expect(await v.client.next((f) => f.cid === 'i1')).toMatchObject({ type: 'error', code: 'FORBIDDEN', path: 'hash' });
    const site = await server.database.db.selectFrom('sites').select('secret').where('key', '=', 'demo').executeTakeFirstOrThrow();
    v.client.send({
      type: 'visitor.identify',
      cid: 'i2',
      id: 'user-42',
      name: 'Eva',
      email: 'eva@example.com',
      hash: identityHash('user-42', site.secret),
    });
    expect(await v.client.next((f) => f.cid === 'i2')).toMatchObject({ type: 'ack' });
    const row = await server.database.db.selectFrom('visitors').selectAll().where('id', '=', v.visitorId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ external_id: 'user-42', name: 'Eva', email: 'eva@example.com', verified: 1 });
    v.client.close();
  });

  it('keeps pre-chat details unverified and turns an offline message into a waiting ticket', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.profile', cid: 'p1', name: 'Max', email: 'max@example.com' });
    expect(await v.client.next((f) => f.cid === 'p1')).toMatchObject({ type: 'ack' });
    v.client.send({ type: 'offline.submit', cid: 'o1', email: 'not-an-email', message: 'Call me back' });
    expect(await v.client.next((f) => f.cid === 'o1')).toMatchObject({ type: 'error', code: 'BAD_FRAME', path: 'email' });
    v.client.send({ type: 'offline.submit', cid: 'o2', email: 'max@example.com', message: 'Please call me back about order 12' });
    const ack = await v.client.next((f) => f.cid === 'o2' && f.type === 'ack');
    const db = server.database.db;
    const conv = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', ack.conversationId as string)
      .executeTakeFirstOrThrow();
    expect(conv).toMatchObject({ status: 'queued', handoff_reason: 'offline_message' });
    const visitor = await db.selectFrom('visitors').selectAll().where('id', '=', v.visitorId).executeTakeFirstOrThrow();
    expect(visitor).toMatchObject({ name: 'Max', email: 'max@example.com', verified: 0 });
    // Agents see where to answer; the visitor's own copy carries no agent-only data.
    const a = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    a.client.send({ type: 'conversation.subscribe', conversationId: conv.id, lastSeq: 0 });
    const msg = await a.client.next((f) => f.type === 'message.created' && text(f) === 'Please call me back about order 12');
    expect(msg.message).toMatchObject({ offline: { email: 'max@example.com' } });
    const own = await v.client.next((f) => f.type === 'message.created' && text(f) === 'Please call me back about order 12');
    expect(own.message).not.toHaveProperty('offline');
    v.client.close();
    a.client.close();
  });

  it('replays history after a reload with the token, and resumes from a given seq', async () => {
    const v = await newVisitor(server.url);
    for (let i = 0; i < 3; i++) {
      v.client.send({ type: 'message.send', cid: `h${i}`, text: `m${i}` });
      await v.client.next((f) => f.type === 'ack' && f.cid === `h${i}`);
    }
    const conversationId = v.client.frames.find((f) => f.type === 'ack')!.conversationId as string;
    v.client.close();
    const { connect } = await import('../testing/client.js');
    const again = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: v.token });
    again.send({ type: 'visitor.hello', resume: { conversationId, lastSeq: 2 } });
    const welcome = await again.next((f) => f.type === 'welcome');
    expect(welcome).not.toHaveProperty('token');
    expect(welcome.visitorId).toBe(v.visitorId);
    const done = await again.next((f) => f.type === 'replay.done');
    const replayed = again.frames.filter((f) => f.type !== 'ack' && typeof f.seq === 'number').map((f) => f.seq);
    expect(replayed[0]).toBe(3);
    expect(replayed.at(-1)).toBe(done.lastSeq);
    again.close();
  });

  it('replays past internal notes: the visitor gets its own gap-free sequence, the agent gets the notes too', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'handoff.request', cid: 'h' });
    const { conversationId } = await v.client.next((f) => f.type === 'ack' && f.cid === 'h');
    const a = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    a.client.send({ type: 'conversation.claim', cid: 'claim-n', conversationId });
    const claimed = await a.client.next((f) => f.type === 'ack' && f.cid === 'claim-n');
    const visitorBefore = (await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned')).seq as number;
    // Notes before, between and after the replies: agent seqs the visitor never sees.
    const script = ['note', 'note', 'reply', 'note', 'note', 'note', 'reply', 'note'];
    for (const [i, kind] of script.entries()) {
      a.client.send({ type: kind === 'note' ? 'note.add' : 'message.send', cid: `s${i}`, conversationId, text: `${kind} ${i}` });
      await a.client.next((f) => f.type === 'ack' && f.cid === `s${i}`);
    }
    await v.client.next((f) => f.type === 'message.created' && text(f) === 'reply 6');
    v.client.close();
    a.client.close();

    const { connect } = await import('../testing/client.js');
    const resume = async (lastSeq: number) => {
      const c = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: v.token });
      c.send({ type: 'visitor.hello', resume: { conversationId, lastSeq } });
      const done = await c.next((f) => f.type === 'replay.done');
      expect(JSON.stringify(c.frames)).not.toContain('note ');
      return { c, done, replayed: c.frames.filter((f) => f.type === 'message.created') };
    };
    const again = await resume(visitorBefore);
    expect(again.replayed.map(text)).toEqual(['reply 2', 'reply 6']);
    expect(again.replayed.map((f) => f.seq)).toEqual([visitorBefore + 1, visitorBefore + 2]);
    expect(again.done.lastSeq).toBe(visitorBefore + 2);
    // From after 'reply 2', whose agent seq is higher than its visitor seq (two notes came first).
    const later = await resume(visitorBefore + 1);
    expect(later.replayed.map(text)).toEqual(['reply 6']);
    later.c.close();
    // Read receipts map the visitor's seq to the agent's across the notes: the visitor has read up
    // to 'reply 2', the agent sees the seq of that reply (not of the notes after it).
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: claimed.seq as number });
    await agent.client.next((f) => f.type === 'replay.done' && f.conversationId === conversationId);
    const agentLog = agent.client.frames.filter((f) => f.type === 'message.created' && f.conversationId === conversationId);
    expect(agentLog.map(text)).toEqual(script.map((kind, i) => `${kind} ${i}`));
    again.c.send({ type: 'conversation.read', conversationId, seq: visitorBefore + 1 });
    const read = await agent.client.next((f) => f.type === 'read' && f.by === 'visitor');
    expect(read.seq).toBe(agentLog[2]!.seq);
    again.c.close();
    agent.client.close();
  });
});
