// Test harness: a Servus in this process on a free port, with a fresh SQLite folder (or a fresh
// PostgreSQL schema) and a bot of the test's choosing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { startServus, type Servus, type ServusOptions } from '../app/server.js';
import { TEST_ADMIN } from './server-process.js';

export interface TestServer extends Servus {
  dataDir: string;
  config: Config;
  close(): Promise<void>;
}

export async function startTestServer({
  overrides = {},
  bots,
  postgres = false,
  pgSchema: sharedSchema,
  logger,
  hub,
}: {
  overrides?: Partial<Record<keyof Config, unknown>>;
  /** A fixed responder, or a factory such as `createFaqBots` (default: a silent bot). */
  bots?: ServusOptions['bots'];
  postgres?: boolean;
  /** Share a schema with another instance (scale-out tests). */ pgSchema?: string;
  /** The server's logger (default: silent, or TEST_LOG_LEVEL). */
  logger?: ServusOptions['logger'];
  /** The pub/sub hub (default: its own local one); share one to join several in-process instances. */
  hub?: ServusOptions['hub'];
} = {}): Promise<TestServer & { pgSchema?: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'servus-it-'));
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      adminEmail: TEST_ADMIN.email,
      adminPassword: TEST_ADMIN.password,
      logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(postgres ? { databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' } : {}),
      ...overrides,
    },
  });
  const pgSchema = postgres ? (sharedSchema ?? `t_${randomBytes(6).toString('hex')}`) : undefined;
  const servus = await startServus({
    config,
    logger: logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...(bots ? { bots } : {}),
    ...(pgSchema ? { pgSchema } : {}),
    ...(hub ? { hub } : {}),
  });
  return Object.assign(Object.create(null) as object, servus, {
    url: servus.url,
    metricsUrl: servus.metricsUrl,
    smtpPort: servus.smtpPort,
    port: servus.port,
    seeded: servus.seeded,
    database: servus.database,
    attachments: servus.attachments,
    stop: servus.stop,
    dataDir,
    config,
    pgSchema,
    async close() {
      await servus.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  }) as TestServer;
}
