// Sites (one per website using Servus): settings cached in memory, read on every upgrade.
import type { Kysely } from 'kysely';
import type { Logger } from '../core/logger.js';
import type { Database } from '../storage/schema.js';
import type { Hub } from '../pubsub/hub.js';
import { DEFAULT_WIDGET_COLOR, type SiteSettings as SharedSiteSettings, type WidgetConfig } from '@servus/shared';
import { isOpen, nextChange, nextOpening } from '../core/hours.js';
import { widgetRulesOf, type ProactiveRule } from '../proactive/rules.js';

/** The stored settings (shared with the console) and the proactive rules kept beside them. */
export interface SiteSettings extends SharedSiteSettings {
  /** Proactive greeting rules (docs/proactive.md); validated by `proactiveRulesSchema`. */
  proactive?: ProactiveRule[];
}

export interface Site {
  key: string;
  name: string;
  secret: string;
  settings: SiteSettings;
}

export type SiteDirectory = ReturnType<typeof createSiteDirectory>;

export interface SiteDirectoryOptions {
  /** News of a changed site reaches every instance through it (their caches drop it at once). */
  hub?: Hub | undefined;
  /** The longest a cached site is trusted without news (a lost message costs at most this). */
  ttlMs?: number;
}

const CHANNEL = 'sites';

export function createSiteDirectory(db: Kysely<Database>, { hub, ttlMs = 5_000 }: SiteDirectoryOptions = {}) {
  const cache = new Map<string, { site: Site | null; at: number }>();
  const listeners = new Set<(key: string) => void>();
  const changed = (key: string) => {
    cache.delete(key);
    for (const listener of listeners) listener(key);
  };
  hub?.onBroadcast(CHANNEL, (data) => changed(String((data as { key?: unknown }).key ?? '')));
  hub?.onResync(() => {
    for (const key of [...cache.keys()]) changed(key);
  });
  /** Tells every instance (this one included) that a site changed. */
  const announce = (key: string) => (hub ? hub.broadcast(CHANNEL, { key }) : changed(key));
  return {
    /** Told on every instance when a site's settings changed anywhere. */
    onChange(listener: (key: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** `executor`: the transaction a caller runs in (on SQLite, reading beside it would deadlock). */
    async get(key: string, executor: Kysely<Database> = db): Promise<Site | null> {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) return null;
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.site;
      const row = await executor.selectFrom('sites').selectAll().where('key', '=', key).executeTakeFirst();
      const site = row ? { key: row.key, name: row.name, secret: row.secret, settings: JSON.parse(row.settings) as SiteSettings } : null;
      cache.set(key, { site, at: Date.now() });
      return site;
    },
    /** A site was created or changed outside update(): every instance forgets its cached copy. */
    invalidate(key: string) {
      announce(key);
    },
    /**
     * Read-modify-write of a site's row in one transaction: `change` gets the stored name and
     * settings document and returns the new ones; fields it leaves alone stay as they are. The row's
     * write lock is taken first (PostgreSQL: a row lock; SQLite: the write transaction), so two
     * admins saving at once cannot both read the old document and lose one change.
     */
    async update(
      key: string,
      change: (row: { name: string; settings: Record<string, unknown> }) => { name: string; settings: Record<string, unknown> },
    ): Promise<Site> {
      const site = await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('sites')
          .set((eb) => ({ name: eb.ref('name') }))
          .where('key', '=', key)
          .execute();
        const row = await tx.selectFrom('sites').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
        const next = change({ name: row.name, settings: JSON.parse(row.settings) as Record<string, unknown> });
        await tx
          .updateTable('sites')
          .set({ name: next.name, settings: JSON.stringify(next.settings) })
          .where('key', '=', key)
          .execute();
        return { key: row.key, name: next.name, secret: row.secret, settings: next.settings as SiteSettings };
      });
      announce(key);
      return site;
    },
    /** The keys of every site. */
    async keys(): Promise<string[]> {
      return (await db.selectFrom('sites').select('key').execute()).map((r) => r.key);
    },
  };
}

/** Whether a page of this origin may use the site: any origin when the site lists none. */
export function originAllowed(site: Site, origin: string | undefined): boolean {
  const allowed = site.settings.allowedOrigins;
  return !allowed?.length || (origin !== undefined && allowed.includes(origin));
}

export type OriginRefusals = (site: Site, origin: string | undefined, where: 'widget config' | 'socket' | 'beacon') => void;

/**
 * Logs a refused origin once per site and origin an hour: a site owner who forgot an origin finds
 * it in the log without the log filling up with every page view.
 */
export function createOriginRefusals(logger: Logger, { everyMs = 3_600_000, now = Date.now } = {}): OriginRefusals {
  const last = new Map<string, number>();
  return (site, origin, where) => {
    const key = `${site.key} ${origin ?? ''}`;
    const t = now();
    const before = last.get(key);
    if (before !== undefined && t - before < everyMs) return;
    if (last.size >= 10_000) last.clear();
    last.set(key, t);
    logger.warn(
      { site: site.key, origin: origin ?? null, where },
      `refused origin ${origin ?? '(none)'} for site ${site.key}: not among its allowed origins (console: Settings → Website → Allowed origins; setting allowedOrigins)`,
    );
  };
}

/** The settings the widget may see (never the secret). */
export function publicSiteConfig(site: Site): WidgetConfig {
  const s = site.settings;
  return {
    key: site.key,
    name: site.name,
    color: s.color ?? DEFAULT_WIDGET_COLOR,
    position: s.position ?? 'right',
    title: { de: s.title?.de ?? site.name, en: s.title?.en ?? site.name },
    greeting: {
      de: s.greeting?.de ?? 'Hallo! Wie können wir helfen?',
      en: s.greeting?.en ?? 'Hi! How can we help?',
    },
    botName: s.botName ?? 'Servus Bot',
    botAvatarUrl: s.botAvatarUrl ?? null,
    agentAvatarUrl: s.agentAvatarUrl ?? null,
    defaultLang: s.defaultLang ?? 'de',
    preChatForm: s.preChatForm ?? { enabled: false, fields: [] },
    ratings: s.ratings ?? { nps: false, ces: false },
    /** Only the offsets set (the loader applies them; absent ones are 20 px). */
    launcherOffset: s.launcherOffset ?? {},
    hours: hoursNow(site),
    /** Always an array: the widget shows at most one of them per visit. */
    proactive: widgetRulesOf(s),
    ...(s.privacy?.notice || s.privacy?.noticeUrl
      ? { privacyNotice: { ...s.privacy.notice, ...(s.privacy.noticeUrl ? { url: s.privacy.noticeUrl } : {}) } }
      : {}),
  };
}

/** Whether the site's team is open now, and if not, when it opens again (null: no hours set or none ahead). */
export function hoursNow(site: Site, at = Date.now()): { open: boolean; opensAt: number | null; timeZone: string | null } {
  const hours = site.settings.businessHours;
  if (!hours) return { open: true, opensAt: null, timeZone: null };
  const open = isOpen(hours, at);
  return { open, opensAt: open ? null : nextOpening(hours, at), timeZone: hours.timeZone };
}

/** When the site's team next opens or closes (null: no business hours, or they never change). */
export function nextHoursChange(site: Site, at = Date.now()): number | null {
  const hours = site.settings.businessHours;
  return hours ? nextChange(hours, at) : null;
}
