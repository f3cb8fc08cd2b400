// Several instances for real: separate processes on one PostgreSQL schema and one Redis, as behind
// a load balancer. Every feature behaves as with one process, and faults (an instance killed, Redis
// gone for 10 s) are survived without anyone restarting anything. Counts come from both sides and
// from the database: nothing lost, nothing twice, nothing out of order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../testing/cluster.js';
import { startPrivateRedis, type PrivateRedis } from '../testing/redis-server.js';
import { connect, login, newAgent, newVisitor, type Frame, type TestClient } from '../testing/client.js';
import { ReliableClient } from '../testing/reliable-client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

/** Logged seqs of the message.created frames a client got for a conversation, in arrival order. */
const messageSeqs = (client: TestClient, conversationId: string) =>
  client.frames.filter((f) => f.type === 'message.created' && f.conversationId === conversationId).map((f) => f.seq as number);

function expectInOrderOnce(seqs: number[]): void {
  expect(new Set(seqs).size).toBe(seqs.length);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
}

const METRICS_TOKEN = 'scale-out-test-metrics';

/** An instance's count of agent messages it sent to the instance holding the visitor, by where they were written. */
async function forwarded(url: string): Promise<{ there: number; here: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const count = (written: string) =>
    Number(new RegExp(`^servus_forwarded_messages_total\\{written="${written}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { there: count('there'), here: count('here') };
}

const rest = (url: string, cookie: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', origin: url, cookie },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('two instances', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  let a: string;
  let b: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = await startCluster({
      size: 2,
      redis,
      env: {
        VISITOR_MESSAGES_PER_WINDOW: '300',
        AGENT_MESSAGES_PER_WINDOW: '1000',
        FRAMES_PER_WINDOW: '1000',
        CONNECTIONS_PER_IP: '500',
        METRICS_TOKEN,
      },
    });
    [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it('carries 200 messages each way between a visitor on A and an agent on B, with typing and read receipts', async () => {
    const visitor = await newVisitor(a);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const conversationId = (await visitor.client.next((f) => f.type === 'ack' && f.cid === 'h')).conversationId as string;
    const agent = await newAgent(b, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await agent.client.next((f) => f.type === 'replay.done');
    agent.client.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');

    visitor.client.send({ type: 'typing.update', conversationId, active: true });
    expect(await agent.client.next((f) => f.type === 'typing')).toMatchObject({ active: true, author: { type: 'visitor' } });
    agent.client.send({ type: 'typing.update', conversationId, active: true });
    expect(await visitor.client.next((f) => f.type === 'typing')).toMatchObject({ active: true, author: { type: 'agent' } });
    // B learns from the visitor's first message (written on A) that A holds the visitor.
    visitor.client.send({ type: 'message.send', cid: 'hello', conversationId, text: 'hello' });
    await agent.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'hello');

    for (let i = 0; i < 200; i++) {
      visitor.client.send({ type: 'message.send', cid: `v${i}`, conversationId, text: `from the visitor ${i}` });
      agent.client.send({ type: 'message.send', cid: `a${i}`, conversationId, text: `from the agent ${i}` });
    }
    const acked = async (client: TestClient, prefix: string) => {
      for (let i = 0; i < 200; i++) await client.next((f) => f.type === 'ack' && f.cid === `${prefix}${i}`, 30_000);
    };
    await Promise.all([acked(visitor.client, 'v'), acked(agent.client, 'a')]);
    const lastSeq = (
      await cluster.database.db.selectFrom('conversations').select('last_seq').where('id', '=', conversationId).executeTakeFirstOrThrow()
    ).last_seq;
    await visitor.client.next((f) => f.type === 'message.created' && f.seq === lastSeq, 30_000);
    await agent.client.next((f) => f.type === 'message.created' && f.seq === lastSeq, 30_000);

    const stored = await cluster.database.db
      .selectFrom('events')
      .select(['cid', 'seq'])
      .where('conversation_id', '=', conversationId)
      .where('kind', '=', 'message')
      .orderBy('seq')
      .execute();
    expect(stored).toHaveLength(401);
    expect(new Set(stored.map((e) => e.cid)).size).toBe(401);
    // Each side's messages stored in the order sent.
    for (const prefix of ['v', 'a'])
      expect(stored.map((e) => e.cid!).filter((cid) => cid.startsWith(prefix))).toEqual(
        Array.from({ length: 200 }, (_, i) => `${prefix}${i}`),
      );
    // B sent the agent's messages to A to be written there (B writes them itself only when A does
    // not answer within 2 s, which a very busy machine could cause: stored once and in order all
    // the same, as asserted above).
    expect((await forwarded(b)).there).toBeGreaterThan(0);
    for (const client of [visitor.client, agent.client]) {
      const seqs = messageSeqs(client, conversationId);
      expectInOrderOnce(seqs);
      expect(seqs).toHaveLength(401);
    }
    // Read receipts cross the instances too.
    visitor.client.send({ type: 'conversation.read', conversationId, seq: lastSeq });
    expect(await agent.client.next((f) => f.type === 'read' && f.by === 'visitor')).toMatchObject({ seq: lastSeq });
    agent.client.send({ type: 'conversation.read', conversationId, seq: lastSeq });
    expect(await visitor.client.next((f) => f.type === 'read' && f.by === 'agent')).toMatchObject({ seq: expect.any(Number) });
    visitor.client.close();
    agent.client.close();
  }, 120_000);

  it('gives each of 20 conversations to exactly one of two agents claiming all at once from different instances', async () => {
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(a, cookie, 'POST', '/api/agents', { name: 'Bea', email: 'bea@example.com', password: 'bea-password', role: 'agent' });
    const conversations: string[] = [];
    for (let i = 0; i < 20; i++) {
      const v = await newVisitor(i % 2 ? a : b);
      v.client.send({ type: 'handoff.request', cid: 'h' });
      conversations.push((await v.client.next((f) => f.type === 'ack')).conversationId as string);
      v.client.close();
    }
    const one = await newAgent(a, TEST_ADMIN.email, TEST_ADMIN.password);
    const two = await newAgent(b, 'bea@example.com', 'bea-password');
    // Auto-assignment gives chats to agents who are online; both claim before it can matter.
    for (const id of conversations) {
      one.client.send({ type: 'conversation.claim', cid: `c-${id}`, conversationId: id });
      two.client.send({ type: 'conversation.claim', cid: `c-${id}`, conversationId: id });
    }
    const answers = async (client: TestClient) =>
      Promise.all(conversations.map((id) => client.next((f) => (f.type === 'ack' || f.type === 'error') && f.cid === `c-${id}`)));
    const [fromOne, fromTwo] = await Promise.all([answers(one.client), answers(two.client)]);
    for (let i = 0; i < 20; i++) {
      const won = [fromOne[i]!, fromTwo[i]!].filter((f) => f.type === 'ack');
      expect(won).toHaveLength(1);
    }
    const rows = await cluster.database.db
      .selectFrom('conversations')
      .select(['id', 'assignee_id'])
      .where('id', 'in', conversations)
      .execute();
    for (const row of rows) {
      const winner = fromOne[conversations.indexOf(row.id)]!.type === 'ack' ? one.agentId : two.agentId;
      expect(row.assignee_id).toBe(winner);
    }
    one.client.close();
    two.client.close();
  }, 60_000);

  it('shows a visitor on A the agents online on B, and auto-assigns their chat there', async () => {
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(a, cookie, 'POST', '/api/agents', {
      name: 'Cem',
      email: 'cem@example.com',
      password: 'cem-password',
      role: 'agent',
      capacity: 50,
    });
    const cem = await newAgent(b, 'cem@example.com', 'cem-password');
    const visitor = await newVisitor(a);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const handoff = await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    const queue = (handoff.conversation as { queue: { agentsOnline: number; expectedWaitSeconds: number | null } }).queue;
    expect(queue.agentsOnline).toBeGreaterThanOrEqual(1);
    expect(queue.expectedWaitSeconds).not.toBeNull();
    const assigned = await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned', 15_000);
    expect((assigned.conversation as { assignee: { name: string } }).assignee.name).toBe('Cem');
    visitor.client.close();
    cem.client.close();
  }, 60_000);

  it('counts a visitor’s messages on both instances against one limit', async () => {
    const limited = await startCluster({ size: 2, redis, env: { VISITOR_MESSAGES_PER_WINDOW: '20', RATE_WINDOW_MS: '60000' } });
    try {
      const [x, y] = limited.nodes.map((n) => n.url) as [string, string];
      const first = await newVisitor(x);
      const second = await connect(`${y.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: first.token });
      second.send({ type: 'visitor.hello' });
      await second.next((f) => f.type === 'welcome');
      for (let i = 0; i < 20; i++) {
        first.client.send({ type: 'message.send', cid: `x${i}`, text: `x ${i}` });
        second.send({ type: 'message.send', cid: `y${i}`, text: `y ${i}` });
      }
      const outcome = async (client: TestClient, prefix: string) =>
        Promise.all(
          Array.from({ length: 20 }, (_, i) => client.next((f) => (f.type === 'ack' || f.type === 'error') && f.cid === `${prefix}${i}`)),
        );
      const all = [...(await outcome(first.client, 'x')), ...(await outcome(second, 'y'))];
      expect(all.filter((f) => f.type === 'ack')).toHaveLength(20);
      expect(all.filter((f) => f.type === 'error').every((f: Frame) => f.code === 'RATE_LIMITED')).toBe(true);
      first.client.close();
      second.close();
    } finally {
      await limited.close();
    }
  }, 60_000);

  it('answers on B from an FAQ entry added through A’s editor, and shows it in B’s editor', async () => {
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    const entry = {
      question: 'Can I pay with a lighthouse voucher?',
      variants: ['lighthouse voucher payment'],
      answer: 'Yes: lighthouse vouchers are welcome.',
      lang: 'en',
    };
    expect((await rest(a, cookie, 'POST', '/api/sites/demo/faq', entry)).status).toBe(201);
    const onB = await login(b, TEST_ADMIN.email, TEST_ADMIN.password);
    const listed = async () =>
      ((await (await rest(b, onB, 'GET', '/api/sites/demo/faq')).json()) as { entries: { answer: string }[] }).entries;
    await expect.poll(async () => (await listed()).some((e) => e.answer === entry.answer), { timeout: 10_000, interval: 100 }).toBe(true);
    // B's live bot reloads the entries when it hears of the edit; ask until it has. Each question in
    // a conversation of its own: unsure answers in a row in one conversation hand it to the queue,
    // where the bot is silent (it failed so once on a busy machine).
    const ask = async () => {
      const visitor = await newVisitor(b);
      try {
        visitor.client.send({ type: 'message.send', cid: 'q', text: 'Can I pay with a lighthouse voucher?' });
        const ack = await visitor.client.next((f) => f.type === 'ack' && f.cid === 'q');
        const bot = await visitor.client.next((f) => f.type === 'message.created' && f.seq === (ack.seq as number) + 1);
        return (bot.message as { text: string }).text;
      } finally {
        visitor.client.close();
      }
    };
    await expect.poll(ask, { timeout: 10_000, interval: 200 }).toBe(entry.answer);
  }, 60_000);

  it('closes an agent’s socket on B when the agent is removed through A', async () => {
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await rest(a, cookie, 'POST', '/api/agents', { name: 'Dora', email: 'dora@example.com', password: 'dora-password' });
    const doraId = ((await created.json()) as { agent: { id: string } }).agent.id;
    const dora = await newAgent(b, 'dora@example.com', 'dora-password');
    const t = performance.now();
    expect((await rest(a, cookie, 'DELETE', `/api/agents/${doraId}`)).status).toBe(200);
    expect((await dora.client.closed).code).toBe(1008);
    expect(performance.now() - t).toBeLessThan(1000);
  }, 30_000);

  it('writes an agent’s messages on B when A, holding the visitor, stops answering, each once and in order', async () => {
    const [nodeA] = cluster.nodes;
    // An agent of its own: the admin's cids (claim, a0, ...) were used by the first test.
    const cookie = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(a, cookie, 'POST', '/api/agents', { name: 'Finn', email: 'finn@example.com', password: 'finn-password', role: 'agent' });
    const visitor = await newVisitor(a);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const conversationId = (await visitor.client.next((f) => f.type === 'ack' && f.cid === 'h')).conversationId as string;
    const agent = await newAgent(b, 'finn@example.com', 'finn-password');
    agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await agent.client.next((f) => f.type === 'replay.done');
    agent.client.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    expect(await agent.client.next((f) => f.cid === 'claim')).toMatchObject({ type: 'ack' });
    await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    const said = async (client: TestClient, cid: string, from: TestClient) => {
      from.send({ type: 'message.send', cid, conversationId, text: cid });
      const { seq } = await from.next((f) => f.type === 'ack' && f.cid === cid, 15_000);
      await client.next((f) => f.type === 'message.created' && f.seq === seq, 15_000);
    };
    await said(agent.client, 'v0', visitor.client);
    const before = await forwarded(b);
    await said(visitor.client, 'a0', agent.client);
    const sent = await forwarded(b);
    expect(sent.there + sent.here).toBe(before.there + before.here + 1);

    // A hangs with B's calls unanswered: after 2 s B writes the messages itself, in order.
    nodeA!.child.kill('SIGSTOP');
    try {
      for (let i = 1; i <= 5; i++) agent.client.send({ type: 'message.send', cid: `a${i}`, conversationId, text: `a${i}` });
      const acks = [];
      for (let i = 1; i <= 5; i++) acks.push(await agent.client.next((f) => f.cid === `a${i}`, 15_000));
      expect(acks.map((f) => f.type)).toEqual(Array(5).fill('ack'));
      expect(await forwarded(b)).toEqual({ there: sent.there, here: sent.here + 5 });
    } finally {
      nodeA!.child.kill('SIGCONT');
    }
    // A wakes up and runs the calls it got meanwhile: it finds each message by its cid and writes nothing twice.
    await visitor.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'a5', 15_000);
    await said(agent.client, 'v1', visitor.client);
    await said(visitor.client, 'a6', agent.client);
    const stored = await cluster.database.db
      .selectFrom('events')
      .select('cid')
      .where('conversation_id', '=', conversationId)
      .where('kind', '=', 'message')
      .orderBy('seq')
      .execute();
    expect(stored.map((e) => e.cid)).toEqual(['v0', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'v1', 'a6']);
    for (const client of [visitor.client, agent.client]) expectInOrderOnce(messageSeqs(client, conversationId));
    visitor.client.close();
    agent.client.close();
  }, 60_000);
});

