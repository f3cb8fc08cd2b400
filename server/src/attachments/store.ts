// Where an attachment's bytes live, behind one small interface so that an object store can take
// the database's place later. The default keeps them in the database (SQLite or PostgreSQL) as
// numbered chunks: backups and several instances need nothing more, and neither writing nor
// reading ever holds a whole file in memory.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface BlobStore {
  /** Writes chunk `n` (0, 1, 2 …) of a blob; chunks may come in any order (the first is written last). */
  put(id: string, n: number, bytes: Buffer): Promise<void>;
  /** The blob's chunks in order, read one at a time as the consumer asks. */
  read(id: string, chunks: number): AsyncIterable<Buffer>;
  /** Removes the blobs (idempotent). */
  delete(ids: readonly string[]): Promise<void>;
}

/** Chunks in `attachment_chunks`, one row each. */
export function createDatabaseBlobStore(db: Kysely<Database>): BlobStore {
  return {
    async put(id, n, bytes) {
      await db.insertInto('attachment_chunks').values({ attachment_id: id, n, data: bytes }).execute();
    },
    async *read(id, chunks) {
      for (let n = 0; n < chunks; n++) {
        const row = await db
          .selectFrom('attachment_chunks')
          .select('data')
          .where('attachment_id', '=', id)
          .where('n', '=', n)
          .executeTakeFirst();
        if (!row) throw new Error(`attachment ${id} lacks chunk ${n}`);
        yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
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
