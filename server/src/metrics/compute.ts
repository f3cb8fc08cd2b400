// Service metrics computed from the stored log: every figure comes from conversation rows and
// their events, so it can be recomputed for any period and checked by hand (docs/metrics.md).

import type { MetricsSummary as Summary, MetricStats as Stats, Histogram, Distributions, GroupBy } from '@servus/shared';

export type { Summary, Stats, Histogram, Distributions, GroupBy };

export interface MetricEvent {
  seq: number;
  kind: 'message' | 'note' | 'status' | 'rating' | 'system';
  authorType: 'visitor' | 'bot' | 'agent' | 'system';
  authorId: string | null;
  at: number;
  /** Parsed `data` of the event: for status events `change`, `reason`; for ratings `rating`. */
  data: {
    change?: string;
    reason?: string | null;
    assignee?: { id: string } | null;
    rating?: { csat?: number; nps?: number; ces?: number };
    /** The bot's reply to a visitor's "did this answer your question?". */
    feedback?: { helpful?: boolean };
  } | null;
}

export interface MetricConversation {
  id: string;
  siteKey: string;
  lang: string | null;
  createdAt: number;
  /** The proactive rule whose greeting led to this conversation (docs/proactive.md). */
  proactiveRuleId?: string | null;
  events: MetricEvent[];
}

export interface ServiceLevel {
  /** First human response within this many seconds counts as met. */
  firstResponseSeconds: number;
  /** Per-site targets (site settings `serviceLevel`), which take precedence over the default above. */
  bySite?: Record<string, number>;
}

/** What one conversation contributes, derived from its log. */
export interface ConversationFacts {
  id: string;
  siteKey: string;
  lang: string | null;
  /** Agent who handled it (the last one assigned). */
  agentId: string | null;
  firstVisitorAt: number | null;
  firstReplyAt: number | null;
  handoffAt: number | null;
  handoffReason: string | null;
  firstAssignedAt: number | null;
  firstHumanReplyAt: number | null;
  resolvedAt: number | null;
  /** Reopened within the window after its first resolution. */
  reopenedSoon: boolean;
  rating: { csat?: number; nps?: number; ces?: number } | null;
  proactiveRuleId: string | null;
  /** The visitor's answers to "did this answer your question?" under bot answers. */
  botFeedback: { yes: number; no: number };
}

const DAY = 86_400_000;

export function conversationFacts(conv: MetricConversation, reopenWindowMs = 7 * DAY): ConversationFacts {
  const facts: ConversationFacts = {
    id: conv.id,
    siteKey: conv.siteKey,
    lang: conv.lang,
    agentId: null,
    firstVisitorAt: null,
    firstReplyAt: null,
    handoffAt: null,
    handoffReason: null,
    firstAssignedAt: null,
    firstHumanReplyAt: null,
    resolvedAt: null,
    reopenedSoon: false,
    rating: null,
    proactiveRuleId: conv.proactiveRuleId ?? null,
    botFeedback: { yes: 0, no: 0 },
  };
  const events = [...conv.events].sort((a, b) => a.seq - b.seq);
  for (const e of events) {
    if (e.kind === 'message') {
      if (e.authorType === 'visitor') facts.firstVisitorAt ??= e.at;
      else if ((e.authorType === 'bot' || e.authorType === 'agent') && facts.firstVisitorAt !== null) facts.firstReplyAt ??= e.at;
      if (e.authorType === 'agent' && facts.handoffAt !== null) facts.firstHumanReplyAt ??= e.at;
      const helpful = e.authorType === 'bot' ? e.data?.feedback?.helpful : undefined;
      if (helpful !== undefined) facts.botFeedback[helpful ? 'yes' : 'no'] += 1;
    } else if (e.kind === 'status') {
      const change = e.data?.change;
      if (change === 'handoff' || (change === 'assigned' && facts.handoffAt === null)) {
        if (facts.handoffAt === null) {
          facts.handoffAt = e.at;
          facts.handoffReason = e.data?.reason ?? (change === 'assigned' ? 'agent_takeover' : null);
        }
      }
      if (change === 'assigned' || change === 'transferred') {
        facts.firstAssignedAt ??= e.at;
        facts.agentId = e.data?.assignee?.id ?? facts.agentId;
      }
      if (change === 'resolved') facts.resolvedAt ??= e.at;
      if (change === 'reopened' && facts.resolvedAt !== null && e.at - facts.resolvedAt <= reopenWindowMs) facts.reopenedSoon = true;
    } else if (e.kind === 'rating' && e.data?.rating) {
      facts.rating = { ...(facts.rating ?? {}), ...e.data.rating };
    }
  }
  return facts;
}

