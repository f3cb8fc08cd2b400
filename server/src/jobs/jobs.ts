// Durable jobs: timers and background work that must survive a restart and run once across
// instances (an absent agent's grace period, a batched email, a webhook delivery, a retention pass).
// A job is a row, not a setTimeout: any instance claims a due job with an atomic conditional update
// (a lease), runs its kind's handler, and deletes it; a failed run is retried with backoff; an
// instance that dies mid-run loses its lease and another takes the job over. Handlers must
// therefore be idempotent: a job runs at least once, and only one instance at a time runs it.
import type { Kysely } from 'kysely';
import type { Database, JobsTable } from '../storage/schema.js';
import type { Logger } from '../core/logger.js';
import { randomId } from '../core/ids.js';

export interface Job<P = unknown> {
  id: string;
  kind: string;
  key: string;
  payload: P;
  /** Runs before this one (failed ones). */
  attempts: number;
  runAt: number;
}

export interface JobHandlerOptions {
  /** Delay before the next attempt after `attempts` failures (default: 5 s doubling, at most an hour). */
  retryDelayMs?: (attempts: number) => number;
  /** Attempts before the job is given up (kept as failed, with its last error). Default 20. */
  maxAttempts?: number;
  /** Told when a job is given up. */
  onGiveUp?: (job: Job, error: unknown) => void | Promise<void>;
}

export type JobHandler<P = unknown> = (job: Job<P>) => Promise<void>;

export interface JobsOptions {
  db: Kysely<Database>;
  logger?: Logger | undefined;
  now?: () => number;
  /** How often due jobs are looked for (ms); a job scheduled here for sooner wakes the loop itself. */
  pollMs?: number;
  /** How long a claimed job is this instance's; past it another instance may take it over (ms). */
  leaseMs?: number;
  /** Jobs run at once by this instance. */
  concurrency?: number;
}

export type Jobs = ReturnType<typeof createJobs>;

const defaultRetry = (attempts: number) => Math.min(3_600_000, 5000 * 2 ** Math.max(0, attempts - 1));

