// The erasure tests' proof: every text column of every table, searched for each needle (the whole
// database, not a list of tables, so a table added later cannot keep what an erasure missed).
import { sql } from 'kysely';
import type { TestServer } from './in-process.js';

export async function findAnywhere(server: TestServer & { pgSchema?: string | undefined }, needles: string[]): Promise<string[]> {
  const { db, dialect } = server.database;
  const tables =
    dialect === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
        ).rows.map((r) => r.name)
      : (
          await sql<{
            table_name: string;
          }>`select table_name from information_schema.tables where table_schema = ${server.pgSchema!}`.execute(db)
        ).rows.map((r) => r.table_name);
  const hits: string[] = [];
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    for (const row of rows)
      for (const [column, value] of Object.entries(row))
        for (const needle of needles)
          if (typeof value === 'string' && value.toLowerCase().includes(needle.toLowerCase())) hits.push(`${table}.${column}: ${needle}`);
  }
  return hits;
}
