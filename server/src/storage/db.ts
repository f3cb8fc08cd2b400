// Opens the database: SQLite under DATA_DIR by default (WAL), PostgreSQL when DATABASE_URL is set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
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
   * SQLite with synchronous FULL: 'pipelined' syncs the WAL with fdatasyncs on libuv's thread pool,
   * off the event loop, while the next batch commits (see wal-sync.ts; nothing reaches a client
   * before it is on disk); 'inline' lets SQLite sync the WAL inside each COMMIT, on the event loop.
   * Equally durable.
   */
  walSync?: 'pipelined' | 'inline';
  /** PostgreSQL: longest wait for a new connection, in milliseconds (then the query fails). */
  pgConnectTimeoutMs?: number;
  /**
   * PostgreSQL: told when a pooled connection fails (the server restarted, a connection was
   * terminated or cut). The pool drops that connection and opens a new one for the next query.
   */
  onConnectionError?: (error: Error) => void;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The raw SQLite handle, for the batched write path; undefined on PostgreSQL. */
  sqlite?: SQLite.Database;
  /** SQLite with the WAL synced off the event loop: its syncs (for tests and metrics). */
  walSync?: WalSync;
  /** SQLite with the WAL synced off the event loop: for the write queue. */
  commitPipeline?: CommitPipeline;
  /** SQLite with background checkpoints: the write queue lets it catch up (checkpointer.ts). */
  checkpointer?: Checkpointer;
  /** PostgreSQL: sees every statement before it runs (the batched write path, pg-batch.ts). */
  pgStatements?: StatementHooks;
  close(): Promise<void>;
}

/**
 * Called before each statement on a pooled PostgreSQL connection, with the connection and the
 * connection's own executeQuery (statements run through it skip the hook).
 */
export type StatementHook = (
  connection: DatabaseConnection,
  query: CompiledQuery,
  execute: DatabaseConnection['executeQuery'],
) => Promise<void> | null;

export interface StatementHooks {
  set(hook: StatementHook | null): void;
}

