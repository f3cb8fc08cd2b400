// /api/privacy (admins): find a person, export everything about them, erase them; the audit log;
// a site's retention status. Every call is written to the audit log (docs/privacy.md).
import { Hono } from 'hono';
import { z } from 'zod';
import {
  type AuditListResponse,
  type PrivacyEraseResponse,
  type PrivacyPersonResponse,
  type RetentionStatusResponse,
  type VisitorErasureResponse,
} from '@servus/shared';
import type { AuditLog } from '../../privacy/audit.js';
import type { PersonQuery, Privacy } from '../../privacy/privacy.js';
import type { Retention } from '../../privacy/retention.js';
import type { ErasureRequests } from '../../privacy/erasure.js';
import { subjectOf } from '../../privacy/subject.js';
import type { SiteDirectory } from '../../sites/sites.js';
import { ServusError, notFound } from '../../core/errors.js';
import { ErrorCode } from '@servus/shared';
import type { Auth } from '../../auth/auth.js';
import type { ForwardedOptions } from '../../core/forwarded.js';
import { agentSiteKey, clientIp, parseJson, parseQuery, requireAdmin, requireVisitor, type Ctx, type Env } from '../toolkit.js';

export interface PrivacyRoutesOptions {
  privacy: Privacy;
  audit: AuditLog;
  retention: Retention;
  sites: SiteDirectory;
  forwarded: ForwardedOptions;
}

const id = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'an id');
/** Exactly one way to name a person, and optionally one site to look in. */
const personFields = {
  email: z.email().max(254).optional(),
  visitorId: id.optional(),
  conversationId: id.optional(),
  site: z.string().max(64).optional(),
};
const oneOf = (v: { email?: string | undefined; visitorId?: string | undefined; conversationId?: string | undefined }) =>
  [v.email, v.visitorId, v.conversationId].filter((x) => x !== undefined).length === 1;
const ONE_OF = { message: 'give exactly one of email, visitorId, conversationId' };
const personQuery = z.object(personFields).strict().refine(oneOf, ONE_OF);
const eraseBody = z
  .object({ ...personFields, confirm: z.literal(true, { error: 'must be true' }) })
  .strict()
  .refine(oneOf, ONE_OF);
const auditQuery = z
  .object({
    site: z.string().max(64).optional(),
    action: z.string().max(64).optional(),
    before: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    download: z.enum(['1']).optional(),
  })
  .strict();

const toQuery = (v: { email?: string | undefined; visitorId?: string | undefined; conversationId?: string | undefined }): PersonQuery =>
  v.email !== undefined
    ? { email: v.email }
    : v.visitorId !== undefined
      ? { visitorId: v.visitorId }
      : { conversationId: v.conversationId! };

export function privacyRoutes({ privacy, audit, retention, sites, forwarded }: PrivacyRoutesOptions) {
  const app = new Hono<Env>();
  const actorOf = (c: Ctx) => {
    const agent = c.get('agent');
    return { type: 'agent' as const, id: agent.id, name: agent.email, address: clientIp(c, forwarded) };
  };
  /** The admin's sites, or the one asked for (when it is theirs). */
  const scope = (c: Ctx, site: string | undefined): string[] => {
    requireAdmin(c);
    const mine = c.get('agent').siteKeys;
    if (site === undefined) return mine;
    if (!mine.includes(site)) throw notFound('site');
    return [site];
  };
  const record = async (c: Ctx, action: string, siteKeys: string[], query: PersonQuery, detail: Record<string, unknown>) => {
    const siteKey = siteKeys.length === 1 ? siteKeys[0]! : null;
    const site = siteKey ? await sites.get(siteKey) : null;
    await audit.record(actorOf(c), { action, siteKey, subject: subjectOf(query, site?.secret), detail });
  };

  app.get('/person', async (c) => {
    const q = parseQuery(c, personQuery);
    const siteKeys = scope(c, q.site);
    const query = toQuery(q);
    const person = await privacy.find(siteKeys, query);
    await record(c, 'person.view', siteKeys, query, { visitors: person.visitors.length, conversations: person.conversations.length });
    return c.json({ person } satisfies PrivacyPersonResponse);
  });

  app.get('/export', async (c) => {
    const q = parseQuery(c, personQuery);
    const siteKeys = scope(c, q.site);
    const query = toQuery(q);
    const doc = await privacy.exportPerson(siteKeys, query);
    await record(c, 'person.export', siteKeys, query, { visitors: doc.visitors.length, conversations: doc.conversations.length });
    c.header('Content-Disposition', `attachment; filename="servus-export-${new Date().toISOString().slice(0, 10)}.json"`);
    c.header('Cache-Control', 'no-store');
    return c.json(doc);
  });

  app.post('/erase', async (c) => {
    const body = await parseJson(c, eraseBody);
    const siteKeys = scope(c, body.site);
    const query = toQuery(body);
    const erased = await privacy.erasePerson(siteKeys, query);
    await record(c, 'person.erase', siteKeys, query, erased);
    return c.json({ erased } satisfies PrivacyEraseResponse);
  });

  app.get('/audit', async (c) => {
    const q = parseQuery(c, auditQuery);
    const siteKeys = scope(c, q.site);
    // Entries without a site (agents added, the CLI) are for every admin to see.
    const entries = await audit.list({
      siteKeys: q.site ? siteKeys : undefined,
      ...(q.action ? { action: q.action } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
      limit: q.limit,
    });
    const visible = q.site ? entries : entries.filter((e) => e.siteKey === null || siteKeys.includes(e.siteKey));
    if (q.download) {
      await audit.record(actorOf(c), { action: 'audit.export', siteKey: q.site ?? null, detail: { entries: visible.length } });
      c.header('Content-Disposition', `attachment; filename="servus-audit-${new Date().toISOString().slice(0, 10)}.json"`);
    }
    c.header('Cache-Control', 'no-store');
    return c.json({ entries: visible } satisfies AuditListResponse);
  });

  app.get('/sites/:key/retention', async (c) => {
    requireAdmin(c);
    const key = agentSiteKey(c);
    return c.json((await retention.status(key)) satisfies RetentionStatusResponse);
  });

  return app;
}

const erasureBody = z.object({ email: z.email().max(254).optional(), lang: z.enum(['de', 'en']).optional() }).strict();

/**
 * Mounted at /api, authorised by the visitor's token (bearer): a visitor deletes their own
 * conversation at once, or asks for the erasure of all their data, confirmed by email (erasure.ts).
 */
export function visitorPrivacyRoutes({
  auth,
  privacy,
  audit,
  erasure,
}: {
  auth: Auth;
  privacy: Privacy;
  audit: AuditLog;
  erasure?: ErasureRequests | undefined;
}) {
  const app = new Hono<Env>();
  app.post('/visitor/erasure', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    const body = await parseJson(c, erasureBody);
    if (!erasure) throw new ServusError(ErrorCode.INVALID_STATE, 'Email is not set up on this server.');
    await erasure.request(visitor, body.email, body.lang);
    return c.json({ ok: true } satisfies VisitorErasureResponse, 202);
  });
  app.delete('/visitor/conversations/:id', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    const site = visitor.siteKey;
    const id = c.req.param('id');
    if (!(await privacy.eraseOwnConversation(visitor.id, site, id))) throw notFound();
    await audit.record({ type: 'visitor' }, { action: 'conversation.erase-by-visitor', siteKey: site, subject: `conversation:${id}` });
    return c.json({ ok: true });
  });
  return app;
}
