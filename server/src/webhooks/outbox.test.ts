// The webhook outbox is part of the transaction of the events it describes (subscriptions.ts,
// conversations/commit.ts), on both write paths: a write whose transaction rolls back leaves no
// delivery, and every committed event has exactly one, also when its batch was rolled back and run
// again in halves. A subscription made on one instance is honoured by another within the poll.
import { describe, expect, it } from 'vitest';
import type { Transaction } from 'kysely';
import { closeDatabasesAfterEach, openTestDatabase } from '../testing/databases.js';
import { createWriteQueue, type WriteQueue } from '../storage/write-queue.js';
import { createPgBatch } from '../storage/pg-batch.js';
import { prepareSqliteStatements } from '../storage/sqlite-statements.js';
import type { Database, WebhooksTable } from '../storage/schema.js';
import { createConversations, silentBot, type EventRow } from '../conversations/index.js';
import { createAuth } from '../auth/auth.js';
import { seed, DEMO_SITE } from '../app/seed.js';
import { createWebhookSubscriptions } from './subscriptions.js';

closeDatabasesAfterEach();

const seedOptions = {
  adminEmail: 'outbox@example.com',
  adminPassword: 'outbox-password-1',
  seedDemo: true,
  exampleFaqDir: '/nonexistent',
  faqDir: '/nonexistent',
};

/** An enabled webhook of the demo site, written directly (as another instance would). */
const webhookRow = (id: string, events: string[]): WebhooksTable => ({
  id,
  site_key: DEMO_SITE,
  url: 'https://example.com/hook',
  secret: 'whsec_x',
  events: JSON.stringify(events),
  enabled: 1,
  disabled_reason: null,
  consecutive_failures: 0,
  created_at: 0,
});

describe.each(['sqlite', 'postgres'] as const)('the webhook outbox on %s', (dialect) => {
  it('writes no delivery for a rolled-back write and exactly one per committed event', async () => {
    const database = await openTestDatabase(dialect);
    const { db } = database;
    await seed({ db, ...seedOptions });
    await db
      .insertInto('webhooks')
      .values(webhookRow('wh_outbox', ['conversation.created', 'message.created.visitor']))
      .execute();
    const subscriptions = createWebhookSubscriptions({ db });
    await subscriptions.start();
    const fast = database.sqlite ? prepareSqliteStatements(database.sqlite) : undefined;
    const pg = database.pgStatements ? createPgBatch(database.pgStatements) : undefined;
    const queue = createWriteQueue(db, { batchHooks: fast ?? pg, pipeline: database.commitPipeline });
    // A write that fails after it wrote its events and outbox rows (a value the database refuses,
    // a lost connection): its transaction rolls back, and the batch runs again in halves.
    const poisoned = new Set(['m3', 'm7']);
    const writes: WriteQueue = {
      stats: queue.stats,
      drain: () => queue.drain(),
      run: (op, keys) =>
        queue.run(async (tx: Transaction<Database>) => {
          const result = await op(tx);
          // commit.ts's operation answers with the change it built (its events, its outbox rows written).
          const events = (result as { change?: { events: readonly EventRow[] } | null } | null)?.change?.events ?? [];
          if (events.some((e) => e.cid !== null && poisoned.has(e.cid))) throw new Error('refused after writing');
          return result;
        }, keys),
    };
    const { commands } = createConversations({
      db,
      dialect,
      writes,
      bots: silentBot,
      reopenWindowMs: 86_400_000,
      defaultHandlingSeconds: 300,
      sqlite: fast,
      pg,
      outbox: subscriptions.outboxRows,
    });
    const auth = createAuth({ db, dialect, sessionTtlMs: 3_600_000 });
    const visitors = await Promise.all(Array.from({ length: 10 }, () => auth.createVisitor(DEMO_SITE, '{}')));
    // All in one tick: one batch, which fails as a whole and is retried in halves.
    const outcomes = await Promise.allSettled(
      visitors.map(({ visitor }, i) => commands.visitorMessage(visitor, { cid: `m${i}`, text: `hello ${i}` })),
    );
    expect(outcomes.map((o) => o.status)).toEqual(visitors.map((_, i) => (poisoned.has(`m${i}`) ? 'rejected' : 'fulfilled')));
    await writes.drain();

    const messages = await db.selectFrom('events').selectAll().where('kind', '=', 'message').where('author_type', '=', 'visitor').execute();
    expect(messages.map((m) => m.cid).sort()).toEqual(['m0', 'm1', 'm2', 'm4', 'm5', 'm6', 'm8', 'm9']);
    const deliveries = await db.selectFrom('webhook_deliveries').selectAll().execute();
    const about = deliveries.map((d) => {
      const payload = JSON.parse(d.payload) as { id: string; event: string; message?: { id: string }; conversation: { id: string } };
      expect(payload.id).toBe(d.id);
      return { event: d.event, conversation: payload.conversation.id, message: payload.message?.id ?? null };
    });
    // One message.created.visitor per stored message, one conversation.created per conversation, nothing else.
    expect(
      about
        .filter((a) => a.event === 'message.created.visitor')
        .map((a) => a.message)
        .sort(),
    ).toEqual(messages.map((m) => m.id).sort());
    const conversations = await db.selectFrom('conversations').select('id').execute();
    expect(conversations).toHaveLength(8);
    expect(
      about
        .filter((a) => a.event === 'conversation.created')
        .map((a) => a.conversation)
        .sort(),
    ).toEqual(conversations.map((c) => c.id).sort());
    expect(deliveries).toHaveLength(16);
    expect(new Set(deliveries.map((d) => d.status))).toEqual(new Set(['pending']));
    subscriptions.stop();
  }, 60_000);
});

describe('webhook subscriptions across instances', () => {
  it('are honoured by another instance within its poll, without news on a hub', async () => {
    const database = await openTestDatabase('postgres');
    const { db } = database;
    await seed({ db, ...seedOptions });
    const a = createWebhookSubscriptions({ db });
    const b = createWebhookSubscriptions({ db, pollMs: 200 });
    await a.start();
    await b.start();
    expect(b.has(DEMO_SITE)).toBe(false);
    await db
      .insertInto('webhooks')
      .values(webhookRow('wh_new', ['message.created.visitor']))
      .execute();
    const changedAt = Date.now();
    await a.changed();
    expect(a.has(DEMO_SITE)).toBe(true);
    // B hears nothing (no hub): it finds the new revision on its next poll.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!b.has(DEMO_SITE)) return;
        clearInterval(check);
        resolve();
      }, 10);
    });
    expect(Date.now() - changedAt).toBeLessThan(5000);
    await db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', 'wh_new').execute();
    await a.changed();
    expect(a.has(DEMO_SITE)).toBe(false);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (b.has(DEMO_SITE)) return;
        clearInterval(check);
        resolve();
      }, 10);
    });
    a.stop();
    b.stop();
  }, 30_000);
});
