// HTTP routes: health, the widget files, the demo page, widget config, agent login and the REST API.
// State-changing requests with a session cookie must come from our own origin (CSRF).
import { readFile } from 'node:fs/promises';
import { join, normalize, extname, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import {
  ErrorCode,
  type AgentSessionResponse,
  type ConversationEventsResponse,
  type LoggedFrame,
  type VisitorConversationEventsResponse,
  type WidgetConfigResponse,
} from '@servus/shared';
import type { HttpBindings } from '@hono/node-server';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Auth } from '../auth.js';
import { SESSION_COOKIE } from '../auth.js';
import type { ConversationService, AgentActor } from '../conversations/service.js';
import { ServusError, toPublicError } from '../errors.js';
import { publicSiteConfig, type SiteDirectory } from '../sites.js';
import { demoPage, consolePage } from './pages.js';
import type { ServerMetrics } from '../metrics/prometheus.js';
import { mountAgentApi, type AgentEnv, type AgentApiOptions } from './agent-api.js';
import { mountFaqApi } from './faq-api.js';
import { mountProactiveApi } from '../proactive/routes.js';
import { mountSiteSettingsApi } from './site-settings.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import type { Presence } from '../realtime/presence.js';

export interface AppOptions {
  config: Config;
  metrics: ServerMetrics;
  db: Kysely<Database>;
  dialect: Dialect;
  presence: Presence;
  disconnectAgent: (agentId: string, keepSessionHash?: string) => void;
  /** Folder of the built console (server/console/dist); a placeholder page is served until it is built. */
  consoleDir: string;
  logger: Logger;
  auth: Auth;
  sites: SiteDirectory;
  service: ConversationService;
  /** Folder of the built widget (widget/dist). */
  widgetDir: string;
  health: () => Promise<Record<string, unknown>>;
}

