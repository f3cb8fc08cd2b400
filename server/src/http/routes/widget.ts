// What a host page's widget asks for over HTTP: its site's config (public; refused to a page
// origin the site does not allow), and the visitor's own log (their token as a bearer header,
// never in the URL). Both are cross-origin by nature.
import { Hono, type Context } from 'hono';
import { ErrorCode, type VisitorConversationEventsResponse, type WidgetConfigResponse } from '@servus/shared';
import type { Auth } from '../../auth/auth.js';
import type { Config } from '../../core/config.js';
import type { Conversations } from '../../conversations/index.js';
import { ServusError } from '../../core/errors.js';
import { replayedFrameOf } from '../../realtime/frames.js';
import { originAllowed, publicSiteConfig, type OriginRefusals, type SiteDirectory } from '../../sites/sites.js';
import type { Env } from '../toolkit.js';
import { afterSeq } from './conversations.js';

export interface WidgetRoutesOptions {
  sites: SiteDirectory;
  auth: Auth;
  conversations: Conversations;
  config: Pick<Config, 'replayBatch' | 'smtpUrl'>;
  originRefused?: OriginRefusals | undefined;
}

/** Mounted at /api: /widget/config and /visitor/… */
export function widgetRoutes({ sites, auth, conversations, config, originRefused }: WidgetRoutesOptions) {
  const app = new Hono<Env>();

  app.get('/widget/config', async (c) => {
    const site = await sites.get(c.req.query('site') ?? '');
    if (!site) throw new ServusError(ErrorCode.NOT_FOUND, 'Unknown site.');
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'public, max-age=60');
    c.header('Vary', 'Origin');
    // A page the site does not allow learns it here, before it opens a socket (which a browser
    // cannot tell apart from a network failure). A same-origin request sends no Origin.
    const origin = c.req.header('origin');
    if (origin !== undefined && !originAllowed(site, origin)) {
      originRefused?.(site, origin, 'widget config');
      throw new ServusError(
        ErrorCode.ORIGIN_NOT_ALLOWED,
        `The origin ${origin} may not use the site ${site.key}: add it under Settings → Website → Allowed origins.`,
      );
    }
    // The offline form promises an answer by email only when this server can send one.
    const offlineReply = config.smtpUrl ? ('email' as const) : ('chat' as const);
    return c.json({ site: { ...publicSiteConfig(site), offlineReply } } satisfies WidgetConfigResponse);
  });

  const visitorAuth = async (c: Context<Env>) => {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const site = c.req.header('x-servus-site') ?? '';
    const visitor = token && site ? await auth.visitorForToken(token, site) : null;
    if (!visitor) throw new ServusError(ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
    return visitor;
  };
  app.options('/visitor/*', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Headers', 'authorization, x-servus-site, content-type');
    c.header('Access-Control-Allow-Methods', 'GET');
    return c.body(null, 204);
  });
  app.get('/visitor/conversations/:id/events', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await visitorAuth(c);
    const conv = await conversations.visitorConversation(visitor, c.req.param('id'));
    const { rows, more } = await conversations.eventsAfter(conv, 'visitor', afterSeq(c), config.replayBatch);
    const assigneeName = await conversations.agentName(conv.assignee_id);
    return c.json({
      conversation: await conversations.queries.viewFor(conv, 'visitor'),
      events: rows.map((row) => replayedFrameOf(conv, row, 'visitor', assigneeName)),
      more,
    } satisfies VisitorConversationEventsResponse);
  });
  return app;
}
