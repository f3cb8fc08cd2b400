// Assembles one Servus process, and nothing else: database and write queue, conversations and the
// subscribers of their committed changes (realtime fan-out, auto-assignment, metrics, mail), the
// sockets and the HTTP routes. Behaviour lives in the modules wired here (docs/architecture.md).
import { createAdaptorServer } from '@hono/node-server';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../core/config.js';
import type { Database } from '../storage/schema.js';
import { createLogger, type Logger } from '../core/logger.js';
import { openDatabase, type OpenDatabase } from '../storage/db.js';
import { createWriteQueue } from '../storage/write-queue.js';
import { prepareSqliteStatements } from '../storage/sqlite-statements.js';
import { createLocalHub, type Hub } from '../pubsub/hub.js';
import { createRedisHub } from '../pubsub/redis-hub.js';
import { createRedisClient } from '../pubsub/redis.js';
import { randomId } from '../core/ids.js';
import { connectFanout } from '../realtime/fanout.js';
import { createSocketServer } from '../realtime/socket-server.js';
import { createPresence } from '../presence/presence.js';
import { createAuth } from '../auth/auth.js';
import { DEFAULT_LOGIN_LIMITS } from '../auth/login-throttle.js';
import { createOriginRefusals, createSiteDirectory, hoursNow, nextHoursChange } from '../sites/sites.js';
import { createAssigner, createConversations } from '../conversations/index.js';
import { silentBot, type BotResponder } from '../bot/index.js';
import { watchAgentAbsence } from '../conversations/absence.js';
import { createServerMetrics } from '../metrics/prometheus.js';
import { observeChanges } from '../metrics/observe.js';
import { createMailer } from '../mail/mailer.js';
import { createMailNotifications } from '../mail/notifications.js';
import { createApp } from '../http/app.js';
import { createJobs } from '../jobs/jobs.js';
import { createFaqSync } from '../faq/sync.js';
import { seed, type SeedResult } from './seed.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServusOptions {
  config: Config;
  logger?: Logger;
  /** The bot for each site; defaults to the FAQ bot reading DATA_DIR/faq/SITE. */
  bots?: BotResponder | ((ctx: { faqDir: string; logger: Logger; config: Config }) => Promise<BotResponder & { close?(): void }>);
  hub?: Hub;
  pgSchema?: string;
}

export interface Servus {
  readonly url: string;
  /** The separate /metrics listener (METRICS_PORT), when there is one. */
  readonly metricsUrl: string | null;
  readonly port: number;
  readonly seeded: SeedResult;
  readonly database: OpenDatabase;
  stop(): Promise<void>;
}

