// Group commit isolates failures: a batch whose transaction fails is retried in halves, so the one
// operation the database refuses gets its error and every other operation of the batch commits.
import { describe, expect, it } from 'vitest';
import { closeDatabasesAfterEach, openTestDatabase } from '../testing/databases.js';
import { createWriteQueue, isConnectionError } from './write-queue.js';
import { ServusError } from '../core/errors.js';

closeDatabasesAfterEach();
const open = openTestDatabase;

const site = (key: string, name = key) => ({ key, name, secret: 'x', settings: '{}', created_at: 1 });

describe.each(['sqlite', 'postgres'] as const)('write queue on %s', (dialect) => {
  it('commits the 49 other operations of a batch when one is refused by the database, and fails only that one', async () => {
    const database = await open(dialect);
    const { db } = database;
    await db.insertInto('sites').values(site('taken')).execute();
    const failures: number[] = [];
    const writes = createWriteQueue(db, { pipeline: database.commitPipeline, onBatchFailed: (_err, size) => failures.push(size) });
    // All 50 are queued in one tick: one batch. Operation 17 inserts a key that exists (a
    // constraint violation, not a ServusError), operation 40 renames what operation 10 inserted.
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        writes.run(async (tx) => {
          if (i === 17) await tx.insertInto('sites').values(site('taken')).execute();
          else if (i === 40) await tx.updateTable('sites').set({ name: 'renamed' }).where('key', '=', 'k10').execute();
          else
            await tx
              .insertInto('sites')
              .values(site(`k${i}`))
              .execute();
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected').map((_, i) => i)).toHaveLength(1);
    expect(results[17]!.status).toBe('rejected');
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 17),
    );
    const rows = await db.selectFrom('sites').select(['key', 'name']).orderBy('key').execute();
    expect(rows).toHaveLength(49); // 48 inserted keys and "taken"
    expect(rows.find((r) => r.key === 'k10')?.name).toBe('renamed');
    expect(rows.some((r) => r.key === 'k17')).toBe(false);
    // The whole batch failed once, then halves, down to the one operation.
    expect(failures[0]).toBe(50);
    expect(failures.at(-1)).toBe(1);
    expect(writes.stats.ops).toBe(49);
  });

  it('keeps a ServusError an expected refusal: the batch commits around it without a retry', async () => {
    const database = await open(dialect);
    const failures: number[] = [];
    const writes = createWriteQueue(database.db, { pipeline: database.commitPipeline, onBatchFailed: (_e, n) => failures.push(n) });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        writes.run(async (tx) => {
          if (i === 2) throw new ServusError('NOT_FOUND', 'No such conversation.');
          await tx
            .insertInto('sites')
            .values(site(`k${i}`))
            .execute();
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(failures).toEqual([]);
    expect(writes.stats.batches).toBe(1);
  });
});

describe('isConnectionError', () => {
  it('tells a lost connection from a refused operation', () => {
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }))).toBe(false);
  });
});
