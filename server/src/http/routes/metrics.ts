// /api/metrics: the service metrics of the agent's sites, JSON or CSV (docs/metrics.md). And
// Prometheus' /metrics on the public port, only with METRICS_TOKEN: it names every site and counts
// its messages and queue.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode } from '@servus/shared';
import { storableString } from '@servus/shared/schemas';
import type { Database } from '../../storage/schema.js';
import { loadMetrics, toCsv } from '../../metrics/query.js';
import type { ServerMetrics } from '../../metrics/prometheus.js';
import { ServusError, notFound } from '../../core/errors.js';
import { bearerMatches } from '../../core/ids.js';
import { parseQuery, type Env } from '../toolkit.js';

const metricsQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  site: storableString().max(64).optional(),
  // One grouping, or several comma-separated (one read of the log; `groups` holds the first).
  groupBy: z
    .string()
    .max(40)
    .transform((v) => v.split(','))
    .pipe(
      z
        .array(z.enum(['day', 'hour', 'site', 'agent', 'lang']))
        .min(1)
        .max(5),
    )
    .optional(),
  timeZone: storableString().max(64).optional(),
  // Without it, each site's own target (settings.serviceLevel) counts, else 60 s.
  slaSeconds: z.coerce.number().int().min(1).max(86_400).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

export function serviceMetricsRoutes({ db }: { db: Kysely<Database> }) {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const agent = c.get('agent');
    const f = parseQuery(c, metricsQuery);
    if (f.timeZone) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: f.timeZone });
      } catch {
        throw new ServusError(ErrorCode.BAD_FRAME, 'timeZone: unknown time zone', { path: 'timeZone' });
      }
    }
    const to = f.to ?? Date.now();
    const from = f.from ?? to - 30 * 86_400_000;
    const siteKeys = f.site ? agent.siteKeys.filter((k) => k === f.site) : agent.siteKeys;
    if (f.site && !siteKeys.length) throw notFound('site');
    const report = await loadMetrics(db, {
      siteKeys,
      from,
      to,
      groupBy: f.groupBy,
      timeZone: f.timeZone,
      serviceLevel: f.slaSeconds ? { firstResponseSeconds: f.slaSeconds } : undefined,
    });
    if (f.format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header(
        'Content-Disposition',
        `attachment; filename="servus-metrics-${new Date(from).toISOString().slice(0, 10)}-${new Date(to).toISOString().slice(0, 10)}.csv"`,
      );
      return c.body(toCsv(report));
    }
    return c.json(report);
  });
  return app;
}

export function prometheusRoutes({ metrics, token }: { metrics: ServerMetrics; token: string | undefined }) {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    if (!token) return c.notFound();
    if (!bearerMatches(c.req.header('authorization'), token)) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new ServusError(ErrorCode.UNAUTHORIZED, 'Send the metrics token as a bearer token.');
    }
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  return app;
}
