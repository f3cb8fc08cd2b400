// What the dashboard reads from `GET /api/metrics` (docs/metrics.md), the periods it asks for, and
// the one fetch (the console's api()) that loads a period: summary, distributions, proactive stats
// and five groupings.

import type {
  MetricStats as Stats,
  MetricsSummary as Summary,
  Histogram,
  ProactiveRuleStats,
  GroupBy as Grouping,
  MetricsGroup,
  MetricsReport,
  AgentSessionResponse,
} from '@servus/shared';
import { api } from '../api.js';

export type { Stats, Summary, Histogram, ProactiveRuleStats, Grouping, MetricsGroup, MetricsReport };

/** The groupings the dashboard asks for, in one request (the server reads the log once). */
export const DASHBOARD_GROUPINGS: readonly Grouping[] = ['day', 'hour', 'agent', 'lang', 'site'];

/** One loaded period: summary, distributions and proactive stats, and every grouping. */
export type DashboardData = MetricsReport & { groupings: Record<Grouping, MetricsGroup[]> };

export interface Period {
  /** Epoch ms, local midnight of the first day. */
  from: number;
  /** Epoch ms, local midnight after the last day (exclusive). */
  to: number;
  /** Local days, inclusive, as YYYY-MM-DD. */
  fromDate: string;
  toDate: string;
}

export const PRESETS = [7, 30, 90] as const;
export type Preset = (typeof PRESETS)[number];
/** A custom period spans at most this many days (a year and a day). */
export const MAX_CUSTOM_DAYS = 366;

const pad = (n: number) => String(n).padStart(2, '0');
export const dayKey = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());

/** The last `days` local days, today included. */
export function presetPeriod(days: number, now: Date = new Date()): Period {
  const today = midnight(now);
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  const end = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
  return { from: first.getTime(), to: end.getTime(), fromDate: dayKey(first), toDate: dayKey(today) };
}

/** A period from two date inputs (YYYY-MM-DD, both days included); null when empty, reversed or too long. */
export function customPeriod(fromDate: string, toDate: string): Period | null {
  const parse = (s: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return null;
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return dayKey(d) === s ? d : null;
  };
  const first = parse(fromDate);
  const last = parse(toDate);
  if (!first || !last || last < first) return null;
  const end = new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1);
  if (daysOf({ from: first.getTime(), to: end.getTime(), fromDate, toDate }).length > MAX_CUSTOM_DAYS) return null;
  return { from: first.getTime(), to: end.getTime(), fromDate, toDate };
}

/** Every local day of a period, so days without conversations still get a point. */
export function daysOf(period: Period): { key: string; start: number }[] {
  const days: { key: string; start: number }[] = [];
  const first = new Date(period.from);
  for (let i = 0; ; i++) {
    const d = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i);
    if (d.getTime() >= period.to || i > MAX_CUSTOM_DAYS) break;
    days.push({ key: dayKey(d), start: d.getTime() });
  }
  return days;
}

export interface MetricsParams {
  period: Period;
  site: string | null;
  timeZone: string;
}

/** The REST URL for a period; the CSV export is the same figures, one row per day. */
export function metricsUrl(p: MetricsParams, extra: { groupBy?: readonly Grouping[]; format?: 'csv' } = {}): string {
  const q = new URLSearchParams({ from: String(p.period.from), to: String(p.period.to), timeZone: p.timeZone });
  if (p.site) q.set('site', p.site);
  if (extra.groupBy?.length) q.set('groupBy', extra.groupBy.join(','));
  if (extra.format) q.set('format', extra.format);
  return `/api/metrics?${q.toString()}`;
}

export async function loadDashboard(p: MetricsParams, signal?: AbortSignal): Promise<DashboardData> {
  const report = await api<MetricsReport>(metricsUrl(p, { groupBy: DASHBOARD_GROUPINGS }), signal ? { signal } : {});
  const groupings = Object.fromEntries(DASHBOARD_GROUPINGS.map((g) => [g, report.groupings?.[g] ?? []])) as Record<
    Grouping,
    MetricsGroup[]
  >;
  return { ...report, groupings };
}

/** The sites the signed-in agent works for (the site filter). */
export async function loadSiteKeys(signal?: AbortSignal): Promise<string[]> {
  const me = await api<AgentSessionResponse>('/api/auth/me', signal ? { signal } : {});
  return me.agent.siteKeys;
}
