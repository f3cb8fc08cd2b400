// HTTP for proactive messages: the widget's beacon (`POST /api/widget/proactive`, no auth, so
// small, strict and rate-limited) and the admins' rule list per site (`/api/sites/:key/proactive`).
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { HttpBindings } from '@hono/node-server';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ErrorCode, type ProactiveRulesResponse } from '@servus/shared';
import type { Database } from '../storage/schema.js';
import type { SiteDirectory } from '../sites.js';
import type { AgentEnv } from '../http/agent-api.js';
import type { ServerMetrics } from '../metrics/prometheus.js';
import { ServusError, notFound } from '../errors.js';
import { createRateLimiter } from '../realtime/rate-limit.js';
import { proactiveRulesSchema, ruleIdSchema, rulesOf } from './rules.js';
import { countProactiveEvent } from './counts.js';

export type ProactiveEnv = { Bindings: HttpBindings; Variables: AgentEnv['Variables'] };

export interface ProactiveApiOptions {
  db: Kysely<Database>;
  sites: SiteDirectory;
  metrics?: ServerMetrics | undefined;
  /** Take the client IP from X-Forwarded-For (only behind a proxy you control). */
  trustProxy?: boolean;
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

export function mountProactiveApi(
  app: Hono<ProactiveEnv>,
  {
    db,
    sites,
    metrics,
    trustProxy = false,
    maxBeaconBytes = 512,
    beaconsPerWindow = 30,
    beaconWindowMs = 60_000,
    now = Date.now,
  }: ProactiveApiOptions,
): void {
  const perIp = createRateLimiter({ limit: beaconsPerWindow, windowMs: beaconWindowMs, now });
  let sinceSweep = 0;
  const clientIp = (c: Context<ProactiveEnv>) => {
    if (trustProxy) {
      const first = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (first) return first;
    }
    return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
  };
  const cors = (c: Context<ProactiveEnv>) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'no-store');
  };

  // The widget sends with navigator.sendBeacon (text/plain, no preflight); fetch with JSON preflights.
  app.options('/api/widget/proactive', (c) => {
    cors(c);
    c.header('Access-Control-Allow-Headers', 'content-type');
    c.header('Access-Control-Allow-Methods', 'POST');
    c.header('Access-Control-Max-Age', '86400');
    return c.body(null, 204);
  });
  app.post(
    '/api/widget/proactive',
    bodyLimit({
      maxSize: maxBeaconBytes,
      onError: (c) => {
        cors(c as Context<ProactiveEnv>);
        return c.json({ error: { code: ErrorCode.TOO_LARGE, message: `A beacon has at most ${maxBeaconBytes} bytes.` } }, 413);
      },
    }),
    async (c) => {
      cors(c);
      if (++sinceSweep >= SWEEP_EVERY) {
        sinceSweep = 0;
        perIp.sweep();
      }
      if (!perIp.hit(clientIp(c))) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many beacons; wait a moment.');
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new ServusError(ErrorCode.BAD_JSON, 'The body must be JSON.');
      }
      const parsed = beaconSchema.safeParse(body);
      if (!parsed.success) {
        const path = parsed.error.issues[0]?.path.join('.') ?? '';
        throw new ServusError(ErrorCode.BAD_FRAME, `${path || 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { path });
      }
      const { site: key, ruleId, event } = parsed.data;
      const site = await sites.get(key);
      if (!site) throw notFound('site');
      const allowed = site.settings.allowedOrigins;
      const origin = c.req.header('origin');
      if (allowed?.length && !(origin && allowed.includes(origin)))
        throw new ServusError(ErrorCode.FORBIDDEN, 'This origin may not use this site.');
      if (!rulesOf(site.settings).some((r) => r.id === ruleId)) throw notFound('rule');
      await countProactiveEvent(db, { siteKey: site.key, ruleId, event, at: now() });
      metrics?.proactiveEvents.inc({ site: site.key, event });
      return c.body(null, 204);
    },
  );

  // ---- the rules of a site: every agent of the site may read them, admins set them
  const agentSite = async (c: Context<ProactiveEnv>) => {
    const key = c.req.param('key') ?? '';
    const site = c.get('agent').siteKeys.includes(key) ? await sites.get(key) : null;
    if (!site) throw notFound('site');
    return site;
  };
  app.get('/api/sites/:key/proactive', async (c) =>
    c.json({ rules: rulesOf((await agentSite(c)).settings) } satisfies ProactiveRulesResponse),
  );
  app.put('/api/sites/:key/proactive', async (c) => {
    if (c.get('agent').role !== 'admin') throw new ServusError(ErrorCode.FORBIDDEN, 'Only admins may do this.');
    const site = await agentSite(c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ServusError(ErrorCode.BAD_JSON, 'The body must be JSON.');
    }
    const parsed = z.object({ rules: proactiveRulesSchema }).strict().safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') ?? '';
      throw new ServusError(ErrorCode.BAD_FRAME, `${path || 'body'}: ${issue?.message ?? 'invalid'}`, { path });
    }
    const rules = parsed.data.rules;
    // Other settings stay as they are.
    await sites.update(site.key, ({ name, settings }) => ({ name, settings: { ...settings, proactive: rules } }));
    return c.json({ rules } satisfies ProactiveRulesResponse);
  });
}
