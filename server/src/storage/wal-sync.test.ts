// SQLite's WAL sync off the event loop: the writer runs with synchronous = NORMAL, and every commit
// (or write outside a transaction) made through Kysely resolves only after an fdatasync of the WAL
// that started after it; reads never wait for one; concurrent callers share the next fdatasync.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from './db.js';
import { createWalSync } from './wal-sync.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function open(walSync?: 'async' | 'inline'): Promise<OpenDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'servus-walsync-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const database = await openDatabase({ dataDir, ...(walSync ? { walSync } : {}) });
  cleanup.push(() => database.close());
  await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(database.db);
  return database;
}

describe('WAL sync off the event loop', () => {
  it('syncs after each commit and each autocommit write, never inside a transaction or for a read', async () => {
    const database = await open('async');
    const wal = database.walSync!;
    expect(database.sqlite!.pragma('synchronous', { simple: true })).toBe(1);
    // Each sync the driver waits for is recorded with what was committed when it was asked for.
    const seen: number[] = [];
    const sync = wal.sync.bind(wal);
    wal.sync = () => {
      seen.push(database.sqlite!.prepare('SELECT count(*) FROM t').pluck().get() as number);
      return sync();
    };
    await sql`INSERT INTO t (body) VALUES ('a')`.execute(database.db);
    expect(seen).toEqual([1]);
    await database.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO t (body) VALUES ('b')`.execute(tx);
      await sql`INSERT INTO t (body) VALUES ('c')`.execute(tx);
      expect(seen).toEqual([1]);
    });
    expect(seen).toEqual([1, 3]);
    await database.db.selectFrom('sites').selectAll().execute();
    await sql`SELECT count(*) FROM t`.execute(database.db);
    expect(seen).toEqual([1, 3]);
  });

  it('lets callers that arrive during an fdatasync share the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-walsync-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const sqlite = new SQLite(join(dir, 'x.db'));
    cleanup.push(() => void sqlite.close());
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('CREATE TABLE t (x)');
    const wal = createWalSync(sqlite, join(dir, 'x.db-wal'));
    cleanup.push(() => wal.close());
    await Promise.all([wal.sync(), wal.sync(), wal.sync(), wal.sync()]);
    // The first runs at once; the other three cannot rely on it and share one that starts after it.
    expect(wal.count).toBe(2);
    await wal.sync();
    expect(wal.count).toBe(3);
  });

  it('leaves the sync to SQLite inside COMMIT by default (inline)', async () => {
    const database = await open();
    expect(database.walSync).toBeUndefined();
    expect(database.sqlite!.pragma('synchronous', { simple: true })).toBe(2);
    await sql`INSERT INTO t (body) VALUES ('a')`.execute(database.db);
  });
});
