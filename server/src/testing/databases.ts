// Storage tests: a fresh database of either dialect, closed (and its folder removed) after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { openDatabase, type OpenDatabase } from '../storage/db.js';

export const TEST_PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const opened: { db: OpenDatabase; dir?: string }[] = [];

/** Registers the clean-up; call once at the top of a test file. */
export function closeDatabasesAfterEach(): void {
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.db.close();
      if (o.dir) rmSync(o.dir, { recursive: true, force: true });
    }
  });
}

/** A migrated database: SQLite in a new folder, or PostgreSQL in a new schema (named in `schema`). */
export async function openTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<OpenDatabase & { schema?: string }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'servus-db-'));
    const db = await openDatabase({ dataDir: dir });
    opened.push({ db, dir });
    return db;
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ databaseUrl: TEST_PG, pgSchema: schema });
  opened.push({ db });
  return Object.assign(db, { schema });
}
