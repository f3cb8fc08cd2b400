// SQLite's WAL sync off the event loop (pipelined): the writer runs with synchronous = NORMAL; every
// commit (or write outside a transaction) made through Kysely resolves only after an fdatasync of the
// WAL that started after it, a read only once everything it could have seen is on disk, and a
// deferred commit (the write queue's) returns at once and is waited for with durable().
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from './db.js';
import { createWalSync } from './wal-sync.js';
import { createWriteQueue } from './write-queue.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function open(walSync?: 'pipelined' | 'inline'): Promise<OpenDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'servus-walsync-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const database = await openDatabase({ dataDir, ...(walSync ? { walSync } : {}) });
  cleanup.push(() => database.close());
  await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(database.db);
  return database;
}

describe('WAL sync off the event loop', () => {
  it('syncs after each commit and each autocommit write, not inside a transaction', async () => {
    const database = await open('pipelined');
    const wal = database.walSync!;
    expect(database.sqlite!.pragma('synchronous', { simple: true })).toBe(1);
    const count = () => database.sqlite!.prepare('SELECT count(*) FROM t').pluck().get() as number;
    // The rows on disk whenever a commit's or a read's caller resumes: every fdatasync is recorded
    // with the rows committed when it started.
    await sql`INSERT INTO t (body) VALUES ('a')`.execute(database.db);
    const afterAutocommit = wal.count;
    expect(afterAutocommit).toBeGreaterThan(0);
    await database.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO t (body) VALUES ('b')`.execute(tx);
      await sql`INSERT INTO t (body) VALUES ('c')`.execute(tx);
      expect(wal.count).toBe(afterAutocommit);
    });
    expect(wal.count).toBe(afterAutocommit + 1);
    expect(count()).toBe(3);
    // Reads with nothing pending need no sync.
    await database.db.selectFrom('sites').selectAll().execute();
    await sql`SELECT count(*) FROM t`.execute(database.db);
    expect(wal.count).toBe(afterAutocommit + 1);
  });

  it('lets a deferred commit return at once and holds back reads until it is on disk', async () => {
    const database = await open('pipelined');
    const wal = database.walSync!;
    const pipeline = database.commitPipeline!;
    const order: string[] = [];
    await database.db.transaction().execute(async (tx) => {
      pipeline.deferCommit();
      await sql`INSERT INTO t (body) VALUES ('deferred')`.execute(tx);
    });
    // Committed (visible) but its sync was never asked for: no fdatasync covers it yet.
    const n = wal.latest;
    const syncsBefore = wal.count;
    const durable = pipeline.durable().then(() => order.push('durable'));
    const read = sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(database.db).then((r) => {
      order.push(`read ${r.rows[0]!.n}`);
    });
    await Promise.all([durable, read]);
    expect(wal.count).toBe(syncsBefore + 1);
    expect(order).toEqual(['durable', 'read 1']);
    // A later commit gets a later number, and durable() of it needs another sync.
    await sql`INSERT INTO t (body) VALUES ('x')`.execute(database.db);
    expect(wal.latest).toBe(n + 1);
    expect(wal.count).toBe(syncsBefore + 2);
  });

  it('resolves group-commit batches in order, each only once its commit is on disk', async () => {
    const database = await open('pipelined');
    const wal = database.walSync!;
    const writes = createWriteQueue(database.db, { pipeline: database.commitPipeline, maxBatch: 2 });
    const resolved: { body: string; committed: number; synced: number }[] = [];
    // Five writes, batches of two: three transactions, committed back to back without waiting.
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((body) =>
        writes
          .run(async (tx) => {
            await sql`INSERT INTO t (body) VALUES (${body})`.execute(tx);
            return wal.latest + 1; // this transaction's commit number, once it commits
          })
          .then((committed) => void resolved.push({ body, committed, synced: wal.synced })),
      ),
    );
    expect(resolved.map((r) => r.body)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(resolved.map((r) => r.committed)).size).toBe(3);
    for (const r of resolved) expect(r.synced).toBeGreaterThanOrEqual(r.committed);
    await writes.drain();
  });

  it('counts schema changes as writes', async () => {
    const database = await open('pipelined');
    const wal = database.walSync!;
    const before = wal.latest;
    await sql`CREATE TABLE u (x INTEGER)`.execute(database.db);
    expect(wal.latest).toBe(before + 1);
  });

  it('covers a commit by a sync that started after it, overlapping at most two', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-walsync-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const sqlite = new SQLite(join(dir, 'x.db'));
    cleanup.push(() => void sqlite.close());
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('CREATE TABLE t (x)');
    const wal = createWalSync(sqlite, join(dir, 'x.db-wal'));
    cleanup.push(() => wal.close());
    // Four commits, each asking at once: the first two start syncs, the last two wait for a slot
    // and then share one sync that starts after both.
    const waits = [1, 2, 3, 4].map(() => wal.durable(wal.committed()));
    expect(wal.count).toBe(2);
    await Promise.all(waits);
    expect(wal.count).toBe(3);
    expect(wal.maxInFlight).toBe(2);
    // Everything is durable now: asking again costs nothing.
    await wal.durable();
    expect(wal.count).toBe(3);
    // Two waiters for the same commit share its sync.
    const n = wal.committed();
    await Promise.all([wal.durable(n), wal.durable(n)]);
    expect(wal.count).toBe(4);
  });

  it('leaves the sync to SQLite inside COMMIT by default (inline)', async () => {
    const database = await open();
    expect(database.walSync).toBeUndefined();
    expect(database.sqlite!.pragma('synchronous', { simple: true })).toBe(2);
    await sql`INSERT INTO t (body) VALUES ('a')`.execute(database.db);
  });
});
