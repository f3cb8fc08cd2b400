// Loads the conversations of a period (by creation time) with their events and summarises them.
import type { MetricsReport, MetricsGroup } from '@servus/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import {
  conversationFacts,
  distributions,
  groupFacts,
  summarize,
  type GroupBy,
  type MetricConversation,
  type MetricEvent,
  type ServiceLevel,
  type Summary,
} from './compute.js';
import type { SiteSettings } from '../sites/sites.js';
import { rulesOf } from '../proactive/rules.js';
import { loadProactiveCounts } from '../proactive/counts.js';
import { proactiveStats } from '../proactive/stats.js';

/** Service-level target of a site without its own `serviceLevel.firstResponseSeconds`. */
export const DEFAULT_FIRST_RESPONSE_TARGET_SECONDS = 60;

export interface MetricsQuery {
  siteKeys: string[];
  from: number;
  to: number;
  /** One grouping, or several (computed from one read of the log); `groups` holds the first. */
  groupBy?: GroupBy | GroupBy[] | undefined;
  /** Day and hour groups are local to it; default: the site's business-hours zone when all chosen sites share one, else UTC. */
  timeZone?: string | undefined;
  /** One target for every site; default: each site's own target (settings), else 60 s. */
  serviceLevel?: ServiceLevel | undefined;
}

export type { MetricsReport, MetricsGroup };

/** Conversations per query: a period with more is summarised from its newest ones and says so. */
const MAX_CONVERSATIONS = 50_000;

export async function loadMetrics(db: Kysely<Database>, q: MetricsQuery): Promise<MetricsReport> {
  const siteRows = q.siteKeys.length
    ? await db.selectFrom('sites').select(['key', 'name', 'settings']).where('key', 'in', q.siteKeys).orderBy('key').execute()
    : [];
  const sites = siteRows.map((r) => {
    let settings: SiteSettings & { proactive?: unknown } = {};
    try {
      settings = JSON.parse(r.settings) as SiteSettings;
    } catch {
      /* stored by us; an unreadable one counts as empty */
    }
    return { key: r.key, name: r.name, settings };
  });
  const zones = new Set(sites.map((s) => s.settings.businessHours?.timeZone ?? 'UTC'));
  const timeZone = q.timeZone ?? (zones.size === 1 ? [...zones][0]! : 'UTC');
  const serviceLevel: ServiceLevel = q.serviceLevel ?? {
    firstResponseSeconds: DEFAULT_FIRST_RESPONSE_TARGET_SECONDS,
    bySite: Object.fromEntries(
      sites.flatMap((s) => (s.settings.serviceLevel?.firstResponseSeconds ? [[s.key, s.settings.serviceLevel.firstResponseSeconds]] : [])),
    ),
  };
  if (!q.siteKeys.length)
    return {
      from: q.from,
      to: q.to,
      timeZone,
      summary: summarize([], serviceLevel),
      groups: [],
      distributions: distributions([]),
      proactive: [],
      truncated: false,
    };
  const convs = await db
    .selectFrom('conversations')
    .select(['id', 'site_key', 'lang', 'created_at', 'proactive_rule_id'])
    .where('site_key', 'in', q.siteKeys)
    .where('created_at', '>=', q.from)
    .where('created_at', '<', q.to)
    .orderBy('created_at', 'desc')
    .limit(MAX_CONVERSATIONS + 1)
    .execute();
  const truncated = convs.length > MAX_CONVERSATIONS;
  const byId = new Map<string, MetricConversation>();
  for (const c of convs.slice(0, MAX_CONVERSATIONS))
    byId.set(c.id, {
      id: c.id,
      siteKey: c.site_key,
      lang: c.lang,
      createdAt: Number(c.created_at),
      proactiveRuleId: c.proactive_rule_id,
      events: [],
    });
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(['conversation_id', 'seq', 'kind', 'author_type', 'author_id', 'created_at', 'data'])
      .where('conversation_id', 'in', ids.slice(i, i + 500))
      .where('kind', 'in', ['message', 'status', 'rating'])
      .execute();
    for (const r of rows) {
      let data: MetricEvent['data'] = null;
      if (r.data) {
        try {
          data = JSON.parse(r.data) as MetricEvent['data'];
        } catch {
          data = null;
        }
      }
      byId
        .get(r.conversation_id)!
        .events.push({ seq: r.seq, kind: r.kind, authorType: r.author_type, authorId: r.author_id, at: r.created_at, data });
    }
  }
  const facts = [...byId.values()].map((c) => conversationFacts(c));
  const created = new Map([...byId.values()].map((c) => [c.id, c.createdAt]));
  const groupBys = q.groupBy === undefined ? [] : [...new Set(Array.isArray(q.groupBy) ? q.groupBy : [q.groupBy])];
  const labels: Partial<Record<GroupBy, Map<string, string>>> = {};
  if (groupBys.includes('site')) labels.site = new Map(sites.map((s) => [s.key, s.name]));
  if (groupBys.includes('agent')) {
    labels.agent = new Map();
    const ids = [...new Set(facts.map((f) => f.agentId).filter((id): id is string => id !== null))];
    if (ids.length)
      for (const a of await db.selectFrom('agents').select(['id', 'name']).where('id', 'in', ids).execute()) labels.agent.set(a.id, a.name);
  }
  const groupings: Partial<Record<GroupBy, MetricsGroup[]>> = {};
  for (const by of groupBys) {
    groupings[by] = [...groupFacts(facts, by, created, timeZone).entries()].map(([key, list]) => {
      const label = labels[by]?.get(key);
      return { key, ...(label !== undefined ? { label } : {}), summary: summarize(list, serviceLevel) };
    });
  }
  const groups = groupBys.length ? groupings[groupBys[0]!]! : [];
  const proactive = proactiveStats(
    sites.flatMap((s) => rulesOf(s.settings).map((rule) => ({ siteKey: s.key, rule }))),
    await loadProactiveCounts(db, q.siteKeys, q.from, q.to),
    facts,
  );
  return {
    from: q.from,
    to: q.to,
    timeZone,
    summary: summarize(facts, serviceLevel),
    groups,
    ...(groupBys.length ? { groupings } : {}),
    distributions: distributions(facts),
    proactive,
    truncated,
  };
}