function stats(values: number[]): Stats {
  if (!values.length) return { count: 0, average: null, median: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    average: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    median: round(at(0.5)),
    p90: round(at(0.9)),
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const ratio = (a: number, b: number) => (b ? round(a / b) : null);
const seconds = (from: number | null, to: number | null) => (from !== null && to !== null && to >= from ? (to - from) / 1000 : null);

export function summarize(all: ConversationFacts[], serviceLevel?: ServiceLevel): Summary {
  const engaged = all.filter((f) => f.firstVisitorAt !== null);
  const handedOff = all.filter((f) => f.handoffAt !== null);
  const resolved = all.filter((f) => f.resolvedAt !== null);
  const reasons: Record<string, number> = {};
  for (const f of handedOff) reasons[f.handoffReason ?? 'unknown'] = (reasons[f.handoffReason ?? 'unknown'] ?? 0) + 1;
  const badlyRated = (f: ConversationFacts) => f.rating?.csat !== undefined && f.rating.csat <= 2;
  const contained = engaged.filter((f) => f.handoffAt === null && !badlyRated(f));
  // Confirmed by the visitor: they said a bot answer answered their question, and no person was needed.
  const confirmed = engaged.filter((f) => f.handoffAt === null && f.botFeedback.yes > 0);
  const csats = all.map((f) => f.rating?.csat).filter((v): v is number => v !== undefined);
  const npss = all.map((f) => f.rating?.nps).filter((v): v is number => v !== undefined);
  const cess = all.map((f) => f.rating?.ces).filter((v): v is number => v !== undefined);
  const promoters = npss.filter((n) => n >= 9).length;
  const detractors = npss.filter((n) => n <= 6).length;
  const human = handedOff.map((f) => seconds(f.handoffAt, f.firstHumanReplyAt)).filter((v): v is number => v !== null);
  return {
    conversations: all.length,
    engaged: engaged.length,
    handoffs: handedOff.length,
    handoffRate: ratio(handedOff.length, engaged.length),
    handoffReasons: reasons,
    botContainment: ratio(contained.length, engaged.length),
    botFeedback: {
      yes: all.reduce((n, f) => n + f.botFeedback.yes, 0),
      no: all.reduce((n, f) => n + f.botFeedback.no, 0),
    },
    botConfirmedResolution: ratio(confirmed.length, engaged.length),
    resolved: resolved.length,
    resolutionRate: ratio(resolved.length, all.length),
    firstContactResolution: ratio(resolved.filter((f) => !f.reopenedSoon).length, resolved.length),
    firstResponseSeconds: stats(engaged.map((f) => seconds(f.firstVisitorAt, f.firstReplyAt)).filter((v): v is number => v !== null)),
    firstHumanResponseSeconds: stats(human),
    waitSeconds: stats(handedOff.map((f) => seconds(f.handoffAt, f.firstAssignedAt)).filter((v): v is number => v !== null)),
    handlingSeconds: stats(resolved.map((f) => seconds(f.firstAssignedAt, f.resolvedAt)).filter((v): v is number => v !== null)),
    csat: {
      count: csats.length,
      average: csats.length ? round(csats.reduce((a, b) => a + b, 0) / csats.length) : null,
      satisfiedShare: ratio(csats.filter((c) => c >= 4).length, csats.length),
    },
    nps: {
      count: npss.length,
      score: npss.length ? Math.round(((promoters - detractors) / npss.length) * 100) : null,
      promoters,
      passives: npss.length - promoters - detractors,
      detractors,
    },
    ces: { count: cess.length, average: cess.length ? round(cess.reduce((a, b) => a + b, 0) / cess.length) : null },
    serviceLevel: serviceLevel ? serviceLevelOf(handedOff, serviceLevel) : null,
  };
}

/** Share of human first responses within their site's target; the target of a site without one is the default. */
function serviceLevelOf(handedOff: ConversationFacts[], level: ServiceLevel): NonNullable<Summary['serviceLevel']> {
  const targetOf = (site: string) => level.bySite?.[site] ?? level.firstResponseSeconds;
  const targets: Record<string, number> = {};
  let measured = 0;
  let met = 0;
  for (const f of handedOff) {
    const s = seconds(f.handoffAt, f.firstHumanReplyAt);
    if (s === null) continue;
    const target = targetOf(f.siteKey);
    targets[f.siteKey] = target;
    measured += 1;
    if (s <= target) met += 1;
  }
  const distinct = new Set(Object.values(targets));
  const target = distinct.size === 1 ? [...distinct][0]! : distinct.size === 0 ? level.firstResponseSeconds : null;
  return { target, targets, measured, met, share: ratio(met, measured) };
}

/** Upper bounds (seconds) of the histogram buckets, the same as Prometheus' `servus_*_seconds`; one more bucket holds the rest. */
export const SECONDS_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600] as const;

function histogram(values: number[], bounds: readonly number[] = SECONDS_BUCKETS): Histogram {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) {
    const i = bounds.findIndex((b) => v <= b);
    counts[i === -1 ? bounds.length : i]! += 1;
  }
  return { bounds: [...bounds], counts };
}

