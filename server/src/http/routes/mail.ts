// Email's HTTP side: the endpoint mail providers post inbound mail to (POST /api/mail/inbound, the
// raw message; authorised by its reply address, and by a bearer token when INBOUND_MAIL_TOKEN is
// set), and the widget's redemption of a link from a reply mail (POST /api/widget/link).
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ErrorCode, type MailInboundResponse, type WidgetLinkResponse } from '@servus/shared';
import type { Database } from '../../storage/schema.js';
import type { MailInbound } from '../../mail/inbound.js';
import { redeemLink } from '../../mail/replies.js';
import { ServusError } from '../../core/errors.js';
import { parseJson, parseQuery, type Env } from '../toolkit.js';

export interface MailRoutesOptions {
  db: Kysely<Database>;
  inbound: MailInbound;
  maxBytes: number;
  token?: string | undefined;
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Mounted at /api/mail. */
export function mailInboundRoutes({ inbound, maxBytes, token }: MailRoutesOptions) {
  const app = new Hono<Env>();
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A mail has at most ${maxBytes} bytes.` } }, 413),
  });
  app.post('/inbound', limit, async (c) => {
    if (token) {
      const given = (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
      if (!sameSecret(given, token)) throw new ServusError(ErrorCode.UNAUTHORIZED, 'A bearer token is required.');
    }
    const q = parseQuery(c, z.object({ to: z.string().max(320).optional() }).strict());
    const raw = Buffer.from(await c.req.arrayBuffer());
    if (!raw.length) throw new ServusError(ErrorCode.BAD_FRAME, 'The body must be the raw message (message/rfc822).');
    const outcome = await inbound.receive(raw, q.to ? [q.to] : []);
    if (outcome === 'unknown-recipient') throw new ServusError(ErrorCode.NOT_FOUND, 'No such reply address.');
    return c.json({ outcome } satisfies MailInboundResponse);
  });
  return app;
}

/** Mounted at /api/widget: the link from a reply mail, redeemed once for a visitor token. */
export function widgetLinkRoutes({ db }: Pick<MailRoutesOptions, 'db'>) {
  const app = new Hono<Env>();
  app.options('/link', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Headers', 'content-type');
    c.header('Access-Control-Allow-Methods', 'POST');
    return c.body(null, 204);
  });
  app.post('/link', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'no-store');
    const body = await parseJson(c, z.object({ site: z.string().min(1).max(64), token: z.string().min(16).max(128) }).strict());
    const redeemed = await redeemLink(db, body.site, body.token);
    if (!redeemed) throw new ServusError(ErrorCode.NOT_FOUND, 'This link is unknown, used or expired.');
    return c.json(redeemed satisfies WidgetLinkResponse);
  });
  return app;
}
