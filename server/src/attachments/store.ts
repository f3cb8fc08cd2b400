// Where an attachment's bytes live, behind one small interface so that an object store can take
// the database's place later. The default keeps them in the database (SQLite or PostgreSQL) as
// numbered chunks: backups and several instances need nothing more, and neither writing nor
// reading ever holds a whole file in memory.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../storage/db.js';
import type { Database } from '../storage/schema.js';

export interface BlobStore {
  /** Writes chunk `n` (0, 1, 2 …) of a blob; chunks may come in any order (the first is written last). */
  put(id: string, n: number, bytes: Buffer): Promise<void>;
  /** The blob's chunks in order, read as the consumer asks (a store may fetch a few ahead). */
  read(id: string, chunks: number): AsyncIterable<Buffer>;
  /** Removes the blobs (idempotent). */
  delete(ids: readonly string[]): Promise<void>;
}

export interface DatabaseBlobStoreOptions {
  /**
   * About this many bytes of a blob are fetched per query when it is read (at least one chunk),
   * and one batch is fetched ahead while the last is sent: a download holds at most two batches.
   */
  readBatchBytes?: number;
  /**
   * On PostgreSQL chunks are read as base64 (`encode(data, 'base64')`): a third larger than the
   * bytes rather than twice as large (bytea's hex text), and quicker for the driver to take apart.
   */
  dialect?: Dialect;
}

/**
 * Chunks in `attachment_chunks`, one row each. A read fetches the first chunk alone (its size
 * says how many chunks make a batch of `readBatchBytes`), then batches of chunks, each asked for
 * while the one before is being sent: over PostgreSQL a query per chunk made downloads wait on
 * round trips, so the batches cut the queries of a 5 MB file from 20 to 6.
 */
export function createDatabaseBlobStore(
  db: Kysely<Database>,
  { readBatchBytes = 1024 * 1024, dialect = 'sqlite' }: DatabaseBlobStoreOptions = {},
): BlobStore {
  const fetchChunks = async (id: string, from: number, count: number): Promise<{ n: number; data: Buffer }[]> => {
    const query = db
      .selectFrom('attachment_chunks')
      .select('n')
      .where('attachment_id', '=', id)
      .where('n', '>=', from)
      .where('n', '<', from + count)
      .orderBy('n');
    if (dialect === 'postgres') {
      const rows = await query.select(sql<string>`encode(data, 'base64')`.as('base64')).execute();
      // Node's base64 decoder skips the line breaks PostgreSQL puts every 76 characters.
      return rows.map((row) => ({ n: Number(row.n), data: Buffer.from(row.base64, 'base64') }));
    }
    const rows = await query.select('data').execute();
    return rows.map((row) => ({ n: Number(row.n), data: Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength) }));
  };
  return {
    async put(id, n, bytes) {
      await db.insertInto('attachment_chunks').values({ attachment_id: id, n, data: bytes }).execute();
    },
    async *read(id, chunks) {
      let from = 0;
      let batch = 1;
      let next = chunks > 0 ? fetchChunks(id, 0, 1) : null;
      while (next) {
        const rows = await next;
        const count = Math.min(batch, chunks - from);
        if (rows.length !== count || rows.some((row, i) => row.n !== from + i)) {
          throw new Error(`attachment ${id} lacks chunks of ${from} to ${from + count - 1}`);
        }
        if (from === 0) batch = Math.max(1, Math.floor(readBatchBytes / Math.max(1, rows[0]!.data.length)));
        from += count;
        next = null;
        if (from < chunks) {
          next = fetchChunks(id, from, Math.min(batch, chunks - from));
          // A reader that stops early (the client went away) never awaits it: no unhandled rejection.
          next.catch(() => {});
        }
        for (const row of rows) yield row.data;
      }
    },
    async delete(ids) {
      for (let i = 0; i < ids.length; i += 200) {
        await db
          .deleteFrom('attachment_chunks')
          .where('attachment_id', 'in', ids.slice(i, i + 200))
          .execute();
      }
    },
  };
}
