// WAL checkpoints on a worker thread with a SQLite connection of its own, so that copying the WAL
// into the database file (and its fsyncs) never runs on the event loop inside a COMMIT. The
// writing connection turns its automatic checkpoints off; this thread checkpoints PASSIVE (never
// blocking the writer) every intervalMs, and only when the WAL outgrows maxWalBytes anyway (a
// writer that never pauses long enough for a passive checkpoint to finish) does it force one that
// makes the writer wait, as SQLite's own automatic checkpoint would. Durability is unchanged: the
// writer still syncs the WAL on every commit, and this connection syncs per its own setting.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

export interface CheckpointerOptions {
  /** The SQLite database file (in WAL mode). */
  file: string;
  /** How often to run a passive checkpoint. */
  intervalMs?: number;
  /** WAL size past which a checkpoint that waits for the writer (TRUNCATE) runs. */
  maxWalBytes?: number;
  synchronous?: 'FULL' | 'NORMAL';
  /** Told about a checkpoint that failed (it is retried on the next interval). */
  onError?: (message: string) => void;
}

export interface Checkpointer {
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
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    let size = 0;
    try { size = statSync(wal).size; } catch {}
    if (size > workerData.maxWalBytes) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export function startCheckpointer({
  file,
  intervalMs = 200,
  maxWalBytes = 256 * 1024 * 1024,
  synchronous = 'FULL',
  onError,
}: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, maxWalBytes, synchronous, driver } });
  // Never the reason a process stays alive.
  worker.unref();
  let stopped: Promise<void> | null = null;
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onError?.(m.error);
  });
  worker.on('error', (err) => onError?.(err.message));
  return {
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
