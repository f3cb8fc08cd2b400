// HTTP for the sites themselves: the agent's list of sites, one site's settings (read by its agents,
// changed by admins) and new sites (admins). The proactive rules have their own endpoint
// (`/api/sites/:key/proactive`, routes/proactive.ts) and are never read or written here.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  ATTACHMENT_MAX_BYTES,
  ATTACHMENT_TYPES,
  ErrorCode,
  SITE_LIMITS,
  type SiteListResponse,
  type SiteResponse,
  type SiteSettings as ShownSettings,
} from '@servus/shared';
import { storableString } from '@servus/shared/schemas';
import type { Database } from '../../storage/schema.js';
import type { Site, SiteDirectory, SiteSettings } from '../../sites/sites.js';
import { ServusError, notFound } from '../../core/errors.js';
import { validateBusinessHours, type BusinessHours } from '../../core/hours.js';
import { agentSiteKey, parseJson, requireAdmin, type AuditHook, type Ctx, type Env } from '../toolkit.js';

export interface SiteSettingsApiOptions {
  db: Kysely<Database>;
  sites: SiteDirectory;
  /** Largest PATCH/POST body (the app-wide MAX_REQUEST_BYTES applies as well). */
  maxBodyBytes?: number;
  /** Settings changes and new sites go to the audit log. */
  audit?: AuditHook | undefined;
  /** The server can send mail (SMTP_URL): offline messages are emailed to the team. */
  mail?: boolean;
}

export const siteKeySchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and -, 2 to 63 characters');
const siteNameSchema = storableString().trim().min(1).max(SITE_LIMITS.name);

const perLang = (max: number) =>
  z.object({ de: storableString().trim().min(1).max(max).optional(), en: storableString().trim().min(1).max(max).optional() }).strict();

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(SITE_LIMITS.url);

/**
 * An origin (`https://host[:port]`), stored as browsers send it: a trailing slash and upper-case
 * letters in the host, as people paste them, are normalised away; a path, query or credentials are
 * refused.
 */
const originSchema = z
  .string()
  .trim()
  .max(300)
  .transform((value, ctx) => {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      // refused below
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !/^https?:\/\/[^/?#@]+\/?$/i.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an origin such as https://shop.example (scheme, host, optional port; no path)',
        params: { kind: 'not_origin' },
      });
      return z.NEVER;
    }
    return url.origin;
  });

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const offsetPx = z
  .number()
  .int('must be a whole number of px')
  .min(SITE_LIMITS.launcherOffset.min)
  .max(SITE_LIMITS.launcherOffset.max)
  .optional();

/** The shape of business hours; the values are checked by `validateBusinessHours` (business-hours.ts). */
const businessHoursSchema = z
  .object({
    timeZone: storableString().min(1).max(SITE_LIMITS.timeZone),
    weekly: z
      .object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(z.string().max(11)).max(SITE_LIMITS.intervalsPerDay).optional()])))
      .strict(),
    holidays: z.array(z.string().max(10)).max(SITE_LIMITS.holidays).optional(),
  })
  .strict()
  .superRefine((hours, ctx) => {
    for (const problem of validateBusinessHours(hours as BusinessHours)) {
      const i = problem.indexOf(': ');
      ctx.addIssue({ code: 'custom', path: problem.slice(0, i).split('.'), message: problem.slice(i + 2), params: { kind: 'format' } });
    }
  });

/** Every setting an admin may set here, as publicSiteConfig, business-hours.ts, metrics and mail read them. */
const settingFields = {
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour #rrggbb'),
  position: z.enum(['left', 'right']),
  title: perLang(SITE_LIMITS.title),
  greeting: perLang(SITE_LIMITS.greeting),
  botName: storableString().trim().min(1).max(SITE_LIMITS.botName),
  botAvatarUrl: httpsUrl,
  agentAvatarUrl: httpsUrl,
  defaultLang: z.enum(['de', 'en']),
  allowedOrigins: z.array(originSchema).max(SITE_LIMITS.allowedOrigins),
  preChatForm: z
    .object({
      enabled: z.boolean(),
      fields: z
        .array(z.enum(['name', 'email']))
        .max(2)
        .refine((f) => new Set(f).size === f.length, { error: 'each field at most once', params: { kind: 'duplicate' } }),
    })
    .strict(),
  ratings: z.object({ nps: z.boolean(), ces: z.boolean() }).strict(),
  notifyEmails: z.array(z.email().max(254)).max(SITE_LIMITS.notifyEmails),
  businessHours: businessHoursSchema,
  serviceLevel: z
    .object({
      firstResponseSeconds: z.number().int().min(SITE_LIMITS.firstResponseSeconds.min).max(SITE_LIMITS.firstResponseSeconds.max),
    })
    .strict(),
  launcherOffset: z.object({ x: offsetPx, y: offsetPx, mobileX: offsetPx, mobileY: offsetPx }).strict(),
  attachments: z
    .object({
      enabled: z.boolean(),
      maxBytes: z.number().int().min(1024).max(ATTACHMENT_MAX_BYTES),
      maxPerConversation: z.number().int().min(1).max(1000),
      types: z
        .array(z.enum(ATTACHMENT_TYPES))
        .max(ATTACHMENT_TYPES.length)
        .refine((t) => new Set(t).size === t.length, { error: 'each type at most once', params: { kind: 'duplicate' } }),
    })
    .partial()
    .strict(),
  privacy: z
    .object({
      retentionDays: z.number().int().min(SITE_LIMITS.retentionDays.min).max(SITE_LIMITS.retentionDays.max).optional(),
      notice: perLang(SITE_LIMITS.privacyNotice).optional(),
      noticeUrl: httpsUrl.optional(),
    })
    .strict(),
};
type SettingFields = typeof settingFields;

