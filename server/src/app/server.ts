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
import { createWriteQueue, isConnectionError, isTransientError } from '../storage/write-queue.js';
import { prepareSqliteStatements } from '../storage/sqlite-statements.js';
import { createPgBatch } from '../storage/pg-batch.js';
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
import { silentBot, type BotResponder, type FaqBots } from '../bot/index.js';
import { watchAgentAbsence } from '../conversations/absence.js';
import { createServerMetrics } from '../metrics/prometheus.js';
import { observeChanges } from '../metrics/observe.js';
import { createMailer } from '../mail/mailer.js';
import { createMailNotifications } from '../mail/notifications.js';
import { createApp } from '../http/app.js';
import { createJobs } from '../jobs/jobs.js';
import { createFaqSync } from '../faq/sync.js';
import { createBotLearning } from '../learning/learning.js';
import { createAttachments, createDatabaseBlobStore, type Attachments } from '../attachments/index.js';
import { createSharedRateLimiter } from '../core/rate-limit.js';
import { seed, type SeedResult } from './seed.js';
import { createAuditLog } from '../privacy/audit.js';
import { createMailReplies } from '../mail/replies.js';
import { createMailInbound } from '../mail/inbound.js';
import { startSmtpListener } from '../mail/smtp-listener.js';
import { createPrivacy, type Erased } from '../privacy/privacy.js';
import { createErasureRequests } from '../privacy/erasure.js';
import { createRetention } from '../privacy/retention.js';
import { createApiTokens } from '../auth/api-tokens.js';
import { createWebhooks } from '../webhooks/webhooks.js';
import { createWebhookSubscriptions } from '../webhooks/subscriptions.js';
import { createAddressPolicy } from '../webhooks/ssrf.js';
import { webhookRoutes } from '../http/api-v1/webhook-routes.js';

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
  /** The SMTP listener's port for replies by email (SMTP_LISTEN_PORT), when there is one. */
  readonly smtpPort: number | null;
  readonly port: number;
  readonly seeded: SeedResult;
  readonly database: OpenDatabase;
  /** Files in conversations: the privacy export and erasure use listForConversation and deleteForConversation. */
  readonly attachments: Attachments;
  /** A site's row was changed outside the API (tests, operators' SQL): every instance forgets its cached copy. */
  invalidateSite(key: string): void;
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
    // PostgreSQL restarted, a connection terminated or cut: the pool connects anew (db.ts).
    onConnectionError: (err) => logger.warn({ err }, 'database connection lost'),
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
  const pgBatch = database.pgStatements ? createPgBatch(database.pgStatements) : undefined;
  const writes = createWriteQueue(db, {
    batchHooks: statements ?? pgBatch,
    connectionRetryMs: config.databaseRetrySeconds * 1000,
    maxBatch: config.writeBatchMax,
    delayMs: config.writeBatchDelayMs,
    onBatch: (n) => metrics.writeBatchSize.observe(n),
    pipeline: database.commitPipeline,
    beforeBatch: database.checkpointer ? () => (database.checkpointer!.wantsCatchUp ? database.checkpointer!.catchUp() : null) : undefined,
    onBatchFailed: (err, size) =>
      logger.warn(
        { err, size },
        isConnectionError(err) || isTransientError(err)
          ? 'write batch failed; running it again'
          : size > 1
            ? 'write batch failed; retrying it in halves'
            : 'write failed',
      ),
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
  // Each site's own bot threshold, refitted from its labels by a durable job (docs/bot-learning.md).
  const learning = createBotLearning({ db, jobs, hub, logger });
  // Which webhooks want which events (every instance, in memory): their outbox rows are written in
  // the transaction of the events they describe (webhooks/subscriptions.ts).
  const webhookSubscriptions = createWebhookSubscriptions({ db, hub, logger });
  await webhookSubscriptions.start();
  const conversations = createConversations({
    db,
    dialect: database.dialect,
    writes,
    bots: bot,
    learning,
    reopenWindowMs: config.reopenWindowSeconds * 1000,
    defaultHandlingSeconds: config.defaultHandlingSeconds,
    agentsOnline: (siteKey) => presence.online(siteKey),
    sqlite: statements,
    pg: pgBatch,
    jobs,
    // A model answer not logged by then was lost with its process (bot-turns.ts): another instance answers.
    botTakeOverAfterMs: (config.llmTimeoutSeconds + 10) * 1000,
    hoursNow: async (siteKey, executor) => {
      const site = await sites.get(siteKey, executor);
      return site ? hoursNow(site) : { open: true, opensAt: null };
    },
    outbox: webhookSubscriptions.outboxRows,
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
  const attachments = createAttachments({
    db,
    store: createDatabaseBlobStore(db, { dialect: database.dialect }),
    sites,
    conversations,
    visitorUploads: createSharedRateLimiter({
      name: 'up',
      limit: config.attachmentUploadsPerMinute,
      windowMs: 60_000,
      redis,
      prefix: config.redisPrefix,
    }),
    jobs,
    logger,
    chunkBytes: config.attachmentChunkBytes,
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

  // Conversations that go on by email (docs/email.md): replies out as a durable job, replies back by SMTP or HTTP.
  const replyDomain = config.mailReplyDomain ?? /@([^>\s]+)>?\s*$/.exec(config.mailFrom)?.[1] ?? 'localhost';
  const replies = createMailReplies({
    db,
    conversations,
    jobs,
    sites,
    mailer,
    replyDomain,
    delayMs: config.mailReplyDelaySeconds * 1000,
    maxPerConversationPerDay: config.mailMaxPerConversationPerDay,
    maxPerSiteHour: config.mailMaxPerSiteHour,
    linkTtlMs: config.mailLinkTtlHours * 3600_000,
    logger,
  });
  const inbound = createMailInbound({
    db,
    conversations,
    replyDomain,
    maxBytes: config.mailInboundMaxBytes,
    maxPerConversationHour: config.mailInboundMaxPerConversationHour,
    maxPerSiteHour: config.mailInboundMaxPerSiteHour,
    fromAddress: /<?([^<>\s]+@[^<>\s]+)>?\s*$/.exec(config.mailFrom)?.[1],
    logger,
  });
  const smtpListener =
    config.smtpListenPort === undefined
      ? null
      : await startSmtpListener({
          inbound,
          port: config.smtpListenPort,
          host: config.smtpListenHost,
          maxBytes: config.mailInboundMaxBytes,
          hostname: replyDomain,
          logger,
        });

  // Data protection: access, erasure, the audit log and each site's retention job (privacy/).
  const audit = createAuditLog({ db, addressMode: config.ipAddresses });
  // An erasure closes the erased visitors' sockets and tells the consoles, on every instance (the sockets are made below).
  let erased: (e: Erased) => void = () => {};
  const privacy = createPrivacy({ db, attachments, onErased: (e) => erased(e) });
  const retention = createRetention({ jobs, sites, privacy, audit, logger, auditDays: config.auditRetentionDays });
  const erasure = createErasureRequests({
    db,
    privacy,
    audit,
    sites,
    mailer,
    origin: () => config.publicUrl ?? `http://localhost:${port}`,
    ttlMs: config.erasureLinkTtlHours * 3_600_000,
    perAddressDay: config.erasureRequestsPerAddressDay,
    perVisitorHour: config.erasureRequestsPerVisitorHour,
    perSiteHour: config.erasureRequestsPerSiteHour,
  });

  // Webhooks: the durable outbox, delivered by any instance in order per conversation (webhooks/).
  const webhookPolicy = createAddressPolicy(config.webhookAllowAddresses);
  const webhooks = createWebhooks({
    db,
    dialect: database.dialect,
    subscriptions: webhookSubscriptions,
    mailer,
    logger,
    policy: webhookPolicy,
    timeoutMs: config.webhookTimeoutSeconds * 1000,
    maxResponseBytes: config.webhookMaxResponseBytes,
    retryBaseMs: config.webhookRetryBaseSeconds * 1000,
    retryForMs: config.webhookRetryHours * 3_600_000,
    disableAfterFailures: config.webhookDisableAfterFailures,
    leaseMs: config.webhookLeaseSeconds * 1000,
    consoleOrigin: () => config.publicUrl ?? `http://localhost:${port}`,
  });
  const stopWebhooks = webhooks.connect(conversations.changes);
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
    onForwarded: (written) => metrics.forwardedMessages.inc({ written }),
  });
  openSockets = () => sockets.size;
  erased = (e) => sockets.erased(e);
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
    learning,
    botDiagnostics: 'diagnostics' in bot && typeof bot.diagnostics === 'function' ? (key) => (bot as FaqBots).diagnostics(key) : undefined,
    attachments,
    privacy: { privacy, audit, retention, erasure },
    mail: { inbound, maxBytes: config.mailInboundMaxBytes, token: config.inboundMailToken },
    integrations: {
      tokens: createApiTokens({ db }),
      db,
      conversations,
      agentActor: (id) => auth.agentActor(id),
      faqDir,
      faqShared: faqSync,
      maxMessageChars: config.maxMessageChars,
      requestsPerMinute: config.apiRequestsPerMinute,
      redis,
      redisPrefix: config.redisPrefix,
      extraRoutes: webhookRoutes({ webhooks, policy: webhookPolicy }),
      webhooks: { webhooks, policy: webhookPolicy },
    },
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
  // Idle keep-alive connections live longer than a load balancer's (60 s at AWS, nginx, HAProxy's usual
  // setting), so the balancer closes them first: an instance closing one just as a client or balancer
  // reuses it answers that request with a reset (Node's 5 s default made this a race under load).
  server.keepAliveTimeout = 65_000;
  // A whole request (an upload of the largest file on a slow line) may take this long; headers 10 s.
  server.requestTimeout = config.requestTimeoutSeconds * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const metricsServer =
    config.metricsPort === undefined ? null : await listenForMetrics(metrics.registry, config.metricsPort, config.metricsHost, logger);
  await attachments.start();
  jobs.start();
  webhooks.start();
  const stopRetention = await retention.start();
  void assigner.planAllHours().catch((err: unknown) => logger.error({ err }, 'planning business hours failed'));
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const metricsAddress = metricsServer?.address() as AddressInfo | undefined;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    metricsUrl: metricsAddress ? `http://${config.metricsHost}:${metricsAddress.port}/metrics` : null,
    smtpPort: smtpListener?.port ?? null,
    port,
    seeded,
    database,
    attachments,
    invalidateSite: (key) => sites.invalidate(key),
    stop() {
      stopped ??= (async () => {
        // No new connections; sockets get 1001; every queued write is committed before the database closes.
        server.close();
        metricsServer?.close();
        absence.stop();
        stopRetention();
        stopWebhooks();
        await sockets.close();
        await jobs.stop();
        webhookSubscriptions.stop();
        await webhooks.stop();
        assigner.stop();
        await presence.stop();
        // Bot answers still streaming are logged (or dropped) before the write queue drains.
        await conversations.bot.settled();
        await writes.drain();
        bot.close?.();
        await faqSync.stop();
        mail.close();
        replies.close();
        await smtpListener?.close();
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