export async function startServus({
  config,
  logger = createLogger(config.logLevel),
  bots,
  hub: givenHub,
  pgSchema,
}: ServusOptions): Promise<Servus> {
  const database = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    walSync: config.sqliteWalSync,
    ...(pgSchema || config.databaseSchema ? { pgSchema: pgSchema ?? config.databaseSchema } : {}),
  });
  const { db } = database;
  const faqDir = join(config.dataDir, 'faq');
  const seeded = await seed({
    db,
    adminEmail: config.adminEmail,
    adminPassword: config.adminPassword,
    seedDemo: config.seedDemo,
    exampleFaqDir: join(repoRoot, 'examples', 'faq'),
    faqDir,
  });
  // With REDIS_URL: news between instances and shared rate limits. Neither waits for Redis to answer.
  const hub = givenHub ?? (config.redisUrl ? createRedisHub(config.redisUrl, logger, { prefix: config.redisPrefix }) : createLocalHub());
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, logger) : undefined;
  // The FAQ files every instance agrees on, copied to DATA_DIR/faq before the bots read them there.
  const faqSync = createFaqSync({ db, dialect: database.dialect, faqDir, hub, logger });
  await faqSync.start();
  const bot: BotResponder & { close?(): void } = typeof bots === 'function' ? await bots({ faqDir, logger, config }) : (bots ?? silentBot);
  let openSockets = () => 0;
  const metrics = createServerMetrics({ db, openSockets: () => openSockets() });
  const statements = database.sqlite ? prepareSqliteStatements(database.sqlite) : undefined;
  const writes = createWriteQueue(db, {
    batchHooks: statements,
    maxBatch: config.writeBatchMax,
    delayMs: config.writeBatchDelayMs,
    onBatch: (n) => metrics.writeBatchSize.observe(n),
    pipeline: database.commitPipeline,
    beforeBatch: database.checkpointer ? () => (database.checkpointer!.wantsCatchUp ? database.checkpointer!.catchUp() : null) : undefined,
    onBatchFailed: (err, size) => logger.warn({ err, size }, size > 1 ? 'write batch failed; retrying it in halves' : 'write failed'),
  });
  // Durable jobs (jobs/jobs.ts): features register their kinds here before start().
  const jobs = createJobs({ db, logger });
  const instanceId = randomId('i', 9);
  const presence = createPresence({
    db,
    hub,
    instanceId,
    logger,
    refreshMs: config.presenceRefreshSeconds * 1000,
    instanceTimeoutMs: config.instanceTimeoutSeconds * 1000,
  });
  await presence.start();
  const sites = createSiteDirectory(db, { hub });
  const auth = createAuth({
    db,
    dialect: database.dialect,
    sessionTtlMs: config.sessionTtlHours * 3600_000,
    loginLimits: {
      ...DEFAULT_LOGIN_LIMITS,
      freeAttempts: config.loginFreeAttempts,
      maxDelayMs: config.loginMaxDelaySeconds * 1000,
      addressFailures: config.loginFailuresPerAddress,
      accountFailures: config.loginFailuresPerAccount,
    },
  });
  const conversations = createConversations({
    db,
    dialect: database.dialect,
    writes,
    bots: bot,
    reopenWindowMs: config.reopenWindowSeconds * 1000,
    defaultHandlingSeconds: config.defaultHandlingSeconds,
    agentsOnline: (siteKey) => presence.online(siteKey),
    sqlite: statements,
    hoursNow: async (siteKey, executor) => {
      const site = await sites.get(siteKey, executor);
      return site ? hoursNow(site) : { open: true, opensAt: null };
    },
    logger,
  });

  // Subscribers of the committed changes, in the order they hear of each change.
  observeChanges(conversations.changes, metrics);
  connectFanout({ conversations, hub });
  const assigner = createAssigner({
    db,
    commands: conversations.commands,
    changes: conversations.changes,
    queue: conversations.queue,
    presence,
    jobs,
    logger,
    enabled: config.autoAssign,
    hours: {
      siteKeys: () => sites.keys(),
      nextChange: async (siteKey) => {
        const site = await sites.get(siteKey);
        return site ? nextHoursChange(site) : null;
      },
      onChange: (listener) => sites.onChange(listener),
    },
  });
  const absence = watchAgentAbsence({
    presence,
    commands: conversations.commands,
    jobs,
    queuePass: (siteKey) => assigner.schedule(siteKey),
    graceMs: config.agentOfflineGraceSeconds * 1000,
    logger,
  });
  // After a Redis outage: waiting visitors are told their place again, from whichever instance runs the pass.
  hub.onResync(() => {
    conversations.queue.forgetTold();
    void sites.keys().then(
      (keys) => keys.forEach((key) => assigner.schedule(key)),
      () => {},
    );
  });
  let port = config.port;
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, logger });
  const mail = createMailNotifications({
    db,
    conversations,
    sites,
    mailer,
    consoleOrigin: () => config.publicUrl ?? `http://localhost:${port}`,
    logger,
  });

  const originRefused = createOriginRefusals(logger);
  const sockets = createSocketServer({
    config,
    logger,
    originRefused,
    auth,
    hub,
    sites,
    conversations,
    presence,
    publicUrl: config.publicUrl,
    redis,
    sendTranscript: (visitorId, siteKey, conversationId, email) => mail.sendTranscript(visitorId, siteKey, conversationId, email),
  });
  openSockets = () => sockets.size;
  const app = createApp({
    metrics,
    config,
    db,
    presence,
    disconnectAgent: (agentId, keep) => sockets.disconnectAgent(agentId, keep),
    sessionEnded: () => void sockets.checkSessions(),
    agentChanged: (agentId) => sockets.agentChanged(agentId),
    originRefused,
    consoleDir: join(repoRoot, 'server', 'console', 'dist'),
    logger,
    auth,
    sites,
    conversations,
    faqSync,
    widgetDir: join(repoRoot, 'widget', 'dist'),
    health: async () => {
      const dependencies = { database: await pingDatabase(db), redis: hub.health() };
      // Without the database nothing can be served; without Redis this instance still serves its own sockets.
      const status = dependencies.database === 'down' ? 'down' : dependencies.redis === 'down' ? 'degraded' : 'ok';
      return { status, database: database.dialect, dependencies, sockets: sockets.size, writes: writes.stats };
    },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.on('upgrade', sockets.handleUpgrade);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const metricsServer =
    config.metricsPort === undefined ? null : await listenForMetrics(metrics.registry, config.metricsPort, config.metricsHost, logger);
  jobs.start();
  void assigner.planAllHours().catch((err: unknown) => logger.error({ err }, 'planning business hours failed'));
  // Bot answers that were being written by a model when the last process died (LLM engine).
  void conversations.bot
    .recover()
    .then((n) => n && logger.info({ questions: n }, 'answering questions whose bot answer was lost in a restart'))
    .catch((err: unknown) => logger.error({ err }, 'bot answer recovery failed'));
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const metricsAddress = metricsServer?.address() as AddressInfo | undefined;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    metricsUrl: metricsAddress ? `http://${config.metricsHost}:${metricsAddress.port}/metrics` : null,
    port,
    seeded,
    database,
    stop() {
      stopped ??= (async () => {
        // No new connections; sockets get 1001; every queued write is committed before the database closes.
        server.close();
        metricsServer?.close();
        absence.stop();
        await sockets.close();
        await jobs.stop();
        assigner.stop();
        await presence.stop();
        // Bot answers still streaming are logged (or dropped) before the write queue drains.
        await conversations.bot.settled();
        await writes.drain();
        bot.close?.();
        await faqSync.stop();
        mail.close();
        mailer.close();
        await hub.close();
        redis?.disconnect();
        server.closeAllConnections();
        await database.close();
      })();
      return stopped;
    },
  };
}

/** METRICS_PORT: /metrics alone, without a token, on its own listener (127.0.0.1 by default). */
async function listenForMetrics(
  registry: { metrics(): Promise<string>; contentType: string },
  port: number,
  host: string,
  logger: Logger,
): Promise<Server> {
  const listener = createHttpServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      (err: unknown) => {
        logger.error({ err }, 'metrics failed');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => resolve());
  });
  return listener;
}

/** 'ok' when the database answers a trivial query within two seconds. */
async function pingDatabase(db: Kysely<Database>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => (timer = setTimeout(() => resolve('down'), 2000)));
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => 'ok' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
