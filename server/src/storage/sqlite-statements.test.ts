// The hot path's conversation rows kept in memory (sqlite-statements.ts): a row read through the
// statements comes from memory next time, but never once something else has changed the database:
// a write through Kysely on the same connection, a commit by another connection, or a batch that
// rolled back.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from './db.js';
import { prepareSqliteStatements } from './sqlite-statements.js';
import { createWriteQueue } from './write-queue.js';
import { insertSiteVisitorConversation } from '../testing/rows.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ database: OpenDatabase; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'servus-statements-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = await openDatabase({ dataDir: dir });
  cleanup.push(() => database.close());
  await insertSiteVisitorConversation(database.db);
  return { database, dir };
}

describe('conversation rows in memory', () => {
  it('serves a row written through the statements, and drops it when anything else writes', async () => {
    const { database, dir } = await setup();
    const fast = prepareSqliteStatements(database.sqlite!);
    const writes = createWriteQueue(database.db, { pipeline: database.commitPipeline, batchHooks: fast });
    const read = () => writes.run(async () => fast.conversation('c')!);

    // Written through the statements: the next read has the new values (from memory).
    await writes.run(async () => {
      const conv = fast.conversation('c')!;
      conv.last_seq = 5;
      conv.status = 'queued';
      fast.updateConversation(conv);
    });
    expect(await read()).toMatchObject({ last_seq: 5, status: 'queued' });
    // A copy each time: changing what was handed out changes nothing for the next reader.
    await writes.run(async () => void (fast.conversation('c')!.last_seq = 99));
    expect((await read()).last_seq).toBe(5);

    // A write through Kysely on the same connection (as markRead does).
    await database.db.updateTable('conversations').set({ visitor_read_seq: 3, last_seq: 6 }).where('id', '=', 'c').execute();
    expect(await read()).toMatchObject({ visitor_read_seq: 3, last_seq: 6 });

    // A commit by another connection (another process, a CLI).
    const other = new SQLite(join(dir, 'servus.db'));
    other.pragma('busy_timeout = 5000');
    other.prepare("UPDATE conversations SET last_seq = 7, status = 'assigned' WHERE id = 'c'").run();
    other.close();
    expect(await read()).toMatchObject({ last_seq: 7, status: 'assigned' });

    // A batch that fails after its update: rolled back, and the row in memory with it.
    await expect(
      writes.run(async () => {
        const conv = fast.conversation('c')!;
        conv.last_seq = 8;
        fast.updateConversation(conv);
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect((await read()).last_seq).toBe(7);
    expect(database.sqlite!.prepare("SELECT last_seq FROM conversations WHERE id = 'c'").pluck().get()).toBe(7);
  });
});
