// What a host page's widget asks for over HTTP: its site's config (public; refused to a page
// origin the site does not allow), and the visitor's own log (their token as a bearer header,
// never in the URL). Both are cross-origin by nature.
import { Hono } from 'hono';
import {
  ErrorCode,
  type VisitorConversationEventsResponse,
  type VisitorConversationListResponse,
  type WidgetConfigResponse,
} from '@servus/shared';
import { widgetAttachmentConfig } from '../../attachments/index.js';
import type { Auth } from '../../auth/auth.js';
import type { Config } from '../../core/config.js';
import type { Conversations } from '../../conversations/index.js';
import { ServusError } from '../../core/errors.js';
import { replayedFrameOf } from '../../realtime/frames.js';
import { originAllowed, publicSiteConfig, type OriginRefusals, type SiteDirectory } from '../../sites/sites.js';
import { requireVisitor, type Env } from '../toolkit.js';
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
    return c.json({
      site: { ...publicSiteConfig(site), attachments: widgetAttachmentConfig(site.settings.attachments), offlineReply },
    } satisfies WidgetConfigResponse);
  });

  app.options('/visitor/*', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Headers', 'authorization, x-servus-site, content-type');
    c.header('Access-Control-Allow-Methods', 'GET, POST, DELETE');
    return c.body(null, 204);
  });
  app.get('/visitor/conversations/:id/events', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    // Also the same verified user's conversations on other devices (history across devices).
    const conv = await conversations.visitorHistoryConversation(visitor, c.req.param('id'));
    const { rows, more } = await conversations.eventsAfter(conv, 'visitor', afterSeq(c), config.replayBatch);
    const assigneeName = await conversations.agentName(conv.assignee_id);
    return c.json({
      conversation: await conversations.queries.viewFor(conv, 'visitor'),
      events: rows.map((row) => replayedFrameOf(conv, row, 'visitor', assigneeName)),
      more,
    } satisfies VisitorConversationEventsResponse);
  });
  // The visitor's conversations, with those of the same verified user on other devices (docs/integrations.md#identity).
  app.get('/visitor/conversations', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    return c.json({ conversations: await conversations.visitorHistory(visitor.id) } satisfies VisitorConversationListResponse);
  });
  return app;
}
