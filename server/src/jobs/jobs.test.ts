// Durable jobs on real SQLite and PostgreSQL, with a clock the test moves: due jobs run once (also
// with two instances racing for them), a key schedules one job, failures retry with backoff and are
// given up in the end, and a job whose instance died is taken over once its lease has run out.
import { describe, expect, it } from 'vitest';
import { closeDatabasesAfterEach, openTestDatabase, TEST_PG } from '../testing/databases.js';
import { openDatabase } from '../storage/db.js';
import { createJobs, type Job } from './jobs.js';

closeDatabasesAfterEach();

describe.each(['sqlite', 'postgres'] as const)('durable jobs on %s', (dialect) => {
  let clock = 1_000_000;
  const now = () => clock;

  it('runs a job when it is due, once, with its payload, and forgets it', async () => {
    clock = 1_000_000;
    const { db } = await openTestDatabase(dialect);
    const jobs = createJobs({ db, now });
    const ran: Job[] = [];
    jobs.handle('greet', async (job) => void ran.push(job));
    await jobs.schedule('greet', 'a', clock + 5000, { to: 'Ann' });
    expect(await jobs.runDue()).toBe(0);
    clock += 5000;
    expect(await jobs.runDue()).toBe(1);
    expect(ran.map((j) => [j.key, j.payload])).toEqual([['a', { to: 'Ann' }]]);
    expect(await jobs.runDue()).toBe(0);
    expect(await jobs.find('greet', 'a')).toBeUndefined();
  });

  it('keeps one job per key: scheduling again moves it, cancelling removes it', async () => {
    clock = 1_000_000;
    const { db } = await openTestDatabase(dialect);
    const jobs = createJobs({ db, now });
    const ran: unknown[] = [];
    jobs.handle('t', async (job) => void ran.push(job.payload));
    await jobs.schedule('t', 'k', clock + 1000, 1);
    await jobs.schedule('t', 'k', clock + 9000, 2);
    await jobs.schedule('t', 'gone', clock + 1000, 3);
    await jobs.cancel('t', 'gone');
    clock += 1000;
    expect(await jobs.runDue()).toBe(0);
    clock += 8000;
    expect(await jobs.runDue()).toBe(1);
    expect(ran).toEqual([2]);
  });

  it('retries a failing job with a growing delay and gives it up after its last attempt', async () => {
    clock = 1_000_000;
    const { db } = await openTestDatabase(dialect);
    const jobs = createJobs({ db, now });
    let calls = 0;
    const given: string[] = [];
    jobs.handle(
      'flaky',
      async () => {
        calls += 1;
        throw new Error(`attempt ${calls}`);
      },
      { maxAttempts: 3, retryDelayMs: (n) => n * 1000, onGiveUp: (job) => void given.push(job.key) },
    );
    await jobs.schedule('flaky', 'x', clock);
    await jobs.runDue();
    expect((await jobs.find('flaky', 'x'))?.run_at).toBe(clock + 1000);
    clock += 999;
    expect(await jobs.runDue()).toBe(0);
    clock += 1;
    await jobs.runDue();
    expect((await jobs.find('flaky', 'x'))?.run_at).toBe(clock + 2000);
    clock += 2000;
    await jobs.runDue();
    const failed = await jobs.find('flaky', 'x');
    expect(calls).toBe(3);
    expect(given).toEqual(['x']);
    expect(failed?.failed_at).toBe(clock);
    expect(failed?.last_error).toBe('attempt 3');
    clock += 3_600_000;
    expect(await jobs.runDue()).toBe(0);
  });

  it('runs a job scheduled again while it runs once more, at its new time', async () => {
    clock = 1_000_000;
    const { db } = await openTestDatabase(dialect);
    const jobs = createJobs({ db, now });
    const ran: unknown[] = [];
    jobs.handle('again', async (job) => {
      ran.push(job.payload);
      if (job.payload === 1) await jobs.schedule('again', 'k', clock + 500, 2);
    });
    await jobs.schedule('again', 'k', clock, 1);
    await jobs.runDue();
    clock += 500;
    await jobs.runDue();
    expect(ran).toEqual([1, 2]);
    expect(await jobs.find('again', 'k')).toBeUndefined();
  });

  it('runs each due job exactly once when two instances race for 40 of them', async () => {
    clock = 1_000_000;
    const first = await openTestDatabase(dialect);
    const second = dialect === 'postgres' ? await openDatabase({ databaseUrl: TEST_PG, pgSchema: first.schema! }) : first;
    const runs = new Map<string, number>();
    const count = async (job: Job) => void runs.set(job.key, (runs.get(job.key) ?? 0) + 1);
    const a = createJobs({ db: first.db, now, concurrency: 8 });
    const b = createJobs({ db: second.db, now, concurrency: 8 });
    a.handle('race', count);
    b.handle('race', count);
    for (let i = 0; i < 40; i++) await a.schedule('race', `k${i}`, clock);
    await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    while ((await a.runDue()) + (await b.runDue()) > 0);
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    if (second !== first) await second.close();
  });

  it('takes over a job whose instance died, once its lease has run out', async () => {
    clock = 1_000_000;
    const { db } = await openTestDatabase(dialect);
    const dead = createJobs({ db, now, leaseMs: 60_000 });
    // The dead instance claimed the job and never finished it.
    dead.handle('work', () => new Promise<void>(() => {}));
    await dead.schedule('work', 'k', clock);
    void dead.runDue();
    await expect.poll(async () => (await dead.find('work', 'k'))?.locked_until).toBe(clock + 60_000);
    const alive = createJobs({ db, now });
    const ran: string[] = [];
    alive.handle('work', async (job) => void ran.push(job.key));
    expect(await alive.runDue()).toBe(0);
    clock += 60_001;
    expect(await alive.runDue()).toBe(1);
    expect(ran).toEqual(['k']);
  });
});