/** A complete settings document (without `proactive`), every field optional. */
export const siteSettingsSchema = z.object(settingFields).partial().strict();

/** A PATCH's settings: each field given replaces the stored one; `null` removes it (its default applies again). */
const settingsPatch = z
  .object(
    Object.fromEntries(Object.entries(settingFields).map(([k, s]) => [k, s.nullable().optional()])) as {
      [K in keyof SettingFields]: z.ZodOptional<z.ZodNullable<SettingFields[K]>>;
    },
  )
  .strict();

export const sitePatchSchema = z.object({ name: siteNameSchema.optional(), settings: settingsPatch.optional() }).strict();
export const siteCreateSchema = z.object({ key: siteKeySchema, name: siteNameSchema }).strict();

/** The stored settings as the API shows them: everything but the proactive rules. */
function shownSettings(settings: SiteSettings | Record<string, unknown>): ShownSettings {
  const { proactive: _proactive, ...rest } = settings as Record<string, unknown>;
  // Stored settings were validated by siteSettingsSchema's fields when written.
  return rest as ShownSettings;
}

/** Mounted at /api/sites: the list, new sites, one site's settings. */
export function siteSettingsRoutes({ db, sites, maxBodyBytes = 64 * 1024, audit, mail = false }: SiteSettingsApiOptions) {
  const app = new Hono<Env>();
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A request body has at most ${maxBodyBytes} bytes.` } }, 413),
  });
  /** The site, if the agent belongs to it; otherwise the same 404 as for a site that does not exist. */
  const agentSite = async (c: Ctx): Promise<Site> => {
    const site = await sites.get(agentSiteKey(c));
    if (!site) throw notFound('site');
    return site;
  };
  const view = (
    c: Ctx,
    site: { key: string; name: string; secret: string; settings: SiteSettings | Record<string, unknown> },
  ): SiteResponse => ({
    site: {
      key: site.key,
      name: site.name,
      settings: shownSettings(site.settings),
      ...(c.get('agent').role === 'admin' ? { secret: site.secret } : {}),
      offlineReply: mail ? 'email' : 'chat',
    },
  });

  // Every site the agent belongs to. The agent's site list is read from agent_sites on each request
  // (auth.agentActor), so a site created a moment ago is listed at once.
  app.get('/', async (c) => {
    const keys = c.get('agent').siteKeys;
    const rows = keys.length ? await db.selectFrom('sites').select(['key', 'name']).where('key', 'in', keys).execute() : [];
    rows.sort((a, b) => a.name.localeCompare(b.name) || (a.key < b.key ? -1 : 1));
    return c.json({ sites: rows.map((r) => ({ key: r.key, name: r.name })) } satisfies SiteListResponse);
  });

  app.post('/', limit, async (c) => {
    requireAdmin(c);
    const body = await parseJson(c, siteCreateSchema);
    const site = { key: body.key, name: body.name, secret: randomBytes(32).toString('base64url'), settings: {} };
    const created = await db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('sites')
        .values({ key: site.key, name: site.name, secret: site.secret, settings: '{}', created_at: Date.now() })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (!Number(inserted.numInsertedOrUpdatedRows ?? 0)) return false;
      // Every admin gets the new site, so every admin sees and manages it.
      const admins = await tx.selectFrom('agents').select('id').where('role', '=', 'admin').execute();
      if (admins.length)
        await tx
          .insertInto('agent_sites')
          .values(admins.map((a) => ({ agent_id: a.id, site_key: site.key })))
          .execute();
      return true;
    });
    if (!created) throw new ServusError(ErrorCode.CONFLICT, `A site with the key ${site.key} exists already.`, { path: 'key' });
    // A widget may have asked for this key before it existed: forget the cached "no such site".
    sites.invalidate(site.key);
    await audit?.(c, { action: 'site.create', siteKey: site.key, subject: site.key });
    return c.json(view(c, site), 201);
  });

  app.get('/:key/settings', async (c) => c.json(view(c, await agentSite(c))));

  app.patch('/:key/settings', limit, async (c) => {
    requireAdmin(c);
    const site = await agentSite(c);
    const body = await parseJson(c, sitePatchSchema);
    // Fields not given (and the proactive rules) stay as they are.
    const updated = await sites.update(site.key, (row) => {
      const settings = { ...row.settings };
      for (const [field, value] of Object.entries(body.settings ?? {})) {
        if (value === undefined) continue;
        if (value === null) delete settings[field];
        else settings[field] = value;
      }
      return { name: body.name ?? row.name, settings };
    });
    await audit?.(c, {
      action: 'site.settings',
      siteKey: site.key,
      subject: site.key,
      detail: { fields: [...(body.name !== undefined ? ['name'] : []), ...Object.keys(body.settings ?? {})] },
    });
    return c.json(view(c, updated));
  });
  return app;
}