/** One row per group with the figures a spreadsheet wants. */
export function toCsv(report: MetricsReport): string {
  const header = [
    'group',
    'conversations',
    'engaged',
    'handoffs',
    'handoff_rate',
    'bot_containment',
    'resolved',
    'resolution_rate',
    'first_contact_resolution',
    'first_response_median_s',
    'first_response_p90_s',
    'first_human_response_median_s',
    'first_human_response_p90_s',
    'wait_median_s',
    'wait_p90_s',
    'handling_median_s',
    'handling_p90_s',
    'csat_average',
    'csat_satisfied_share',
    'nps',
    'ces_average',
    'service_level_share',
    'label',
  ];
  const row = (key: string, s: Summary, label = '') =>
    [
      key,
      s.conversations,
      s.engaged,
      s.handoffs,
      s.handoffRate,
      s.botContainment,
      s.resolved,
      s.resolutionRate,
      s.firstContactResolution,
      s.firstResponseSeconds.median,
      s.firstResponseSeconds.p90,
      s.firstHumanResponseSeconds.median,
      s.firstHumanResponseSeconds.p90,
      s.waitSeconds.median,
      s.waitSeconds.p90,
      s.handlingSeconds.median,
      s.handlingSeconds.p90,
      s.csat.average,
      s.csat.satisfiedShare,
      s.nps.score,
      s.ces.average,
      s.serviceLevel?.share ?? null,
      label,
    ]
      // Strings are quoted, and a leading = + - @ is defused so a spreadsheet never runs a name as a formula.
      .map((v) => (v === null ? '' : typeof v === 'string' ? `"${v.replace(/^[=+\-@]/, "'$&").replace(/"/g, '""')}"` : String(v)))
      .join(',');
  return [header.join(','), row('all', report.summary), ...report.groups.map((g) => row(g.key, g.summary, g.label))].join('\n') + '\n';
}