describe('an instance dies', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = await startCluster({
      size: 2,
      redis,
      env: {
        INSTANCE_TIMEOUT_SECONDS: '2',
        PRESENCE_REFRESH_SECONDS: '0.5',
        AGENT_OFFLINE_GRACE_SECONDS: '1',
        AUTO_ASSIGN: 'false',
        CONNECTIONS_PER_IP: '500',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it('lets its 50 visitors resume on the other instance without losing or doubling a message, and hands its agent’s chats back', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    // An agent on A holds a chat of a visitor on B.
    const held = await newVisitor(b);
    held.client.send({ type: 'handoff.request', cid: 'h' });
    const heldId = (await held.client.next((f) => f.type === 'ack')).conversationId as string;
    const agent = await newAgent(a, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.claim', cid: 'c', conversationId: heldId });
    await held.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');

    const visitors = Array.from({ length: 50 }, () => new ReliableClient({ url: a, role: 'visitor' }));
    await Promise.all(visitors.map((v) => v.connect()));
    for (const [i, v] of visitors.entries())
      for (let m = 0; m < 5; m++) v.send({ type: 'message.send', cid: `m${i}-${m}`, text: `${i}/${m}` });
    await cluster.nodes[0]!.kill();
    await Promise.all(visitors.map((v) => v.moveTo(b)));
    for (const [i, v] of visitors.entries())
      for (let m = 5; m < 10; m++) v.send({ type: 'message.send', cid: `m${i}-${m}`, text: `${i}/${m}` });
    await Promise.all(visitors.map((v) => v.until(() => v.pending === 0 && v.acks.size === 10, 30_000, 'every message acked')));
    for (const v of visitors) {
      const rows = await cluster.database.db
        .selectFrom('events')
        .select(['cid', 'seq'])
        .where('conversation_id', '=', v.conversationId!)
        .where('author_type', '=', 'visitor')
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => r.cid)).toEqual(Array.from({ length: 10 }, (_, m) => `m${visitors.indexOf(v)}-${m}`));
      v.close();
    }
    // A's agent is gone with A: once A's heartbeat is stale and the grace period has passed, B hands
    // the chat back to the queue (no one restarted anything).
    const released = await held.client.next((f) => f.type === 'conversation.updated' && f.change === 'released', 20_000);
    expect((released.conversation as { status: string }).status).toBe('queued');
    held.client.close();
  }, 120_000);
});

