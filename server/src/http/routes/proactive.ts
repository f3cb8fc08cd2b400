// HTTP for proactive messages: the widget's beacon (`POST /api/widget/proactive`, no auth, so
// small, strict and rate-limited) and the admins' rule list per site (`/api/sites/:key/proactive`).
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ErrorCode, type ProactiveResultsResponse, type ProactiveRulesResponse } from '@servus/shared';
import type { Database } from '../../storage/schema.js';
import { originAllowed, type OriginRefusals, type SiteDirectory } from '../../sites/sites.js';
import type { ServerMetrics } from '../../metrics/prometheus.js';
import { ServusError, notFound } from '../../core/errors.js';
import { createRateLimiter } from '../../core/rate-limit.js';
import {
  countProactiveEvent,
  loadProactiveConversations,
  loadProactiveCounts,
  proactiveRulesSchema,
  proactiveStats,
  ruleIdSchema,
  rulesOf,
} from '../../proactive/index.js';
import { agentSiteKey, clientIp, parseJson, parseQuery, requireAdmin, type Env } from '../toolkit.js';

export interface ProactiveApiOptions {
  db: Kysely<Database>;
  sites: SiteDirectory;
  metrics?: ServerMetrics | undefined;
  /** Take the client IP from X-Forwarded-For (only behind a proxy you control). */
  trustProxy?: boolean;
  /** Logs a refused page origin (once per site and origin an hour). */
  originRefused?: OriginRefusals;
  /** Largest beacon body: `{"site":…,"ruleId":…,"event":"opened"}` needs well under 200 bytes. */
  maxBeaconBytes?: number;
  /** Beacons one client IP may send per window; a visit sends at most two per rule. */
  beaconsPerWindow?: number;
  beaconWindowMs?: number;
  now?: () => number;
}

export const beaconSchema = z
  .object({
    site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    ruleId: ruleIdSchema,
    event: z.enum(['shown', 'opened']),
  })
  .strict();

/** How often the per-IP windows are swept, in beacons: keeps the limiter's map small without a timer. */
const SWEEP_EVERY = 1_000;

/** Mounted at /api/widget: the beacon, public. */
export function beaconRoutes({
  sites,
  db,
  metrics,
  trustProxy = false,
  originRefused,
  maxBeaconBytes = 512,
  beaconsPerWindow = 30,
  beaconWindowMs = 60_000,
  now = Date.now,
}: ProactiveApiOptions) {
  const app = new Hono<Env>();
  const perIp = createRateLimiter({ limit: beaconsPerWindow, windowMs: beaconWindowMs, now });
  let sinceSweep = 0;
  const cors = (c: Context<Env>) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'no-store');
  };

  // The widget sends with navigator.sendBeacon (text/plain, no preflight); fetch with JSON preflights.
  app.options('/proactive', (c) => {
    cors(c);
    c.header('Access-Control-Allow-Headers', 'content-type');
    c.header('Access-Control-Allow-Methods', 'POST');
    c.header('Access-Control-Max-Age', '86400');
    return c.body(null, 204);
  });
  app.post(
    '/proactive',
    bodyLimit({
      maxSize: maxBeaconBytes,
      onError: (c) => {
        cors(c as Context<Env>);
        return c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A beacon has at most ${maxBeaconBytes} bytes.` } }, 413);
      },
    }),
    async (c) => {
      cors(c);
      if (++sinceSweep >= SWEEP_EVERY) {
        sinceSweep = 0;
        perIp.sweep();
      }
      if (!perIp.hit(clientIp(c, { trustProxy }))) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many beacons; wait a moment.');
      const { site: key, ruleId, event } = await parseJson(c, beaconSchema);
      const site = await sites.get(key);
      if (!site) throw notFound('site');
      const origin = c.req.header('origin');
      if (!originAllowed(site, origin)) {
        originRefused?.(site, origin, 'beacon');
        throw new ServusError(ErrorCode.ORIGIN_NOT_ALLOWED, 'This origin may not use this site.');
      }
      if (!rulesOf(site.settings).some((r) => r.id === ruleId)) throw notFound('rule');
      await countProactiveEvent(db, { siteKey: site.key, ruleId, event, at: now() });
      metrics?.proactiveEvents.inc({ site: site.key, event });
      return c.body(null, 204);
    },
  );

  return app;
}

/** The longest period the editor's results cover, in days. */
const MAX_RESULT_DAYS = 366;
const DAY = 86_400_000;

/**
 * Mounted under /api/sites: the rules of a site and each rule's results; every agent of the site
 * may read them, admins set them.
 */
export function proactiveRuleRoutes({ sites, db, now = Date.now }: { sites: SiteDirectory; db: Kysely<Database>; now?: () => number }) {
  const app = new Hono<Env>();
  const agentSite = async (c: Context<Env>) => {
    const site = await sites.get(agentSiteKey(c));
    if (!site) throw notFound('site');
    return site;
  };
  app.get('/:key/proactive', async (c) => c.json({ rules: rulesOf((await agentSite(c)).settings) } satisfies ProactiveRulesResponse));
  // The editor's figures: shown and opened (hourly counters) and conversations started, per rule
  // of the site (zeros included) and per removed rule with figures in the period.
  app.get('/:key/proactive/results', async (c) => {
    const site = await agentSite(c);
    const { days } = parseQuery(c, z.object({ days: z.coerce.number().int().min(1).max(MAX_RESULT_DAYS).default(30) }));
    const to = now();
    const from = to - days * DAY;
    const results = proactiveStats(
      rulesOf(site.settings).map((rule) => ({ siteKey: site.key, rule })),
      await loadProactiveCounts(db, [site.key], from, to),
      await loadProactiveConversations(db, site.key, from, to),
    );
    return c.json({ from, to, results } satisfies ProactiveResultsResponse);
  });
  app.put('/:key/proactive', async (c) => {
    requireAdmin(c);
    const site = await agentSite(c);
    const { rules } = await parseJson(c, z.object({ rules: proactiveRulesSchema }).strict());
    // Other settings stay as they are.
    await sites.update(site.key, ({ name, settings }) => ({ name, settings: { ...settings, proactive: rules } }));
    return c.json({ rules } satisfies ProactiveRulesResponse);
  });
  return app;
}
