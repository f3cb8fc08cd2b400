// The WAL's fsync, off the event loop. With `synchronous = FULL` SQLite fdatasyncs the WAL inside
// every COMMIT, on the thread that runs it: the event loop, where nothing else (reading frames,
// relaying the previous batch) happens for the 0.6-10 ms the disk takes. Here the connection runs
// with `synchronous = NORMAL` (SQLite writes the WAL frames but syncs only at checkpoints) and each
// commit waits for an fdatasync of the WAL file on libuv's thread pool before its caller resumes.
//
// Durability is that of FULL: fdatasync makes every byte written to the file before the call
// durable, so when it returns the commit's frames (and every earlier one) are on disk, before any
// ack or relay. A crash before then loses only what nobody was told about; WAL recovery stops at the
// first frame whose checksum chain breaks, so a later commit can never survive without an earlier
// one. Checkpoints (checkpointer.ts) sync the WAL themselves before copying it into the database.
import { open, type FileHandle } from 'node:fs/promises';
import type SQLite from 'better-sqlite3';

export interface WalSync {
  /** Rows changed by this connection so far (to tell a write from a read). */
  changes(): number;
  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
  /** fdatasyncs started so far. */
  readonly count: number;
}

export function createWalSync(sqlite: SQLite.Database, walPath: string): WalSync {
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  let handle: Promise<FileHandle> | null = null;
  // Group sync: callers that arrive while an fdatasync runs cannot rely on it (their frames may have
  // been written after it started), so they share the next one, which starts when it ends.
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  let count = 0;

  async function fdatasync(): Promise<void> {
    // The WAL file exists once the connection is in WAL mode and has written; it keeps its inode
    // while any connection is open (restarts and truncations rewrite it in place).
    count += 1;
    handle ??= open(walPath, 'r');
    await (await handle).datasync();
  }

  function sync(): Promise<void> {
    if (!running) {
      running = fdatasync().finally(() => {
        running = null;
      });
      return running;
    }
    next ??= running
      .catch(() => {})
      .then(() => {
        next = null;
        return sync();
      });
    return next;
  }

  return {
    changes: () => totalChanges.get() as number,
    sync,
    get count() {
      return count;
    },
    async close() {
      await running?.catch(() => {});
      await next?.catch(() => {});
      if (handle) await (await handle).close();
      handle = null;
    },
  };
}
