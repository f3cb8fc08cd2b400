// The WAL's fsync, off the event loop and overlapped with the next commit ("pipelined" WAL sync).
//
// With `synchronous = FULL` SQLite fdatasyncs the WAL inside every COMMIT, on the thread that runs
// it: the event loop, where nothing else (reading frames, relaying the previous batch, running the
// next batch) happens for the 0.4-10 ms the disk takes. Here the writing connection runs with
// `synchronous = NORMAL` (SQLite writes the WAL frames at COMMIT but syncs only at checkpoints), and
// durability is tracked by commit number:
//
// - every commit (or write outside a transaction) gets the next number, `committed()`;
// - `durable(n)` resolves once an fdatasync of the WAL file that *started after* commit n has
//   returned. fdatasync makes every byte written to the file before the call durable, so commit n
//   and every earlier one are then on disk;
// - syncs run on libuv's thread pool and may overlap: a commit that arrives while a sync runs does
//   not wait for it to end (that sync may not cover it) but starts its own at once, and a sync that
//   finishes makes durable everything committed before it started, whichever started first.
//
// Nothing may reach a client before it is durable: the write queue resolves a batch only after
// `durable(n)` of its commit, and a read outside the write queue waits for `durable()` of the latest
// commit (it may have seen one that is not on disk yet) before its rows are returned. A crash before
// then loses only what nobody was told about; WAL recovery stops at the first frame whose checksum
// chain breaks, so a later commit can never survive without an earlier one. Checkpoints
// (checkpointer.ts, its own connection with synchronous = FULL) sync the WAL themselves before
// copying it into the database.
import { open, type FileHandle } from 'node:fs/promises';
import type SQLite from 'better-sqlite3';

export interface WalSync {
  /** Rows changed by this connection so far (to tell a write from a read). */
  changes(): number;
  /** Records a commit that has just been written to the WAL; returns its number. */
  committed(): number;
  /** The number of the latest commit. */
  readonly latest: number;
  /** Every commit up to this number is on disk. */
  readonly synced: number;
  /** Resolves once commit `n` (default: the latest) and every earlier one are on disk. */
  durable(n?: number): Promise<void>;
  close(): Promise<void>;
  /** fdatasyncs started so far. */
  readonly count: number;
  /** Most fdatasyncs running at once so far. */
  readonly maxInFlight: number;
}

/**
 * At most this many fdatasyncs at once (libuv's thread pool has four threads, shared with DNS,
 * crypto and file reads). A commit that finds them all busy waits for the next to start.
 */
const MAX_IN_FLIGHT = 2;

interface Waiter {
  n: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function createWalSync(sqlite: SQLite.Database, walPath: string): WalSync {
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  let handle: Promise<FileHandle> | null = null;
  let latest = 0;
  /** Every commit up to this number is on disk. */
  let synced = 0;
  /** The highest commit number covered by a sync that has started (running or done). */
  let covered = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let count = 0;
  let failure: unknown = null;
  // Callers ask with non-decreasing numbers (commits are numbered in order, reads ask for the
  // latest), so the waiters stay sorted and are resolved from the front.
  const waiters: Waiter[] = [];
  const running = new Set<Promise<void>>();

  function settle(): void {
    while (waiters.length && (waiters[0]!.n <= synced || failure)) {
      const w = waiters.shift()!;
      if (w.n <= synced) w.resolve();
      else w.reject(failure);
    }
  }

  function startSync(): void {
    const target = latest;
    covered = target;
    count += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // The WAL file exists once the connection is in WAL mode and has written; it keeps its inode
    // while any connection is open (restarts and truncations rewrite it in place).
    handle ??= open(walPath, 'r');
    const p = handle
      .then((h) => h.datasync())
      .then(
        () => {
          if (target > synced) synced = target;
        },
        (err: unknown) => {
          // The kernel may have dropped the dirty pages: nothing after this point can be called
          // durable any more. Every waiter (now and later) gets the error.
          failure ??= err;
        },
      )
      .finally(() => {
        inFlight -= 1;
        running.delete(p);
        settle();
        // Commits that found every slot busy: one sync, started now, covers them all.
        if (!failure && waiters.length && waiters.at(-1)!.n > covered) startSync();
      });
    running.add(p);
  }

  function durable(n = latest): Promise<void> {
    if (failure) return Promise.reject(failure);
    if (n <= synced) return Promise.resolve();
    // A sync that started after commit n is running: it covers n. Otherwise start one now.
    if (n > covered && inFlight < MAX_IN_FLIGHT) startSync();
    return new Promise<void>((resolve, reject) => waiters.push({ n, resolve, reject }));
  }

  return {
    changes: () => totalChanges.get() as number,
    committed: () => (latest += 1),
    get latest() {
      return latest;
    },
    get synced() {
      return synced;
    },
    durable,
    get count() {
      return count;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    async close() {
      while (running.size) await Promise.all([...running]);
      if (handle) await (await handle).close();
      handle = null;
    },
  };
}