export function createJobs({ db, logger, now = Date.now, pollMs = 1000, leaseMs = 60_000, concurrency = 4 }: JobsOptions) {
  const owner = randomId('i', 6);
  const handlers = new Map<string, { run: JobHandler; options: JobHandlerOptions }>();
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let wake: NodeJS.Timeout | null = null;
  let stopped = true;
  let polling: Promise<number> | null = null;

  /** Schedules the job `kind`/`key` for `runAt`, replacing a pending one with the same key. */
  async function schedule<P>(kind: string, key: string, runAt: number, payload?: P, executor: Kysely<Database> = db): Promise<void> {
    const text = JSON.stringify(payload ?? null);
    await executor
      .insertInto('jobs')
      .values({
        id: randomId('j'),
        kind,
        key,
        run_at: runAt,
        payload: text,
        attempts: 0,
        version: 1,
        locked_until: null,
        locked_by: null,
        last_error: null,
        failed_at: null,
        created_at: now(),
      })
      .onConflict((oc) =>
        // A new version: a run in progress then only unlocks the job (it runs again at runAt) instead of deleting it.
        oc.columns(['kind', 'key']).doUpdateSet((eb) => ({
          run_at: runAt,
          payload: text,
          attempts: 0,
          version: eb('jobs.version', '+', 1),
          failed_at: null,
          last_error: null,
        })),
      )
      .execute();
    if (!stopped && runAt <= now() + pollMs) wakeSoon(runAt - now());
  }

  async function cancel(kind: string, key: string, executor: Kysely<Database> = db): Promise<void> {
    await executor.deleteFrom('jobs').where('kind', '=', kind).where('key', '=', key).execute();
  }

  function wakeSoon(inMs: number): void {
    if (wake) return;
    wake = setTimeout(
      () => {
        wake = null;
        void poll();
      },
      Math.max(0, inMs),
    );
    wake.unref();
  }

  async function runOne(row: JobsTable): Promise<void> {
    const entry = handlers.get(row.kind);
    const job: Job = {
      id: row.id,
      kind: row.kind,
      key: row.key,
      payload: JSON.parse(row.payload) as unknown,
      attempts: row.attempts,
      runAt: row.run_at,
    };
    try {
      if (!entry) throw new Error(`no handler for jobs of kind ${row.kind}`);
      await entry.run(job);
      // Done, unless it was scheduled again meanwhile: then it only gives up its lease.
      const done = await db
        .deleteFrom('jobs')
        .where('id', '=', row.id)
        .where('version', '=', row.version)
        .where('locked_by', '=', owner)
        .executeTakeFirst();
      if (!Number(done.numDeletedRows))
        await db
          .updateTable('jobs')
          .set({ locked_until: null, locked_by: null })
          .where('id', '=', row.id)
          .where('locked_by', '=', owner)
          .execute();
    } catch (err) {
      const attempts = row.attempts + 1;
      const max = entry?.options.maxAttempts ?? 20;
      const message = err instanceof Error ? err.message.slice(0, 1000) : String(err).slice(0, 1000);
      logger?.warn({ err, job: { kind: row.kind, key: row.key, attempts } }, 'job failed');
      if (attempts >= max) {
        await db
          .updateTable('jobs')
          .set({ attempts, locked_until: null, locked_by: null, last_error: message, failed_at: now() })
          .where('id', '=', row.id)
          .where('version', '=', row.version)
          .execute();
        await entry?.options.onGiveUp?.(job, err);
        return;
      }
      const delay = (entry?.options.retryDelayMs ?? defaultRetry)(attempts);
      await db
        .updateTable('jobs')
        .set({ attempts, run_at: now() + delay, locked_until: null, locked_by: null, last_error: message })
        .where('id', '=', row.id)
        .where('version', '=', row.version)
        .execute();
    }
  }

  /** Claims and runs the jobs that are due; resolves with how many were started. */
  async function poll(): Promise<number> {
    if (polling) return polling;
    polling = (async () => {
      let started = 0;
      while (running.size < concurrency) {
        const t = now();
        const due = await db
          .selectFrom('jobs')
          .selectAll()
          .where('run_at', '<=', t)
          .where('failed_at', 'is', null)
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', t)]))
          .where('kind', 'in', handlers.size ? [...handlers.keys()] : [''])
          .orderBy('run_at')
          .limit(concurrency - running.size)
          .execute();
        if (!due.length) break;
        let claimed = 0;
        for (const row of due) {
          // The lease: one instance wins the conditional update, the others see no row changed.
          const res = await db
            .updateTable('jobs')
            .set({ locked_until: t + leaseMs, locked_by: owner })
            .where('id', '=', row.id)
            .where('version', '=', row.version)
            .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', t)]))
            .executeTakeFirst();
          if (!Number(res.numUpdatedRows)) continue;
          claimed += 1;
          started += 1;
          const run: Promise<void> = runOne(row)
            .catch((err: unknown) => logger?.error({ err }, 'job bookkeeping failed'))
            .finally(() => {
              running.delete(run);
              if (!stopped) void poll();
            });
          running.add(run);
        }
        if (!claimed) break;
      }
      return started;
    })().finally(() => {
      polling = null;
    });
    return polling;
  }

  return {
    schedule,
    cancel,
    /** Registers the handler of a kind of job (before start). */
    handle<P>(kind: string, run: JobHandler<P>, options: JobHandlerOptions = {}): void {
      handlers.set(kind, { run: run as JobHandler, options });
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      timer = setInterval(() => void poll().catch((err: unknown) => logger?.error({ err }, 'job poll failed')), pollMs);
      timer.unref();
      void poll().catch((err: unknown) => logger?.error({ err }, 'job poll failed'));
    },
    /** Stops claiming; resolves when the jobs running here have finished. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      if (wake) clearTimeout(wake);
      timer = wake = null;
      await polling;
      while (running.size) await Promise.all([...running]);
    },
    /** Runs what is due now and waits for it (tests; the loop does this by itself). */
    async runDue(): Promise<number> {
      const n = await poll();
      while (running.size) await Promise.all([...running]);
      return n;
    },
    /** The pending (or failed) job of a kind and key, if any. */
    async find(kind: string, key: string) {
      return db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
    },
  };
}