describe('Redis away for 10 s', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = await startCluster({ size: 2, redis, env: { AUTO_ASSIGN: 'false' } });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it('keeps delivering on each instance, and catches every socket up within 2 s of its return', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const visitor = await newVisitor(a);
    visitor.client.send({ type: 'handoff.request', cid: 'h' });
    const conversationId = (await visitor.client.next((f) => f.type === 'ack')).conversationId as string;
    const onA = await newAgent(a, TEST_ADMIN.email, TEST_ADMIN.password);
    const onB = await newAgent(b, TEST_ADMIN.email, TEST_ADMIN.password);
    for (const agent of [onA, onB]) {
      agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
      await agent.client.next((f) => f.type === 'replay.done');
    }
    onA.client.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    await visitor.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');

    await redis.stop();
    const stoppedAt = performance.now();
    expect(await (await fetch(`${a}/healthz`)).json()).toMatchObject({
      status: 'degraded',
      dependencies: { database: 'ok', redis: 'down' },
    });
    // During the outage: A delivers to A's sockets; what B's agent writes reaches B's sockets only.
    visitor.client.send({ type: 'message.send', cid: 'during-1', conversationId, text: 'still there?' });
    await onA.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'still there?');
    onB.client.send({ type: 'note.add', cid: 'n1', conversationId, text: 'written on B while Redis is away' });
    await onB.client.next((f) => f.type === 'ack' && f.cid === 'n1');
    onA.client.send({ type: 'message.send', cid: 'a1', conversationId, text: 'yes, here' });
    await visitor.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'yes, here');
    // A socket opened during the outage, on B.
    const lateAgent = await newAgent(b, TEST_ADMIN.email, TEST_ADMIN.password);
    lateAgent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await lateAgent.client.next((f) => f.type === 'replay.done');
    // The outage lasts 10 s in all (a duration, not a wait for an event).
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (performance.now() - stoppedAt))));
    await redis.start();
    const back = performance.now();
    const lastSeq = (
      await cluster.database.db.selectFrom('conversations').select('last_seq').where('id', '=', conversationId).executeTakeFirstOrThrow()
    ).last_seq;
    // Every socket has everything within 2 s: B's note reaches A's agent, A's messages reach B's.
    await onA.client.next((f) => f.type === 'message.created' && f.seq === lastSeq - 1, 5000);
    await onB.client.next((f) => f.type === 'message.created' && f.seq === lastSeq, 5000);
    expect(performance.now() - back).toBeLessThan(2000);
    for (const agent of [onA, onB]) expectInOrderOnce(messageSeqs(agent.client, conversationId));
    // Live again: the socket opened during the outage hears what A writes now.
    onA.client.send({ type: 'message.send', cid: 'a2', conversationId, text: 'after the outage' });
    await lateAgent.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'after the outage', 5000);
    expect(await (await fetch(`${b}/healthz`)).json()).toMatchObject({ status: 'ok', dependencies: { redis: 'ok' } });
    for (const c of [visitor.client, onA.client, onB.client, lateAgent.client]) c.close();
  }, 90_000);
});
