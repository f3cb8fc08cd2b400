// The HTTP side of one Servus process: error mapping and security headers for every response, then
// one router per resource, each with the auth it needs attached to itself (toolkit.ts). A new
// resource is a new file in routes/ mounted here (docs/architecture.md).
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { ErrorCode } from '@servus/shared';
import type { Auth } from '../auth/auth.js';
import type { Config } from '../core/config.js';
import type { Conversations } from '../conversations/index.js';
import { ServusError, toPublicError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ServerMetrics } from '../metrics/prometheus.js';
import type { Presence } from '../presence/presence.js';
import type { OriginRefusals, SiteDirectory } from '../sites/sites.js';
import type { Database } from '../storage/schema.js';
import { agentRoutes } from './routes/agents.js';
import { authRoutes } from './routes/auth.js';
import { cannedRoutes } from './routes/canned.js';
import { conversationRoutes } from './routes/conversations.js';
import { faqRoutes } from './routes/faq.js';
import type { FaqFilesOptions } from './faq-files.js';
import { prometheusRoutes, serviceMetricsRoutes } from './routes/metrics.js';
import { beaconRoutes, proactiveRuleRoutes } from './routes/proactive.js';
import { siteSettingsRoutes } from './routes/sites.js';
import { staticRoutes } from './routes/static.js';
import { widgetRoutes } from './routes/widget.js';
import { requireAgent, sameOrigin, type Env } from './toolkit.js';
import { join } from 'node:path';

export interface AppOptions {
  config: Config;
  metrics: ServerMetrics;
  db: Kysely<Database>;
  presence: Presence;
  disconnectAgent: (agentId: string, keepSessionHash?: string) => void;
  /** An agent's account changed (profile, an admin's edit): every instance refreshes its sockets of them. */
  agentChanged?: ((agentId: string) => void) | undefined;
  /** A session ended here (logout): its sockets close now rather than at the next check. */
  sessionEnded?: () => void;
  /** Logs a page origin a site does not allow (once per site and origin an hour). */
  originRefused?: OriginRefusals;
  /** Folder of the built console (server/console/dist); a placeholder page is served until it is built. */
  consoleDir: string;
  logger: Logger;
  auth: Auth;
  sites: SiteDirectory;
  conversations: Conversations;
  /** Folder of the built widget (widget/dist). */
  widgetDir: string;
  /** The instance's state; `status: 'down'` answers 503 so a load balancer stops sending traffic here. */
  health: () => Promise<{ status: 'ok' | 'degraded' | 'down' } & Record<string, unknown>>;
  /** The FAQ files shared by every instance (faq/sync.ts). */
  faqSync?: FaqFilesOptions['shared'];
}

export function createApp(options: AppOptions) {
  const { config, logger, auth, sites, conversations, db, metrics, originRefused } = options;
  const forwarded = { trustProxy: config.trustProxy, publicUrl: config.publicUrl };
  const app = new Hono<Env>();

  app.onError((err, c) => {
    if (!(err instanceof ServusError)) logger.error({ err, path: c.req.path }, 'request failed');
    const pub = toPublicError(err);
    return c.json({ error: pub }, (err instanceof ServusError ? err.status : 500) as 500);
  });
  app.notFound((c) => c.json({ error: { code: ErrorCode.NOT_FOUND, message: 'Not found.' } }, 404));
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'strict-origin-when-cross-origin');
  });
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: config.maxRequestBytes,
      onError: (c) =>
        c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A request body has at most ${config.maxRequestBytes} bytes.` } }, 413),
    }),
  );

  app.get('/healthz', async (c) => {
    const health = await options.health();
    c.header('Cache-Control', 'no-store');
    return c.json(health, health.status === 'down' ? 503 : 200);
  });
  app.route('/metrics', prometheusRoutes({ metrics, token: config.metricsToken }));
  app.route('/', staticRoutes({ widgetDir: options.widgetDir, consoleDir: options.consoleDir }));

  // Public: what a host page's widget asks for, and the proactive beacon.
  app.route('/api', widgetRoutes({ sites, auth, conversations, config, originRefused }));
  app.route(
    '/api/widget',
    beaconRoutes({ db, sites, metrics, trustProxy: config.trustProxy, ...(originRefused ? { originRefused } : {}) }),
  );
  app.route(
    '/api/auth',
    authRoutes({
      db,
      auth,
      config,
      forwarded,
      disconnectAgent: options.disconnectAgent,
      sessionEnded: options.sessionEnded,
      agentChanged: options.agentChanged,
    }),
  );

  // The agents' API: every router below opens only with a session, and writes only from our origin.
  const agentsOnly = [requireAgent(auth), sameOrigin(forwarded)] as const;
  const agentApi = (router: Hono<Env>) => new Hono<Env>().use('*', ...agentsOnly).route('/', router);
  app.route('/api/conversations', agentApi(conversationRoutes({ conversations, config })));
  app.route('/api/canned', agentApi(cannedRoutes({ db })));
  app.route(
    '/api/agents',
    agentApi(
      agentRoutes({
        db,
        presence: options.presence,
        commands: conversations.commands,
        disconnectAgent: options.disconnectAgent,
        sessionEnded: options.sessionEnded,
        agentChanged: options.agentChanged,
      }),
    ),
  );
  app.route('/api/metrics', agentApi(serviceMetricsRoutes({ db })));
  const siteApi = new Hono<Env>()
    .route('/', siteSettingsRoutes({ db, sites, mail: Boolean(config.smtpUrl) }))
    // The console's FAQ editor (docs/console.md): entries written back to DATA_DIR/faq/SITE.
    .route('/', faqRoutes({ db, faqDir: join(config.dataDir, 'faq'), shared: options.faqSync }))
    // Proactive greetings per site (docs/proactive.md).
    .route('/', proactiveRuleRoutes({ sites }));
  app.route('/api/sites', agentApi(siteApi));

  return app;
}
