// Opens the database: SQLite under DATA_DIR by default (WAL), PostgreSQL when DATABASE_URL is set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrate } from './migrations.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenDatabaseOptions {
  dataDir?: string;
  databaseUrl?: string | undefined;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL schema to use (tests isolate themselves in a schema of their own). */
  pgSchema?: string;
  poolSize?: number;
  /** SQLite: WAL pages before an automatic checkpoint (only with walCheckpoints 'inline'). */
  walAutocheckpointPages?: number;
  /**
   * SQLite: 'background' (default) checkpoints the WAL on a worker thread, off the event loop;
   * 'inline' leaves it to SQLite's automatic checkpoint inside a COMMIT.
   */
  walCheckpoints?: 'background' | 'inline';
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The raw SQLite handle, for the batched write path; undefined on PostgreSQL. */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds, well inside Number's safe range.
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement. The
 * queries are few and their SQL is parameterised, so prepared statements are cached by SQL text.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (source: string) => {
          let stmt = cache.get(source);
          if (!stmt) {
            stmt = target.prepare(source);
            if (cache.size >= max) cache.delete(cache.keys().next().value!);
            cache.set(source, stmt);
          }
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenDatabase> {
  if (options.databaseUrl) {
    let schemaOption: string | undefined;
    let schemaName: string | undefined;
    if (options.pgSchema) {
      const schema = options.pgSchema.replace(/[^a-z0-9_]/gi, '');
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      } finally {
        await client.end();
      }
      schemaOption = `-c search_path=${schema}`;
      schemaName = schema;
    }
    // Every pooled connection gets the schema at connect time, before any query can run on it.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(schemaOption ? { options: schemaOption } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db as Kysely<unknown>, schemaName);
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const dir = options.dataDir ?? './data';
  mkdirSync(dir, { recursive: true });
  const sqlite = new SQLite(join(dir, 'servus.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const file = join(dir, 'servus.db');
  let checkpointer: Checkpointer | undefined;
  if ((options.walCheckpoints ?? 'background') === 'background') {
    sqlite.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer({ file, synchronous: options.sqliteSynchronous ?? 'FULL' });
  } else {
    // Checkpoint the WAL less often (every ~40 MB instead of ~4 MB): fewer stalls on the write path.
    sqlite.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 10_000}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrate(db as Kysely<unknown>);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    async close() {
      // The checkpointer's connection goes first: closing the last connection checkpoints the WAL.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
