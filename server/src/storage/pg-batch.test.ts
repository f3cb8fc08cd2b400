// The PostgreSQL write path between two instances: batches that write the same conversations in
// opposite orders lock them in one global order (no deadlock), and every message is stored once
// with its own seq. A command both write at once (a forwarded message that one instance wrote after
// the other did not answer in time) is stored once: the loser's batch fails on the (sender, cid)
// constraint and is retried, and its retry finds the stored event.
import { describe, expect, it } from 'vitest';
import { closeDatabasesAfterEach, openTestDatabase, TEST_PG } from '../testing/databases.js';
import { openDatabase } from './db.js';
import { createWriteQueue } from './write-queue.js';
import { createPgBatch } from './pg-batch.js';
import { createConversations, silentBot } from '../conversations/index.js';
import { createAuth } from '../auth/auth.js';
import { seed, DEMO_SITE } from '../app/seed.js';
import { insertDemoAgent } from '../testing/rows.js';
import type { AckFrame } from '@servus/shared';

closeDatabasesAfterEach();

/** One instance's write path on a schema: its own pool, write queue and batch. */
async function instance(databaseUrl: string, schema: string) {
  const database = await openDatabase({ databaseUrl, pgSchema: schema });
  const failures: unknown[] = [];
  const pg = createPgBatch(database.pgStatements!);
  const writes = createWriteQueue(database.db, { batchHooks: pg, onBatchFailed: (err) => failures.push(err) });
  const domain = createConversations({
    db: database.db,
    dialect: 'postgres',
    writes,
    bots: silentBot,
    reopenWindowMs: 86_400_000,
    defaultHandlingSeconds: 300,
    pg,
  });
  return { database, writes, commands: domain.commands, failures };
}

/** Two instances' write paths on one fresh schema, and 20 conversations claimed by one agent. */
async function twoInstances() {
  const first = await openTestDatabase('postgres');
  const { db } = first;
  await seed({
    db,
    adminEmail: 'lock@example.com',
    adminPassword: 'lock-password-1',
    seedDemo: true,
    exampleFaqDir: '/nonexistent',
    faqDir: '/nonexistent',
  });
  const agent = await insertDemoAgent(db, 'a_lock', 1000);
  const a = await instance(TEST_PG, first.schema!);
  const b = await instance(TEST_PG, first.schema!);
  const auth = createAuth({ db, dialect: 'postgres', sessionTtlMs: 3_600_000 });
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { visitor } = await auth.createVisitor(DEMO_SITE, '{}');
    const handoff = await a.commands.requestHandoff(visitor, { cid: 'h' });
    await a.commands.claim(agent, { cid: `c${i}`, conversationId: handoff.conversationId! });
    ids.push(handoff.conversationId!);
  }
  return { db, a, b, agent, ids };
}

describe('the PostgreSQL write batch', () => {
  it('lets two instances write the same 20 conversations in opposite orders without a deadlock', async () => {
    const { db, a, b, agent, ids } = await twoInstances();
    // 30 rounds: in each, A's batch writes the conversations first to last and B's last to first,
    // both in the same tick (one batch each), each message its own cid.
    const rounds = 30;
    for (let r = 0; r < rounds; r++) {
      await Promise.all([
        ...ids.map((id, i) => a.commands.agentMessage(agent, { cid: `a${r}-${i}`, conversationId: id, text: `A ${r}` })),
        ...[...ids].reverse().map((id, i) => b.commands.agentMessage(agent, { cid: `b${r}-${i}`, conversationId: id, text: `B ${r}` })),
      ]);
    }
    const deadlocks = [...a.failures, ...b.failures].filter((e) => (e as { code?: string }).code === '40P01');
    expect(deadlocks).toHaveLength(0);
    expect(a.writes.stats.ops + b.writes.stats.ops).toBeGreaterThanOrEqual(2 * rounds * ids.length);
    for (const id of ids) {
      const rows = await db.selectFrom('events').select(['seq', 'cid']).where('conversation_id', '=', id).orderBy('seq').execute();
      const conv = await db.selectFrom('conversations').select('last_seq').where('id', '=', id).executeTakeFirstOrThrow();
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: conv.last_seq }, (_, i) => i + 1));
      expect(rows.filter((row) => /^[ab]\d/.test(row.cid ?? ''))).toHaveLength(2 * rounds);
    }
    await a.writes.drain();
    await b.writes.drain();
    await a.database.close();
    await b.database.close();
  }, 120_000);

  it('stores a command both instances write at once (a forwarded message) once, and acks it on both alike', async () => {
    const { db, a, b, agent, ids } = await twoInstances();
    for (let r = 0; r < 10; r++) {
      const acks = await Promise.all(
        ['a', 'b'].flatMap((side) =>
          ids.map((id, i) =>
            (side === 'a' ? a : b).commands.agentMessage(agent, { cid: `same${r}-${i}`, conversationId: id, text: `${r}` }),
          ),
        ),
      );
      // Each command's ack on A names the event its ack on B names (one of them says it was a duplicate).
      const event = (ack: AckFrame) => [ack.cid, ack.id, ack.seq];
      expect(acks.slice(ids.length).map(event)).toEqual(acks.slice(0, ids.length).map(event));
      expect(acks.filter((ack) => ack.duplicate)).toHaveLength(ids.length);
    }
    const stored = await db.selectFrom('events').select('cid').where('cid', 'like', 'same%').execute();
    expect(stored).toHaveLength(10 * ids.length);
    await a.writes.drain();
    await b.writes.drain();
    await a.database.close();
    await b.database.close();
  }, 120_000);
});
