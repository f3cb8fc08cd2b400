// Several Servus processes on one PostgreSQL schema and one Redis, as a load balancer would see
// them: for tests that kill an instance, take Redis away or cut the database (docs/architecture.md,
// Scale-out). Each instance is the built server as a child process (server-process.ts).
import { randomBytes } from 'node:crypto';
import type { OpenDatabase } from '../storage/db.js';
import { openDatabase } from '../storage/db.js';
import { TEST_PG } from './databases.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import type { PrivateRedis } from './redis-server.js';

export interface Cluster {
  nodes: ServerProcess[];
  schema: string;
  /** A connection of the test's own to the instances' schema, for assertions. */
  database: OpenDatabase;
  /** Starts one more instance (or a killed one again, given its index). */
  start(index?: number): Promise<ServerProcess>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  size?: number;
  /** The Redis the instances share (a private one for fault tests). */
  redis: PrivateRedis | { url: string };
  /** More environment for every instance. */
  env?: Record<string, string>;
  /** The instances' PostgreSQL (a TCP proxy in front of the test server, for cuts); the test's own connection stays direct. */
  databaseUrl?: string;
}

/**
 * The instances' connections carry the cluster's schema as their application_name, so a test can
 * terminate exactly those (pg_stat_activity) and no other test's.
 */
export const withApplicationName = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
};

export async function startCluster({ size = 2, redis, env = {}, databaseUrl = TEST_PG }: ClusterOptions): Promise<Cluster> {
  const schema = `c_${randomBytes(6).toString('hex')}`;
  const envFor = (i: number) => ({
    DATABASE_URL: withApplicationName(databaseUrl, schema),
    DATABASE_SCHEMA: schema,
    REDIS_URL: redis.url,
    // Clusters of one test run may share a Redis: each its own channels and keys.
    REDIS_PREFIX: `${schema}:`,
    // One demo site, seeded by the first instance; the others find it.
    SEED_DEMO: i === 0 ? 'true' : 'false',
    ...env,
  });
  const nodes: ServerProcess[] = [];
  // The first instance migrates the schema; the others start once it is there.
  nodes.push(await startServerProcess({ env: envFor(0) }));
  nodes.push(...(await Promise.all(Array.from({ length: size - 1 }, (_, i) => startServerProcess({ env: envFor(i + 1) })))));
  const database = await openDatabase({ databaseUrl: TEST_PG, pgSchema: schema });
  return {
    nodes,
    schema,
    database,
    async start(index) {
      const node = await startServerProcess({
        env: envFor(index ?? nodes.length),
        ...(index !== undefined ? { port: nodes[index]!.port } : {}),
      });
      if (index !== undefined) nodes[index] = node;
      else nodes.push(node);
      return node;
    },
    async close() {
      await Promise.all(nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? n.stop() : Promise.resolve(null))));
      // The schema stays: dropping one while another test's migration introspects the database's
      // tables fails that migration (Kysely lists every schema's tables).
      await database.close();
    },
  };
}
