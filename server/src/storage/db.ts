// Opens the database: SQLite under DATA_DIR by default (WAL), PostgreSQL when DATABASE_URL is set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
import { createWalSync, type WalSync } from './wal-sync.js';
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
  /**
   * SQLite with synchronous FULL: 'inline' (default) lets SQLite sync the WAL inside the COMMIT, on
   * the event loop; 'async' syncs it with an fdatasync on libuv's thread pool after each commit, and
   * the commit's caller resumes only once it is done. Equally durable (see wal-sync.ts). 'async' was
   * slower in `npm run bench` on a lightly loaded machine (docs/benchmarks.md), hence not the default.
   */
  walSync?: 'async' | 'inline';
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The raw SQLite handle, for the batched write path; undefined on PostgreSQL. */
  sqlite?: SQLite.Database;
  /** SQLite with the WAL synced off the event loop: its syncs (for tests and metrics). */
  walSync?: WalSync;
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

/**
 * Kysely's SQLite driver, except that a statement which leaves the connection outside a transaction
 * after writing (a COMMIT, or a write in autocommit) resolves only after the WAL has been synced.
 * The connection stays held meanwhile, so no other statement sees the write before it is durable.
 */
class WalSyncedSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly sqlite: SQLite.Database,
    private readonly wal: WalSync,
  ) {
    super(config);
  }
  override createDriver(): Driver {
    const driver = super.createDriver();
    const { sqlite, wal } = this;
    const wrapped = new WeakSet<DatabaseConnection>();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async () => {
      const connection = await acquire();
      if (!wrapped.has(connection)) {
        wrapped.add(connection);
        const execute = connection.executeQuery.bind(connection);
        connection.executeQuery = (async (query: Parameters<DatabaseConnection['executeQuery']>[0]) => {
          const inTransaction = sqlite.inTransaction;
          const before = inTransaction ? 0 : wal.changes();
          const result = await execute(query);
          // A COMMIT, or a write outside a transaction: durable before anyone continues.
          if (!sqlite.inTransaction && (inTransaction || wal.changes() !== before)) await wal.sync();
          return result;
        }) as DatabaseConnection['executeQuery'];
      }
      return connection;
    };
    return driver;
  }
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
  const synchronous = options.sqliteSynchronous ?? 'FULL';
  // 'async': FULL with the sync off the event loop. SQLite itself syncs only at checkpoints
  // (NORMAL), and every commit waits for an fdatasync of the WAL on the thread pool.
  const wal = synchronous === 'FULL' && options.walSync === 'async' ? createWalSync(sqlite, `${join(dir, 'servus.db')}-wal`) : null;
  sqlite.pragma(`synchronous = ${wal ? 'NORMAL' : synchronous}`);
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
  const config = { database: withStatementCache(sqlite) };
  const db = new Kysely<Database>({ dialect: wal ? new WalSyncedSqliteDialect(config, sqlite, wal) : new SqliteDialect(config) });
  await migrate(db as Kysely<unknown>);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    ...(wal ? { walSync: wal } : {}),
    async close() {
      // The checkpointer's connection goes first: closing the last connection checkpoints the WAL.
      await checkpointer?.stop();
      await db.destroy();
      await wal?.close();
    },
  };
}