function scoreCounts(values: (number | undefined)[], min: number, max: number): number[] {
  const counts = new Array<number>(max - min + 1).fill(0);
  for (const v of values) if (v !== undefined && Number.isInteger(v) && v >= min && v <= max) counts[v - min]! += 1;
  return counts;
}

/** The shapes behind the averages: time histograms and rating counts (the dashboard's distribution charts). */
export function distributions(all: ConversationFacts[]): Distributions {
  const engaged = all.filter((f) => f.firstVisitorAt !== null);
  const handedOff = all.filter((f) => f.handoffAt !== null);
  const resolved = all.filter((f) => f.resolvedAt !== null);
  const times = (list: ConversationFacts[], from: (f: ConversationFacts) => number | null, to: (f: ConversationFacts) => number | null) =>
    list.map((f) => seconds(from(f), to(f))).filter((v): v is number => v !== null);
  return {
    firstResponseSeconds: histogram(
      times(
        engaged,
        (f) => f.firstVisitorAt,
        (f) => f.firstReplyAt,
      ),
    ),
    firstHumanResponseSeconds: histogram(
      times(
        handedOff,
        (f) => f.handoffAt,
        (f) => f.firstHumanReplyAt,
      ),
    ),
    waitSeconds: histogram(
      times(
        handedOff,
        (f) => f.handoffAt,
        (f) => f.firstAssignedAt,
      ),
    ),
    handlingSeconds: histogram(
      times(
        resolved,
        (f) => f.firstAssignedAt,
        (f) => f.resolvedAt,
      ),
    ),
    csat: scoreCounts(
      all.map((f) => f.rating?.csat),
      1,
      5,
    ),
    nps: scoreCounts(
      all.map((f) => f.rating?.nps),
      0,
      10,
    ),
    ces: scoreCounts(
      all.map((f) => f.rating?.ces),
      1,
      7,
    ),
  };
}

/** Splits the facts into groups (by the conversation's creation day or hour in a time zone, its site, agent or language). */
export function groupFacts(
  all: ConversationFacts[],
  by: GroupBy,
  createdAt: Map<string, number>,
  timeZone = 'UTC',
): Map<string, ConversationFacts[]> {
  const fmt =
    by === 'day' || by === 'hour'
      ? new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })
      : null;
  const groups = new Map<string, ConversationFacts[]>();
  // formatToParts is slow; every time zone's offset is a multiple of 15 minutes, so the local day and
  // hour are the same throughout a quarter hour of UTC, and one call per quarter hour is enough.
  const QUARTER_HOUR = 900_000;
  const localKeys = new Map<number, string>();
  const localKey = (at: number) => {
    const quarter = Math.floor(at / QUARTER_HOUR);
    let key = localKeys.get(quarter);
    if (key === undefined) {
      const parts = Object.fromEntries(fmt!.formatToParts(quarter * QUARTER_HOUR).map((p) => [p.type, p.value]));
      key = by === 'day' ? `${parts.year}-${parts.month}-${parts.day}` : `${parts.hour}`;
      localKeys.set(quarter, key);
    }
    return key;
  };
  for (const f of all) {
    let key: string;
    if (fmt) key = localKey(createdAt.get(f.id) ?? 0);
    else key = (by === 'site' ? f.siteKey : by === 'agent' ? f.agentId : f.lang) ?? 'none';
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}
