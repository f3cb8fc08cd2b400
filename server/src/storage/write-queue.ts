// Group commit: writes queued in the same tick (or within writeBatchDelayMs) run in one transaction,
// so one fsync covers many messages. Nothing is acknowledged before its transaction is on disk.
//
// With a commit pipeline (SQLite, pipelined WAL sync: db.ts, wal-sync.ts) a batch's COMMIT does not
// wait for the disk: the next batch runs while the WAL syncs, and each batch's callers resume, in
// order, once their commit is durable.
//
// A batch whose transaction fails is retried in halves, so that one command's failure (a value the
// database refuses) never fails the other commands that happened to share its batch. A batch that
// lost its connection (PostgreSQL restarted, the connection was terminated or cut) is run again
// whole once the pool has a new connection, for up to `connectionRetryMs`; one that lost a
// deadlock or serialization race is run again at once. Operations are therefore written to be run
// again: the conversation commands are (the exactly-once look-up of their cid finds a command
// whose COMMIT went through before the connection broke, and answers with the stored ack).
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { CommitPipeline } from './db.js';
import { ServusError } from '../core/errors.js';

export type WriteOp<T> = (tx: Transaction<Database>) => Promise<T>;

/**
 * What an operation will lock and look up, declared up front: on PostgreSQL a batch locks all its
 * operations' conversations at once, in one global order, and looks up all their cids in the same
 * round trip (pg-batch.ts). An operation that declares nothing still works (it reads for itself).
 */
export interface BatchKeys {
  /** Conversations the operation writes. */
  conversations?: readonly string[];
  /** Visitors whose latest conversation the operation writes. */
  visitors?: readonly string[];
  /** (sender key, cid) pairs whose stored event the operation looks up. */
  cids?: readonly (readonly [string, string])[];
}

export interface WriteQueueOptions {
  /** Most operations committed in one transaction. */
  maxBatch?: number;
  /** Milliseconds to wait for more operations before committing (0: the next macrotask). */
  delayMs?: number;
  /** Told the size of every committed batch (metrics). */
  onBatch?: (size: number) => void;
  /** SQLite with the pipelined WAL sync: commit without waiting, resolve once durable. */
  pipeline?: CommitPipeline | undefined;
  /**
   * Awaited between two transactions when it returns a promise: SQLite's checkpointer catching up
   * so that the WAL can rewind (checkpointer.ts).
   */
  beforeBatch?: (() => Promise<void> | null) | undefined;
  /**
   * Told when a batch's transaction begins (with what its operations declared) and when one fails:
   * the SQLite row cache (sqlite-statements.ts), the PostgreSQL batch (pg-batch.ts).
   */
  batchHooks?:
    | { batchBegins(tx: Transaction<Database>, keys: readonly (BatchKeys | undefined)[]): void | Promise<void>; batchFailed(): void }
    | undefined;
  /** How long a batch whose database connection failed is tried again before its operations fail (ms). */
  connectionRetryMs?: number;
  /** Told of every failed transaction before it is retried in halves (logs). */
  onBatchFailed?: ((error: unknown, size: number) => void) | undefined;
}

/** A deadlock or a serialization failure: the transaction lost a race and may simply run again. */
export function isTransientError(error: unknown): boolean {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** The database connection failed, not one operation: retrying the halves could not help. */
export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // PostgreSQL class 08 (connection exception) and 57P01-57P03 (shut down, crashed, starting).
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|connection is closed|timeout exceeded when trying to connect/i.test(message);
}

interface Pending {
  op: WriteOp<unknown>;
  keys: BatchKeys | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface WriteQueue {
  run<T>(op: WriteOp<T>, keys?: BatchKeys): Promise<T>;
  /** Resolves once everything queued so far has been committed or failed. */
  drain(): Promise<void>;
  readonly stats: { batches: number; ops: number };
}

export function createWriteQueue(
  db: Kysely<Database>,
  {
    maxBatch = 500,
    delayMs = 0,
    onBatch,
    pipeline,
    beforeBatch,
    batchHooks,
    onBatchFailed,
    connectionRetryMs = 15_000,
  }: WriteQueueOptions = {},
): WriteQueue {
  let pending: Pending[] = [];
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  /** The last batch's wait for the disk (pipelined): drain() waits for it too. */
  let syncing: Promise<void> = Promise.resolve();
  const stats = { batches: 0, ops: 0 };

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    const fire = () => {
      scheduled = false;
      running = running.then(flush);
    };
    if (delayMs > 0) setTimeout(fire, delayMs);
    else setImmediate(fire);
  }

  async function flush(): Promise<void> {
    while (pending.length) {
      const pause = beforeBatch?.();
      if (pause) await pause;
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      await commit(batch);
    }
  }

  /**
   * Runs a batch in one transaction; if it fails, retries it in halves so only the offender fails,
   * or whole when the connection failed or it lost a deadlock.
   */
  async function commit(batch: Pending[], retry = { connectionSince: 0, transient: 0, attempt: 0 }): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await db.transaction().execute(async (tx) => {
        const begun = batchHooks?.batchBegins(
          tx,
          batch.map((item) => item.keys),
        );
        if (begun) await begun;
        pipeline?.deferCommit();
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: await item.op(tx) });
          } catch (error) {
            // Expected refusals (ServusError) are raised before an operation writes anything:
            // the rest of the batch commits. Anything else aborts the whole transaction.
            if (error instanceof ServusError) outcomes.push({ ok: false, error });
            else throw error;
          }
        }
      });
    } catch (error) {
      batchHooks?.batchFailed();
      onBatchFailed?.(error, batch.length);
      if (isConnectionError(error)) {
        // The pool drops the broken connection and opens another for the next try: wait for
        // PostgreSQL to come back (or the network), then run the whole batch again; nothing of it
        // was acknowledged. Past connectionRetryMs its commands fail (the clients resend them
        // with the same cids later).
        const since = retry.connectionSince || Date.now();
        if (Date.now() - since < connectionRetryMs) {
          await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** retry.attempt)));
          await commit(batch, { ...retry, connectionSince: since, attempt: retry.attempt + 1 });
          return;
        }
        for (const item of batch) item.reject(error);
        return;
      }
      if (isTransientError(error) && retry.transient < 3) {
        await commit(batch, { ...retry, transient: retry.transient + 1 });
        return;
      }
      // One command's failure never fails another's: the halves run again, in order (a later
      // operation may depend on an earlier one), until the failing operation is alone.
      if (batch.length === 1) {
        for (const item of batch) item.reject(error);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await commit(batch.slice(0, half));
      await commit(batch.slice(half));
      return;
    }
    stats.batches += 1;
    stats.ops += batch.length;
    onBatch?.(batch.length);
    const settle = () =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    if (!pipeline) {
      settle();
      return;
    }
    // Even a batch that wrote nothing waits: its reads may have seen the previous, unsynced batch.
    syncing = pipeline.durable().then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }

  return {
    run<T>(op: WriteOp<T>, keys?: BatchKeys): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ op, keys, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    async drain() {
      while (pending.length || scheduled) {
        await new Promise((r) => setImmediate(r));
        await running;
      }
      await running;
      await syncing;
    },
    stats,
  };
}
