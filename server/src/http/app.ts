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
import type { Attachments } from '../attachments/index.js';
import { agentRoutes } from './routes/agents.js';
import { agentAttachmentRoutes, agentAttachmentUploadRoutes, isUploadPath, visitorAttachmentRoutes } from './routes/attachments.js';
import { authRoutes } from './routes/auth.js';
import { cannedRoutes } from './routes/canned.js';
import { conversationRoutes } from './routes/conversations.js';
import { faqRoutes } from './routes/faq.js';
import { botLabelRoutes, siteBotRoutes } from './routes/bot-learning.js';
import type { BotLearning } from '../learning/learning.js';
import type { FaqDiagnostics } from '../bot/index.js';
import type { FaqFilesOptions } from './faq-files.js';
import { prometheusRoutes, serviceMetricsRoutes } from './routes/metrics.js';
import { beaconRoutes, proactiveRuleRoutes } from './routes/proactive.js';
import { siteSettingsRoutes } from './routes/sites.js';
import { staticRoutes } from './routes/static.js';
import { widgetRoutes } from './routes/widget.js';
import { clientIp, requireAgent, sameOrigin, type AuditHook, type Env } from './toolkit.js';
import { privacyRoutes, visitorPrivacyRoutes } from './routes/privacy.js';
import { mailInboundRoutes, widgetLinkRoutes } from './routes/mail.js';
import type { MailInbound } from '../mail/inbound.js';
import type { AuditLog } from '../privacy/audit.js';
import type { Privacy } from '../privacy/privacy.js';
import type { Retention } from '../privacy/retention.js';
import { ERASURE_PAGE_PATH, type ErasureRequests } from '../privacy/erasure.js';
import { erasurePageRoutes } from './routes/erasure-page.js';
import { join } from 'node:path';
import { integrationApi, type IntegrationOptions } from './api-v1/index.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookAdminRoutes } from './routes/webhooks.js';

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
  /** The sites' own bot calibration and labels (learning/). */
  learning: BotLearning;
  /** A site's FAQ diagnostics as this instance's bot computed them (absent: a bot without them). */
  botDiagnostics?: ((siteKey: string) => FaqDiagnostics | null) | undefined;
  /** Files in conversations (attachments/). */
  attachments: Attachments;
  /** Data protection (privacy/): access, erasure, retention and the audit log. */
  privacy?: { privacy: Privacy; audit: AuditLog; retention: Retention; erasure?: ErasureRequests | undefined } | undefined;
  /** Replies by email posted by a mail provider (docs/email.md). */
  mail?: { inbound: MailInbound; maxBytes: number; token?: string | undefined } | undefined;
  /** API tokens, the REST API v1 and its OpenAPI document (docs/integrations.md). */
  integrations?: IntegrationOptions;
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
    // A referrer policy applies to the document it comes with (the console, the demo page), not to a
    // script or JSON: sent only there, it costs widget.js nothing on every page view.
    // A page with its own (stricter) policy keeps it: the erasure page sends none at all.
    if (c.res.headers.get('content-type')?.startsWith('text/html') && !c.res.headers.has('Referrer-Policy'))
      c.header('Referrer-Policy', 'strict-origin-when-cross-origin');
  });
  const jsonBodyLimit = bodyLimit({
    maxSize: config.maxRequestBytes,
    onError: (c) =>
      c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A request body has at most ${config.maxRequestBytes} bytes.` } }, 413),
  });
  // Uploads stream files under their site's own limit (attachments/), inbound mail has its own
  // (MAIL_INBOUND_MAX_BYTES, routes/mail.ts); every other body is small JSON.
  app.use('/api/*', (c, next) =>
    (c.req.method === 'POST' && isUploadPath(c.req.path)) || c.req.path === '/api/mail/inbound' ? next() : jsonBodyLimit(c, next),
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
  app.route('/api/visitor/attachments', visitorAttachmentRoutes({ auth, attachments: options.attachments }));
  app.route('/api/widget', widgetLinkRoutes({ db }));
  if (options.privacy) app.route('/api', visitorPrivacyRoutes({ auth, ...options.privacy }));
  if (options.privacy?.erasure) app.route(ERASURE_PAGE_PATH, erasurePageRoutes({ erasure: options.privacy.erasure }));
  if (options.mail) app.route('/api/mail', mailInboundRoutes({ db, ...options.mail }));
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
  const auditLog = options.privacy?.audit;
  const audit: AuditHook | undefined = auditLog
    ? async (c, entry) => {
        const agent = c.get('agent');
        await auditLog.record({ type: 'agent', id: agent.id, name: agent.email, address: clientIp(c, forwarded) }, entry);
      }
    : undefined;
  app.route('/api/conversations', agentApi(conversationRoutes({ conversations, config, audit })));
  const bot = { db, conversations, learning: options.learning, diagnostics: options.botDiagnostics };
  // Agents' labels of bot messages (docs/bot-learning.md).
  app.route('/api/conversations', agentApi(botLabelRoutes(bot)));
  app.route('/api/conversations', agentApi(agentAttachmentUploadRoutes({ attachments: options.attachments })));
  app.route('/api/attachments', agentApi(agentAttachmentRoutes({ attachments: options.attachments })));
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
        audit,
      }),
    ),
  );
  app.route('/api/metrics', agentApi(serviceMetricsRoutes({ db })));
  const siteApi = new Hono<Env>()
    .route('/', siteSettingsRoutes({ db, sites, audit, mail: Boolean(config.smtpUrl) }))
    // The console's FAQ editor (docs/console.md): entries written back to DATA_DIR/faq/SITE.
    .route(
      '/',
      faqRoutes({
        db,
        faqDir: join(config.dataDir, 'faq'),
        shared: options.faqSync,
        thresholdOf: (key) => options.learning.thresholdOf(key),
      }),
    )
    // Proactive greetings per site (docs/proactive.md).
    .route('/', proactiveRuleRoutes({ sites, db }))
    // The site's bot calibration and control, and what to fix in its FAQ (docs/bot-learning.md).
    .route('/', siteBotRoutes(bot));
  // Webhooks of a site for its admins (the console's Integrations section; docs/integrations.md).
  if (options.integrations?.webhooks) siteApi.route('/', webhookAdminRoutes(options.integrations.webhooks));
  app.route('/api/sites', agentApi(siteApi));
  if (options.privacy) app.route('/api/privacy', agentApi(privacyRoutes({ ...options.privacy, sites, forwarded })));

  // Integrations: admins' API tokens, the token-authenticated REST API v1 and its OpenAPI document.
  if (options.integrations) {
    const api = integrationApi(options.integrations);
    app.route('/api/tokens', agentApi(tokenRoutes({ tokens: options.integrations.tokens })));
    app.route('/api/v1', api.v1);
    app.route('/api/openapi.json', api.openapi);
  }

  return app;
}
