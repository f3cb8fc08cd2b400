// The background checkpointer copies committed WAL frames into the database file from its own
// thread while the writer keeps its automatic checkpoints off, and bounds the WAL's size.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function writer(): { sqlite: SQLite.Database; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'servus-ckpt-'));
  const file = join(dir, 'servus.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => void sqlite.close());
  const insert = sqlite.prepare('INSERT INTO t (body) VALUES (?)');
  sqlite.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000));
  })();
  return { sqlite, file };
}

/** Polls a condition the worker thread brings about (it has no event to await), with a deadline. */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function started(file: string, maxWalBytes?: number): Checkpointer {
  const c = startCheckpointer({ file, intervalMs: 20, ...(maxWalBytes ? { maxWalBytes } : {}) });
  cleanup.push(() => c.stop());
  return c;
}

describe('background WAL checkpointer', () => {
  it('copies committed frames into the database file while the writer does not checkpoint', async () => {
    const { sqlite, file } = writer();
    const before = statSync(file).size;
    expect(statSync(file + '-wal').size).toBeGreaterThan(2_000_000);
    started(file);
    await eventually(() => statSync(file).size > before + 1_500_000);
    expect(sqlite.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2000 });
  });

  it('truncates a WAL that outgrew its limit', async () => {
    const { file } = writer();
    started(file, 1_000_000);
    await eventually(() => statSync(file + '-wal').size === 0);
  });

  it('keeps the WAL short under a writer that never pauses, by catching up between its transactions', async () => {
    const { sqlite, file } = writer();
    const c = startCheckpointer({ file, intervalMs: 10, restartBytes: 256 * 1024 });
    cleanup.push(() => c.stop());
    const insert = sqlite.prepare('INSERT INTO t (body) VALUES (?)');
    const tx = sqlite.transaction(() => {
      for (let i = 0; i < 10; i++) insert.run('y'.repeat(1000));
    });
    let catchUps = 0;
    // About 30 MB of frames, committed back to back as the write queue does; between two
    // transactions it yields to the event loop and, when asked, awaits the checkpointer.
    for (let n = 0; n < 3000; n++) {
      if (c.wantsCatchUp) {
        catchUps += 1;
        await c.catchUp();
      }
      tx();
      await new Promise((r) => setImmediate(r));
    }
    expect(catchUps).toBeGreaterThan(0);
    // The WAL was rewound again and again: its file stayed a fraction of what was written (without
    // the catch-ups it grows past 30 MB; with them it stays at 1-4 MB, allowing for a slow worker).
    expect(statSync(file + '-wal').size).toBeLessThan(10_000_000);
    expect(sqlite.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 32_000 });
  });

  it('stops, and stopping twice is harmless', async () => {
    const { file } = writer();
    const c = startCheckpointer({ file });
    await c.stop();
    await c.stop();
  });
});