/** Kysely's PostgreSQL dialect with a hook before every statement (see StatementHook). */
class HookedPostgresDialect extends PostgresDialect {
  hook: StatementHook | null = null;
  override createDriver(): Driver {
    const driver = super.createDriver();
    const wrapped = new WeakSet<DatabaseConnection>();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async () => {
      const connection = await acquire();
      if (!wrapped.has(connection)) {
        wrapped.add(connection);
        const execute = connection.executeQuery.bind(connection) as DatabaseConnection['executeQuery'];
        connection.executeQuery = (async (query: CompiledQuery) => {
          const before = this.hook?.(connection, query, execute);
          if (before) await before;
          return execute(query);
        }) as DatabaseConnection['executeQuery'];
      }
      return connection;
    };
    return driver;
  }
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
 * Kysely's SQLite dialect with write transactions that take the write lock at BEGIN (IMMEDIATE).
 * A deferred BEGIN takes it at the first write, after the transaction's first read; if the
 * checkpointer holds it then (a TRUNCATE checkpoint), SQLite cannot wait for it without risking a
 * deadlock and fails the whole batch with SQLITE_BUSY at once. IMMEDIATE waits (busy_timeout).
 * Every transaction here writes, so nothing is lost by taking the lock early.
 */
class ServusSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * The write queue's side of the pipelined WAL sync: its transactions COMMIT without waiting for the
 * disk, and it holds back the batch's results until `durable()` says the commit is on disk.
 */
export interface CommitPipeline {
  /** Call inside a transaction: its COMMIT returns as soon as the WAL is written (not synced). */
  deferCommit(): void;
  /** Resolves once every commit so far (and whatever a read could have seen) is on disk. */
  durable(): Promise<void>;
}

/**
 * Kysely's SQLite driver with the WAL synced off the event loop (wal-sync.ts):
 * - a statement that ends a transaction that wrote (COMMIT), or a write in autocommit, counts as a
 *   commit and resolves once it is on disk, unless the transaction was marked with `deferCommit()`;
 *   then its caller waits for `durable()` itself, and the connection is free for the next batch
 *   while the disk syncs;
 * - a read outside a transaction resolves once every commit it could have seen is on disk, so no
 *   row reaches a client before it is durable.
 */
class WalSyncedSqliteDialect extends ServusSqliteDialect {
  readonly pipeline: CommitPipeline;
  private deferNext = false;
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly sqlite: SQLite.Database,
    private readonly wal: WalSync,
  ) {
    super(config);
    this.pipeline = {
      // The write queue calls this inside its transaction callback, while it holds the single
      // connection: the next statement that ends a transaction is this transaction's own.
      deferCommit: () => void (this.deferNext = true),
      durable: () => wal.durable(),
    };
  }
  override createDriver(): Driver {
    const driver = super.createDriver();
    const { sqlite, wal } = this;
    const wrapped = new WeakSet<DatabaseConnection>();
    const acquire = driver.acquireConnection.bind(driver);
    let changesAtBegin = 0;
    let ddlInTransaction = false;
    driver.acquireConnection = async () => {
      const connection = await acquire();
      if (!wrapped.has(connection)) {
        wrapped.add(connection);
        const execute = connection.executeQuery.bind(connection);
        connection.executeQuery = (async (query: Parameters<DatabaseConnection['executeQuery']>[0]) => {
          const wasInTransaction = sqlite.inTransaction;
          const before = wal.changes();
          const result = await execute(query);
          // Row changes tell most writes (also those of the hot path's own prepared statements);
          // schema changes (migrations) change no rows, so anything but a query counts as well.
          const notQuery = !/^\s*(select|with|pragma)\b/i.test(query.sql);
          if (sqlite.inTransaction) {
            if (!wasInTransaction) {
              changesAtBegin = before; // BEGIN
              ddlInTransaction = false;
            } else if (notQuery) ddlInTransaction = true;
            return result;
          }
          if (wasInTransaction) {
            // COMMIT or ROLLBACK: only a transaction that wrote is a commit to sync.
            const deferred = this.deferNext;
            this.deferNext = false;
            const wrote = ddlInTransaction || wal.changes() !== changesAtBegin;
            const n = wrote ? wal.committed() : wal.latest;
            if (!deferred) await wal.durable(n);
          } else if (notQuery || wal.changes() !== before) {
            await wal.durable(wal.committed()); // a write in autocommit
          } else {
            await wal.durable(); // a read: it may have seen a commit that is not on disk yet
          }
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
      client.on('error', () => {}); // a failure shows in the query below
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
      connectionTimeoutMillis: options.pgConnectTimeoutMs ?? 5000,
      // A connection whose peer vanished without a FIN (a cut network) is noticed by TCP keepalive.
      keepAlive: true,
      ...(schemaOption ? { options: schemaOption } : {}),
    });
    // A pooled connection that fails (57P01 when PostgreSQL restarts or the backend is terminated,
    // ECONNRESET when the network cuts it) emits 'error': on the pool while it is idle, on the
    // client while it is checked out between two queries. Unheard, either kills the process. Heard,
    // the pool drops the connection (on release: it is no longer queryable) and connects anew for
    // the next query; a query in flight on it fails with the connection error.
    // Every client hears its own errors; the pool repeats an idle one's (already told).
    pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
    pool.on('error', () => {});
    const dialect = new HookedPostgresDialect({ pool });
    const db = new Kysely<Database>({ dialect });
    await migrate(db as Kysely<unknown>, schemaName);
    return {
      db,
      dialect: 'postgres',
      pgStatements: { set: (hook) => void (dialect.hook = hook) },
      close: () => db.destroy(),
    };
  }
  const dir = options.dataDir ?? './data';
  mkdirSync(dir, { recursive: true });
  const sqlite = new SQLite(join(dir, 'servus.db'));
  sqlite.pragma('journal_mode = WAL');
  const synchronous = options.sqliteSynchronous ?? 'FULL';
  // 'pipelined': FULL with the sync off the event loop. SQLite itself syncs only at checkpoints
  // (NORMAL), and every commit is durable only after an fdatasync of the WAL on the thread pool.
  const wal = synchronous === 'FULL' && options.walSync === 'pipelined' ? createWalSync(sqlite, `${join(dir, 'servus.db')}-wal`) : null;
  sqlite.pragma(`synchronous = ${wal ? 'NORMAL' : synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 32 MB of page cache instead of SQLite's 2 MB: each message touches a few index pages of its own
  // conversation, and with thousands of open conversations those no longer fit in 2 MB (about 10 %
  // less CPU per message in server/dist/bench/write-path.js with 2,000 conversations).
  sqlite.pragma('cache_size = -32768');
  const file = join(dir, 'servus.db');
  let checkpointer: Checkpointer | undefined;
  if ((options.walCheckpoints ?? 'background') === 'background') {
    sqlite.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer({
      file,
      synchronous: options.sqliteSynchronous ?? 'FULL',
    });
  } else {
    // Checkpoint the WAL less often (every ~40 MB instead of ~4 MB): fewer stalls on the write path.
    sqlite.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 10_000}`);
  }
  const config = { database: withStatementCache(sqlite) };
  const dialect = wal ? new WalSyncedSqliteDialect(config, sqlite, wal) : new ServusSqliteDialect(config);
  const db = new Kysely<Database>({ dialect });
  await migrate(db as Kysely<unknown>);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    ...(wal && dialect instanceof WalSyncedSqliteDialect ? { walSync: wal, commitPipeline: dialect.pipeline } : {}),
    ...(checkpointer ? { checkpointer } : {}),
    async close() {
      // The checkpointer's connection goes first: closing the last connection checkpoints the WAL.
      await checkpointer?.stop();
      await db.destroy();
      await wal?.close();
    },
  };
}
