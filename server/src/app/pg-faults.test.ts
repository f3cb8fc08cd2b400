// PostgreSQL taken away under traffic from two instances on one schema: the instances' connections
// terminated (pg_terminate_backend, as a PostgreSQL restart does), and the network to it cut for
// 10 s (a TCP proxy). The shared PostgreSQL server is never stopped. Nobody restarts an instance:
// each survives, reports the database down while it is, and serves again afterwards. Counts come
// from both sides and from the database: every message sent is acked and stored once, in order,
// and delivered to the other side once, in order (lost = duplicated = out of order = 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startCluster, type Cluster } from '../testing/cluster.js';
import { startPrivateRedis, type PrivateRedis } from '../testing/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { login } from '../testing/client.js';
import { ReliableClient } from '../testing/reliable-client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { TEST_PG } from '../testing/databases.js';

interface Pair {
  visitor: ReliableClient;
  agent: ReliableClient;
  conversationId: string;
}

/** Conversations with their visitor on one instance and their agent on the other. */
async function openPairs(visitorUrl: string, agentUrl: string, n: number): Promise<Pair[]> {
  const cookie = await login(agentUrl, TEST_ADMIN.email, TEST_ADMIN.password);
  return Promise.all(
    Array.from({ length: n }, async () => {
      const visitor = new ReliableClient({ url: visitorUrl, role: 'visitor' });
      await visitor.connect();
      visitor.send({ type: 'handoff.request', cid: 'h' });
      await visitor.until(() => visitor.acks.has('h'), 30_000, 'handoff ack');
      const conversationId = visitor.conversationId!;
      const agent = new ReliableClient({ url: agentUrl, role: 'agent', cookie, origin: agentUrl, conversationId });
      await agent.connect();
      // One agent account throughout: a cid of its own per claim.
      agent.send({ type: 'conversation.claim', cid: `claim-${conversationId}`, conversationId });
      await agent.until(() => agent.acks.has(`claim-${conversationId}`), 30_000, 'claim ack');
      await visitor.until(() => visitor.received.length > 0, 30_000, 'assigned');
      return { visitor, agent, conversationId };
    }),
  );
}

/** Both sides of every conversation write one message every `everyMs`, `count` each. */
function traffic(pairs: Pair[], count: number, everyMs: number, tag: string): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    const timer = setInterval(() => {
      for (const [i, { visitor, agent, conversationId }] of pairs.entries()) {
        visitor.send({ type: 'message.send', cid: `v${n}`, conversationId, text: `from the visitor ${n}` });
        // One agent account in every conversation: its cids are unique across them.
        agent.send({ type: 'message.send', cid: `${tag}${i}-${n}`, conversationId, text: `from the agent ${n}` });
      }
      if (++n === count) {
        clearInterval(timer);
        resolve();
      }
    }, everyMs);
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Seqs a client acked for its own commands (in its own sequence). */
const ackedSeqs = (client: ReliableClient) => [...client.acks.values()].map((f) => f.seq).filter((s): s is number => typeof s === 'number');

/** Sent, acked, stored, delivered: everything once and in order, from both sides and the database. */
async function expectEverythingOnce(cluster: Cluster, pairs: Pair[], count: number, tag: string): Promise<void> {
  for (const { visitor, agent } of pairs) {
    await visitor.until(() => visitor.pending === 0, 60_000, 'visitor acks');
    await agent.until(() => agent.pending === 0, 60_000, 'agent acks');
  }
  const sent = range(0, count - 1);
  for (const [i, { visitor, agent, conversationId }] of pairs.entries()) {
    expect(visitor.errors).toEqual([]);
    expect(agent.errors).toEqual([]);
    expect(sent.every((n) => visitor.acks.has(`v${n}`) && agent.acks.has(`${tag}${i}-${n}`))).toBe(true);
    const conv = await cluster.database.db
      .selectFrom('conversations')
      .select(['last_seq', 'last_visitor_seq'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    const rows = await cluster.database.db
      .selectFrom('events')
      .select(['seq', 'cid', 'author_type', 'kind'])
      .where('conversation_id', '=', conversationId)
      .orderBy('seq')
      .execute();
    // Stored: each message once, in the order each side sent them, seqs without a hole.
    expect(rows.map((r) => r.seq)).toEqual(range(1, conv.last_seq));
    const messages = (author: string) => rows.filter((r) => r.kind === 'message' && r.author_type === author).map((r) => r.cid);
    expect(messages('visitor')).toEqual(sent.map((n) => `v${n}`));
    expect(messages('agent')).toEqual(sent.map((n) => `${tag}${i}-${n}`));
    // Delivered: what each side did not send itself reached it once and in order, on the socket it
    // had all along; with its own acks that is every seq of its sequence.
    for (const [client, last] of [
      [visitor, conv.last_visitor_seq],
      [agent, conv.last_seq],
    ] as const) {
      await client.until(() => new Set([...client.received, ...ackedSeqs(client)]).size === last, 15_000, 'every frame delivered');
      expect(client.reconnects).toBe(0);
      expect(new Set(client.received).size).toBe(client.received.length);
      expect([...client.received].sort((x, y) => x - y)).toEqual(client.received);
      expect([...new Set([...client.received, ...ackedSeqs(client)])].sort((x, y) => x - y)).toEqual(range(1, last));
    }
  }
}

const health = async (url: string) => {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; dependencies: { database: string } } };
};

