// The one schema on both dialects: migrations run twice without harm, and the constraints that
// make commands exactly-once and seqs unique hold in the database itself.
import { describe, expect, it } from 'vitest';
import { closeDatabasesAfterEach, openTestDatabase } from '../testing/databases.js';
import type { OpenDatabase } from './db.js';
import { createMigrator, migrate } from './migrations.js';
import { insertSiteVisitorConversation } from '../testing/rows.js';
import type { Kysely } from 'kysely';

closeDatabasesAfterEach();

/** The schema of the last PostgreSQL test database (migrations record themselves there). */
let lastSchema: string | undefined;

async function open(dialect: 'sqlite' | 'postgres'): Promise<OpenDatabase> {
  const db = await openTestDatabase(dialect);
  lastSchema = db.schema;
  return db;
}

describe.each(['sqlite', 'postgres'] as const)('storage on %s', (dialect) => {
  it('migrates once and is a no-op the second time', async () => {
    const { db } = await open(dialect);
    expect(await migrate(db as unknown as Kysely<unknown>, lastSchema)).toEqual([]);
  });

  it('enforces one event per (sender, cid) and per (conversation, seq)', async () => {
    const { db } = await open(dialect);
    await insertEvents(db);
  });

  it('0007 drops the (conversation, visitor_seq) index and keeps every event and constraint', async () => {
    const { db, sqlite } = await open(dialect);
    const migrator = createMigrator(db as unknown as Kysely<unknown>, lastSchema);
    const down = await migrator.migrateTo('0006_proactive');
    expect(down.error).toBeUndefined();
    // Later migrations go down first; 0007 is the last one down.
    expect(down.results?.at(-1)).toMatchObject({
      migrationName: '0007_events_visitor_seq_unindexed',
      direction: 'Down',
      status: 'Success',
    });
    // Before: a second visitor_seq in a conversation is refused.
    const { event } = await insertEvents(db);
    await expect(
      db
        .insertInto('events')
        .values({ ...event('m6', 4, 'cid-6'), visitor_seq: 3 })
        .execute(),
    ).rejects.toThrow(/unique|UNIQUE/);
    const before = await db.selectFrom('events').selectAll().orderBy('seq').execute();
    expect((await migrate(db as unknown as Kysely<unknown>, lastSchema))[0]).toBe('0007_events_visitor_seq_unindexed');
    expect(await db.selectFrom('events').selectAll().orderBy('seq').execute()).toEqual(before);
    // The index is gone; the exactly-once and seq constraints are still there.
    await db
      .insertInto('events')
      .values({ ...event('m6', 4, 'cid-6'), visitor_seq: 3 })
      .execute();
    await expect(
      db
        .insertInto('events')
        .values(event('m7', 5, 'cid-1'))
        .execute(),
    ).rejects.toThrow(/unique|UNIQUE/);
    await expect(
      db
        .insertInto('events')
        .values(event('m8', 4, 'cid-8'))
        .execute(),
    ).rejects.toThrow(/unique|UNIQUE/);
    if (sqlite) {
      const indexes = sqlite.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().get();
      expect(indexes).toBe(3); // id, (conversation_id, seq), (actor_key, cid)
      expect(sqlite.pragma('foreign_key_check(events)')).toEqual([]);
    }
  });
});

/** A site, visitor and conversation, and five events checked against the constraints. */
async function insertEvents(db: OpenDatabase['db']) {
  const now = Date.now();
  await insertSiteVisitorConversation(db, now);
  const event = (id: string, seq: number, cid: string | null) => ({
    id,
    conversation_id: 'c',
    seq,
    visitor_seq: seq,
    kind: 'message' as const,
    author_type: 'visitor' as const,
    author_id: 'v',
    author_name: null,
    text: 'hi',
    data: null,
    actor_key: 'v:v',
    cid,
    created_at: now,
  });
  await db
    .insertInto('events')
    .values(event('m1', 1, 'cid-1'))
    .execute();
  await expect(
    db
      .insertInto('events')
      .values(event('m2', 2, 'cid-1'))
      .execute(),
  ).rejects.toThrow(/unique|UNIQUE/);
  await expect(
    db
      .insertInto('events')
      .values(event('m3', 1, 'cid-3'))
      .execute(),
  ).rejects.toThrow(/unique|UNIQUE/);
  // Events without a cid (bot answers) do not collide with each other.
  await db
    .insertInto('events')
    .values(event('m4', 2, null))
    .execute();
  await db
    .insertInto('events')
    .values({ ...event('m5', 3, null), visitor_seq: 3 })
    .execute();
  const rows = await db.selectFrom('events').select(['id', 'created_at']).orderBy('seq').execute();
  expect(rows.map((r) => r.id)).toEqual(['m1', 'm4', 'm5']);
  // Epoch milliseconds come back as numbers on both dialects.
  expect(rows[0]!.created_at).toBe(now);
  return { event };
}