type Env = { Bindings: HttpBindings; Variables: { agent: AgentActor & { email: string; role: 'admin' | 'agent' } } };

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function createApp({
  metrics,
  config,
  logger,
  auth,
  sites,
  service,
  widgetDir,
  consoleDir,
  health,
  db,
  dialect,
  presence,
  disconnectAgent,
}: AppOptions) {
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

  const ownOrigin = (c: Context<Env>) => (config.publicUrl ? new URL(config.publicUrl).origin : `http://${c.req.header('host') ?? ''}`);
  /** CSRF: a cookie-authenticated write must come from our own origin. */
  const sameOrigin = async (c: Context<Env>, next: () => Promise<void>) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      const fetchSite = c.req.header('sec-fetch-site');
      if ((origin && origin !== ownOrigin(c)) || (!origin && fetchSite && fetchSite !== 'same-origin')) {
        throw new ServusError(ErrorCode.FORBIDDEN, 'Cross-site request refused.');
      }
    }
    await next();
  };
  const requireAgent = async (c: Context<Env>, next: () => Promise<void>) => {
    const agent = await auth.agentForSession(getCookie(c, SESSION_COOKIE));
    if (!agent) throw new ServusError(ErrorCode.UNAUTHORIZED, 'Log in first.');
    c.set('agent', agent);
    await next();
  };

  async function json<T>(c: Context<Env>, schema: z.ZodType<T>): Promise<T> {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ServusError(ErrorCode.BAD_JSON, 'The body must be JSON.');
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') ?? '';
      throw new ServusError(ErrorCode.BAD_FRAME, `${path || 'body'}: ${issue?.message ?? 'invalid'}`, { path });
    }
    return parsed.data;
  }

  app.get('/healthz', async (c) => c.json({ status: 'ok', ...(await health()) }));
  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  // ---- widget files and pages
  async function sendFile(c: Context<Env>, rel: string, cache: string) {
    const root = normalize(widgetDir);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return c.notFound();
    try {
      const body = await readFile(file);
      c.header('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
      c.header('Cache-Control', cache);
      c.header('Access-Control-Allow-Origin', '*');
      c.header('Cross-Origin-Resource-Policy', 'cross-origin');
      return c.body(body);
    } catch {
      return c.notFound();
    }
  }
  app.get('/widget.js', (c) => sendFile(c, 'widget.js', 'public, max-age=300'));
  app.get('/widget/*', (c) => {
    const rel = c.req.path.slice('/widget/'.length);
    // Hashed chunk names never change content: cache them for a year. The chunks live in
    // widget/dist/widget/, beside widget.js as the loader expects them on any static host too.
    return sendFile(c, `widget/${rel}`, /-[A-Za-z0-9_-]{8,}\./.test(rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
  });
  app.get('/', (c) => c.redirect('/demo'));
  app.get('/demo', (c) => c.html(demoPage(c.req.query('lang') === 'en' ? 'en' : 'de')));
  const consoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  async function consoleIndex(c: Context<Env>) {
    c.header('Content-Security-Policy', consoleCsp);
    c.header('X-Frame-Options', 'DENY');
    c.header('Cache-Control', 'no-cache');
    try {
      return c.html(await readFile(join(consoleDir, 'index.html'), 'utf8'));
    } catch {
      return c.html(consolePage());
    }
  }
  app.get('/console', consoleIndex);
  app.get('/console/assets/*', async (c) => {
    const rel = c.req.path.slice('/console/'.length);
    const root = normalize(consoleDir);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return c.notFound();
    try {
      const body = await readFile(file);
      c.header('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(body);
    } catch {
      return c.notFound();
    }
  });
  app.get('/console/*', consoleIndex);

  // ---- widget config
  app.get('/api/widget/config', async (c) => {
    const site = await sites.get(c.req.query('site') ?? '');
    if (!site) throw new ServusError(ErrorCode.NOT_FOUND, 'Unknown site.');
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ site: publicSiteConfig(site) } satisfies WidgetConfigResponse);
  });

  // ---- visitor REST (token as a bearer header, never in the URL)
  const visitorAuth = async (c: Context<Env>) => {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const site = c.req.header('x-servus-site') ?? '';
    const visitor = token && site ? await auth.visitorForToken(token, site) : null;
    if (!visitor) throw new ServusError(ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
    return visitor;
  };
  app.options('/api/visitor/*', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Headers', 'authorization, x-servus-site, content-type');
    c.header('Access-Control-Allow-Methods', 'GET');
    return c.body(null, 204);
  });
  const afterQuery = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0);
  app.get('/api/visitor/conversations/:id/events', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await visitorAuth(c);
    const conv = await service.visitorConversation(visitor, c.req.param('id'));
    const after = afterQuery.safeParse(c.req.query('after'));
    if (!after.success) throw new ServusError(ErrorCode.BAD_FRAME, 'after: must be a whole number', { path: 'after' });
    const { frames, more } = await service.replay(conv, 'visitor', after.data, config.replayBatch);
    return c.json({
      conversation: await service.viewFor(conv, 'visitor'),
      events: frames.map((f) => JSON.parse(f.json) as LoggedFrame),
      more,
    } satisfies VisitorConversationEventsResponse);
  });

  // ---- agent auth
  app.use('/api/auth/*', sameOrigin);
  app.post('/api/auth/login', async (c) => {
    const body = await json(c, z.object({ email: z.email().max(254), password: z.string().min(1).max(1024) }));
    const result = await auth.login(body.email, body.password);
    if ('error' in result) {
      throw new ServusError(
        result.error === 'locked' ? ErrorCode.RATE_LIMITED : ErrorCode.UNAUTHORIZED,
        result.error === 'locked' ? 'Too many failed logins; try again later.' : 'Wrong email or password.',
      );
    }
    setCookie(c, SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: (config.publicUrl ?? '').startsWith('https:'),
      maxAge: config.sessionTtlHours * 3600,
    });
    const agent = await auth.agentActor(result.agentId);
    return c.json({ agent });
  });
  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await auth.logout(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });
  app.get('/api/auth/me', requireAgent, (c) => c.json({ agent: c.get('agent') } satisfies AgentSessionResponse));

  // ---- agent REST
  for (const path of [
    '/api/conversations',
    '/api/conversations/*',
    '/api/canned',
    '/api/canned/*',
    '/api/agents',
    '/api/agents/*',
    '/api/auth/password',
    '/api/sites/*',
    '/api/metrics',
  ]) {
    app.use(path, requireAgent, sameOrigin);
  }
  app.get('/api/conversations/:id/events', async (c) => {
    const conv = await service.agentConversation(c.get('agent'), c.req.param('id'));
    const after = afterQuery.safeParse(c.req.query('after'));
    if (!after.success) throw new ServusError(ErrorCode.BAD_FRAME, 'after: must be a whole number', { path: 'after' });
    const { frames, more } = await service.replay(conv, 'agent', after.data, config.replayBatch);
    return c.json({ events: frames.map((f) => JSON.parse(f.json) as LoggedFrame), more } satisfies ConversationEventsResponse);
  });
  mountAgentApi(app as unknown as Hono<AgentEnv>, {
    db,
    dialect,
    auth,
    service,
    presence,
    disconnectAgent,
    parse: json as unknown as AgentApiOptions['parse'],
  });
  // The console's FAQ editor (docs/console.md): entries written back to DATA_DIR/faq/SITE.
  mountFaqApi(app as unknown as Hono<AgentEnv>, {
    db,
    faqDir: join(config.dataDir, 'faq'),
    parse: json as unknown as AgentApiOptions['parse'],
  });
  // Proactive messages: the widget's beacon and the admins' rules per site (docs/proactive.md).
  mountProactiveApi(app, { db, sites, metrics, trustProxy: config.trustProxy });
  // Sites and their settings: the agent's sites, settings per site, new sites (docs/configuration.md).
  mountSiteSettingsApi(app as unknown as Hono<AgentEnv>, { db, sites });

  return app;
}
