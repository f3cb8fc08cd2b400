// Assembles one Servus process: database, write queue, hub, bot, HTTP routes and sockets.
import { createAdaptorServer } from '@hono/node-server';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, type OpenDatabase } from './storage/db.js';
import { createWriteQueue } from './storage/write-queue.js';
import { prepareSqliteStatements } from './storage/sqlite-statements.js';
import { createLocalHub, type Hub } from './realtime/hub.js';
import { createRedisHub } from './realtime/redis-hub.js';
import { createPresence } from './realtime/presence.js';
import { createSocketServer } from './realtime/socket-server.js';
import { createAuth } from './auth.js';
import { DEFAULT_LOGIN_LIMITS } from './login-throttle.js';
import { createOriginRefusals, createSiteDirectory, hoursNow } from './sites.js';
import { createConversationService } from './conversations/service.js';
import { silentBot, type BotResponder } from './conversations/bot-responder.js';
import { createAssigner } from './conversations/assigner.js';
import { createServerMetrics } from './metrics/prometheus.js';
import { createMailer } from './mail/mailer.js';
import { offlineNotification, transcript, langOf } from './mail/templates.js';
import type { ChatMessage } from '@servus/shared';
import { createApp } from './http/app.js';
import { seed, type SeedResult } from './seed.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

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
    ...(pgSchema ? { pgSchema } : {}),
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
  const bot: BotResponder & { close?(): void } = typeof bots === 'function' ? await bots({ faqDir, logger, config }) : (bots ?? silentBot);
  const hub = givenHub ?? (config.redisUrl ? await createRedisHub(config.redisUrl, logger) : createLocalHub());
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
  const presence = createPresence();
  const sites = createSiteDirectory(db);
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
  const service = createConversationService({
    db,
    dialect: database.dialect,
    writes,
    hub,
    bots: bot,
    reopenWindowMs: config.reopenWindowSeconds * 1000,
    defaultHandlingSeconds: config.defaultHandlingSeconds,
    agentsOnline: (siteKey) => presence.online(siteKey),
    sqlite: statements,
    onSiteChanged: (siteKey) => assigner.schedule(siteKey),
    hoursNow: async (siteKey, executor) => {
      const site = await sites.get(siteKey, executor);
      return site ? hoursNow(site) : { open: true, opensAt: null };
    },
    metrics,
    logger,
  });
  const assigner = createAssigner({ db, service, presence, logger, enabled: config.autoAssign });
  const offlineTimers = new Map<string, NodeJS.Timeout>();
  presence.onChange((keys, agentId, online) => {
    // Visitors waiting learn at once when the first agent comes online or the last one leaves.
    for (const key of keys) {
      void service.publishQueuePositions(key).catch((err: unknown) => logger.error({ err }, 'queue update failed'));
      if (online) assigner.schedule(key);
    }
    clearTimeout(offlineTimers.get(agentId));
    offlineTimers.delete(agentId);
    if (!online) {
      // After a grace period (a reload, a flaky network), an absent agent's chats go back to the front of the queue.
      const timer = setTimeout(() => {
        offlineTimers.delete(agentId);
        if (presence.status(agentId) !== 'offline') return;
        void service.returnToQueue(agentId).catch((err: unknown) => logger.error({ err, agentId }, 'return to queue failed'));
      }, config.agentOfflineGraceSeconds * 1000);
      timer.unref();
      offlineTimers.set(agentId, timer);
    }
  });
  let port = config.port;
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, logger });
  const originRefused = createOriginRefusals(logger);
  const sockets = createSocketServer({
    config,
    logger,
    originRefused,
    auth,
    hub,
    sites,
    service,
    presence,
    publicUrl: config.publicUrl,
    onOfflineMessage: (visitor, conversationId, email, text) => {
      void (async () => {
        const site = await sites.get(visitor.siteKey);
        if (!site || !mailer.enabled) return;
        const to = site.settings.notifyEmails?.length
          ? site.settings.notifyEmails
          : (
              await db
                .selectFrom('agents')
                .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
                .select('agents.email')
                .where('agent_sites.site_key', '=', site.key)
                .where('agents.role', '=', 'admin')
                .execute()
            ).map((a) => a.email);
        if (!to.length) return;
        const link = `${config.publicUrl ?? `http://localhost:${port}`}/console/conversations/${conversationId}`;
        const mail = offlineNotification(langOf(site.settings.defaultLang), site.name, email, text, link);
        await mailer.send({ to, replyTo: email, ...mail });
      })().catch((err: unknown) => logger.error({ err }, 'offline notification failed'));
    },
    sendTranscript: async (visitor, conversationId, email) => {
      if (!mailer.enabled) return false;
      const row = await db.selectFrom('visitors').select('email').where('id', '=', visitor.id).executeTakeFirst();
      const to = email ?? row?.email;
      if (!to) return false;
      const conv = await service.visitorConversation(visitor, conversationId);
      const site = await sites.get(visitor.siteKey);
      const { frames } = await service.replay(conv, 'visitor', 0, 2000);
      const messages = frames
        .map((f) => JSON.parse(f.json) as { type: string; message?: ChatMessage })
        .flatMap((f) => (f.type === 'message.created' && f.message ? [f.message] : []));
      const mail = transcript(
        langOf(conv.lang ?? site?.settings.defaultLang),
        site?.name ?? 'Servus',
        messages,
        site?.settings.businessHours?.timeZone,
      );
      return mailer.send({ to, ...mail });
    },
  });
  openSockets = () => sockets.size;
  const app = createApp({
    metrics,
    config,
    db,
    dialect: database.dialect,
    presence,
    disconnectAgent: (agentId, keep) => sockets.disconnectAgent(agentId, keep),
    sessionEnded: () => void sockets.checkSessions(),
    originRefused,
    consoleDir: join(repoRoot, 'server', 'console', 'dist'),
    logger,
    auth,
    sites,
    service,
    widgetDir: join(repoRoot, 'widget', 'dist'),
    health: async () => ({ database: database.dialect, sockets: sockets.size, writes: writes.stats }),
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
  // METRICS_PORT: /metrics alone, without a token, on its own listener (127.0.0.1 by default).
  let metricsServer: Server | null = null;
  if (config.metricsPort !== undefined) {
    const listener = createHttpServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(body),
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(config.metricsPort, config.metricsHost, () => resolve());
    });
    metricsServer = listener;
  }
  // Bot answers that were being written by a model when the last process died (LLM engine).
  void service
    .recoverBotAnswers()
    .then((n) => n && logger.info({ questions: n }, 'answering questions whose bot answer was lost in a restart'))
    .catch((err: unknown) => logger.error({ err }, 'bot answer recovery failed'));
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let stopped: Promise<void> | null = null;
  const metricsAddress = metricsServer?.address() as AddressInfo | undefined;
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
        for (const t of offlineTimers.values()) clearTimeout(t);
        await sockets.close();
        await assigner.idle();
        // Bot answers still streaming are logged (or dropped) before the write queue drains.
        await service.botAnswersSettled();
        await writes.drain();
        bot.close?.();
        mailer.close();
        await hub.close();
        server.closeAllConnections();
        await database.close();
      })();
      return stopped;
    },
  };
}
