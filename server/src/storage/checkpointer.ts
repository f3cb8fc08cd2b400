// WAL checkpoints on a worker thread with a SQLite connection of its own, so that copying the WAL
// into the database file (and its fsyncs) never runs on the event loop inside a COMMIT. The
// writing connection turns its automatic checkpoints off; this thread checkpoints PASSIVE (never
// blocking the writer) every intervalMs.
//
// A passive checkpoint copies the WAL into the database but never lets the WAL start again from its
// beginning: SQLite rewinds it only when a write transaction begins while every frame has been
// copied, and a writer that commits every few milliseconds (always, under load) is never caught in
// that state, so the WAL file would grow without end. Forcing it (a RESTART checkpoint) would hold
// the write lock while waiting for readers, and the event loop's writer would sleep in SQLite's busy
// handler meanwhile. Instead the writer cooperates: once the WAL holds restartBytes of frames,
// `wantsCatchUp` turns true, and the write queue, between two transactions, awaits `catchUp()`: a
// passive checkpoint of the few frames committed since the last one (a millisecond or two, off the
// event loop, which keeps reading and acknowledging meanwhile). The next transaction then finds the
// WAL fully copied and rewinds it. Only if that keeps failing and the file outgrows maxWalBytes does
// a TRUNCATE run, which makes the writer wait. Durability is unchanged: the writer still syncs the
// WAL on every commit, and this connection syncs per its own setting.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

export interface CheckpointerOptions {
  /** The SQLite database file (in WAL mode). */
  file: string;
  /** How often to run a passive checkpoint. */
  intervalMs?: number;
  /** Frames in the WAL (in bytes) past which the writer is asked to let a checkpoint catch up. */
  restartBytes?: number;
  /** WAL file size past which a checkpoint that waits for the writer (TRUNCATE) runs. */
  maxWalBytes?: number;
  synchronous?: 'FULL' | 'NORMAL';
  /** Told about a checkpoint that failed (it is retried on the next interval). */
  onError?: (message: string) => void;
}

export interface Checkpointer {
  /** The WAL is long: the writer should let a checkpoint catch up between two transactions. */
  readonly wantsCatchUp: boolean;
  /** A passive checkpoint now; the writer awaits it between transactions (at most timeoutMs). */
  catchUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// Plain CommonJS evaluated in the worker, so it runs the same from dist/ and from the TypeScript
// sources under the test runner.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
const wal = workerData.file + '-wal';
const frameBytes = db.pragma('page_size', { simple: true }) + 24;
let wants = false;
function passive() {
  const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  const want = r.log * frameBytes > workerData.restartBytes;
  if (want !== wants) parentPort.postMessage({ wants: (wants = want) });
  return r;
}
const timer = setInterval(() => {
  try {
    passive();
    let size = 0;
    try { size = statSync(wal).size; } catch {}
    if (size > workerData.maxWalBytes) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'catch-up') {
    let caughtUp = false;
    try {
      const r = passive();
      caughtUp = !r.busy && r.log === r.checkpointed;
      // The writer's next transaction rewinds the WAL: ask again when it has grown again.
      if (caughtUp) wants = false;
    } catch (err) {
      parentPort.postMessage({ error: String(err && err.message || err) });
    }
    parentPort.postMessage({ caughtUp });
    return;
  }
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export function startCheckpointer({
  file,
  intervalMs = 200,
  restartBytes = 32 * 1024 * 1024,
  maxWalBytes = 256 * 1024 * 1024,
  synchronous = 'FULL',
  onError,
}: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, intervalMs, restartBytes, maxWalBytes, synchronous, driver },
  });
  // Never the reason a process stays alive.
  worker.unref();
  let stopped: Promise<void> | null = null;
  let wantsCatchUp = false;
  let replies: (() => void)[] = [];
  worker.on('message', (m: { error?: string; wants?: boolean; caughtUp?: boolean }) => {
    if (m.error) onError?.(m.error);
    if (m.wants !== undefined) wantsCatchUp = m.wants;
    if (m.caughtUp !== undefined) {
      // Caught up: the writer's next transaction rewinds the WAL; ask again only if it grows again.
      if (m.caughtUp) wantsCatchUp = false;
      replies.shift()?.();
    }
  });
  worker.on('error', (err) => onError?.(err.message));
  return {
    get wantsCatchUp() {
      return wantsCatchUp && !stopped;
    },
    catchUp(timeoutMs = 100) {
      return new Promise<void>((resolve) => {
        // A worker that does not answer never holds the writer up for longer than timeoutMs.
        const timer = setTimeout(() => {
          replies = replies.filter((r) => r !== done);
          wantsCatchUp = false;
          resolve();
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        replies.push(done);
        worker.postMessage('catch-up');
      });
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (worker.threadId === -1) return resolve();
        worker.once('exit', () => resolve());
        worker.on('message', (m: { stopped?: boolean }) => {
          if (m.stopped) void worker.terminate();
        });
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