/** A new visitor on the instance writes and is answered by the bot: it serves. */
async function serves(url: string): Promise<void> {
  const visitor = new ReliableClient({ url, role: 'visitor' });
  await visitor.connect();
  visitor.send({ type: 'message.send', cid: 'after', text: 'hello after the fault' });
  await visitor.until(() => visitor.acks.has('after'), 15_000, 'ack after the fault');
  visitor.close();
}

describe('PostgreSQL faults under traffic, two instances', () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let cluster: Cluster;
  let a: string;
  let b: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    const target = new URL(TEST_PG);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cluster = await startCluster({
      size: 2,
      redis,
      databaseUrl: proxy.via(TEST_PG),
      env: {
        AUTO_ASSIGN: 'false',
        VISITOR_MESSAGES_PER_WINDOW: '1000',
        AGENT_MESSAGES_PER_WINDOW: '100000',
        FRAMES_PER_WINDOW: '10000',
        CONNECTIONS_PER_IP: '500',
      },
    });
    [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await proxy?.close();
    await redis?.close();
  });

  it('survives its connections terminated three times under traffic: nothing lost, doubled or reordered', async () => {
    const pairs = await openPairs(a, b, 10);
    const count = 60;
    const sending = traffic(pairs, count, 50, 'kill');
    const pids = cluster.nodes.map((n) => n.child.pid);
    let terminated = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 600));
      // Only this cluster's connections: they carry its schema as their application_name.
      const { rows } = await sql<{ n: number }>`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE application_name = ${cluster.schema}`.execute(cluster.database.db);
      terminated += rows[0]!.n;
    }
    expect(terminated).toBeGreaterThan(0);
    await sending;
    await expectEverythingOnce(cluster, pairs, count, 'kill');
    // The same processes, serving.
    expect(cluster.nodes.map((n) => n.child.exitCode ?? n.child.signalCode)).toEqual([null, null]);
    expect(cluster.nodes.map((n) => n.child.pid)).toEqual(pids);
    for (const url of [a, b]) {
      expect(await health(url)).toMatchObject({ status: 200, body: { dependencies: { database: 'ok' } } });
      await serves(url);
    }
    for (const { visitor, agent } of pairs) {
      visitor.close();
      agent.close();
    }
  }, 120_000);

  it('survives the network to PostgreSQL cut for 10 s under traffic, reporting it down meanwhile', async () => {
    const pairs = await openPairs(b, a, 10);
    const count = 150;
    const sending = traffic(pairs, count, 100, 'cut');
    await new Promise((r) => setTimeout(r, 1500));
    proxy.cut();
    const cutAt = performance.now();
    // A load balancer sees each instance unable to serve.
    for (const url of [a, b]) {
      await expect.poll(async () => (await health(url)).status, { timeout: 5000, interval: 100 }).toBe(503);
      expect((await health(url)).body).toMatchObject({ status: 'down', dependencies: { database: 'down' } });
    }
    // The cut lasts 10 s (a duration, not a wait for an event).
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (performance.now() - cutAt))));
    proxy.restore();
    await sending;
    await expectEverythingOnce(cluster, pairs, count, 'cut');
    expect(cluster.nodes.map((n) => n.child.exitCode ?? n.child.signalCode)).toEqual([null, null]);
    for (const url of [a, b]) {
      expect(await health(url)).toMatchObject({ status: 200, body: { status: 'ok', dependencies: { database: 'ok' } } });
      await serves(url);
    }
    for (const { visitor, agent } of pairs) {
      visitor.close();
      agent.close();
    }
  }, 120_000);
});
