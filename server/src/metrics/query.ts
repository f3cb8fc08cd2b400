// Loads the conversations of a period (by creation time) with their events and summarises them.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import {
  conversationFacts,
  groupFacts,
  summarize,
  type GroupBy,
  type MetricConversation,
  type MetricEvent,
  type ServiceLevel,
  type Summary,
} from './compute.js';

export interface MetricsQuery {
  siteKeys: string[];
  from: number;
  to: number;
  groupBy?: GroupBy | undefined;
  timeZone?: string | undefined;
  serviceLevel?: ServiceLevel | undefined;
}

export interface MetricsReport {
  from: number;
  to: number;
  summary: Summary;
  groups: { key: string; summary: Summary }[];
}

/** Conversations per query: a period with more is summarised from its newest ones and says so. */
const MAX_CONVERSATIONS = 50_000;

export async function loadMetrics(db: Kysely<Database>, q: MetricsQuery): Promise<MetricsReport & { truncated: boolean }> {
  if (!q.siteKeys.length) return { from: q.from, to: q.to, summary: summarize([]), groups: [], truncated: false };
  const convs = await db
    .selectFrom('conversations')
    .select(['id', 'site_key', 'lang', 'created_at'])
    .where('site_key', 'in', q.siteKeys)
    .where('created_at', '>=', q.from)
    .where('created_at', '<', q.to)
    .orderBy('created_at', 'desc')
    .limit(MAX_CONVERSATIONS + 1)
    .execute();
  const truncated = convs.length > MAX_CONVERSATIONS;
  const byId = new Map<string, MetricConversation>();
  for (const c of convs.slice(0, MAX_CONVERSATIONS))
    byId.set(c.id, { id: c.id, siteKey: c.site_key, lang: c.lang, createdAt: c.created_at, events: [] });
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
  const groups = q.groupBy
    ? [...groupFacts(facts, q.groupBy, created, q.timeZone).entries()].map(([key, list]) => ({
        key,
        summary: summarize(list, q.serviceLevel),
      }))
    : [];
  return { from: q.from, to: q.to, summary: summarize(facts, q.serviceLevel), groups, truncated };
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
    'first_human_response_median_s',
    'wait_median_s',
    'handling_median_s',
    'csat_average',
    'csat_satisfied_share',
    'nps',
    'ces_average',
    'service_level_share',
  ];
  const row = (key: string, s: Summary) =>
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
      s.firstHumanResponseSeconds.median,
      s.waitSeconds.median,
      s.handlingSeconds.median,
      s.csat.average,
      s.csat.satisfiedShare,
      s.nps.score,
      s.ces.average,
      s.serviceLevel?.share ?? null,
    ]
      .map((v) => (v === null ? '' : typeof v === 'string' ? `"${v.replace(/"/g, '""')}"` : String(v)))
      .join(',');
  return [header.join(','), row('all', report.summary), ...report.groups.map((g) => row(g.key, g.summary))].join('\n') + '\n';
}
