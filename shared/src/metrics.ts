// The metrics REST answer (`GET /api/metrics`, docs/metrics.md): computed by the server
// (server/src/metrics), read by the console's dashboard. Types only.

export type GroupBy = 'day' | 'hour' | 'site' | 'agent' | 'lang';

export interface Stats {
  count: number;
  average: number | null;
  median: number | null;
  p90: number | null;
}

export interface Summary {
  conversations: number;
  /** Conversations in which the visitor wrote at least once. */
  engaged: number;
  handoffs: number;
  handoffRate: number | null;
  handoffReasons: Record<string, number>;
  botContainment: number | null;
  /** Visitors' answers to "did this answer your question?" under bot answers. */
  botFeedback: { yes: number; no: number };
  /** Engaged conversations where the visitor confirmed a bot answer ("yes") and no person was involved ÷ engaged. */
  botConfirmedResolution: number | null;
  resolved: number;
  resolutionRate: number | null;
  firstContactResolution: number | null;
  firstResponseSeconds: Stats;
  firstHumanResponseSeconds: Stats;
  waitSeconds: Stats;
  handlingSeconds: Stats;
  csat: { count: number; average: number | null; satisfiedShare: number | null };
  nps: { count: number; score: number | null; promoters: number; passives: number; detractors: number };
  ces: { count: number; average: number | null };
  /**
   * Human first responses measured against each conversation's site target. `target` is the one
   * target all measured sites share, or null when they differ (then see `targets`).
   */
  serviceLevel: { target: number | null; targets: Record<string, number>; measured: number; met: number; share: number | null } | null;
}

export interface Histogram {
  /** `counts[i]` holds values ≤ `bounds[i]` (and > `bounds[i-1]`); the last count holds values above every bound. */
  bounds: number[];
  counts: number[];
}

export interface Distributions {
  firstResponseSeconds: Histogram;
  firstHumanResponseSeconds: Histogram;
  waitSeconds: Histogram;
  handlingSeconds: Histogram;
  /** Ratings per score: `csat[0]` counts 1s … `csat[4]` counts 5s; `nps[0..10]`; `ces[0]` counts 1s … `ces[6]` counts 7s. */
  csat: number[];
  nps: number[];
  ces: number[];
}

export interface ProactiveRuleStats {
  siteKey: string;
  ruleId: string;
  /** The rule as configured now; null when it has been removed since (its counts still count). */
  urlPattern: string | null;
  shown: number;
  opened: number;
  /** Conversations started by a visitor whose hello named this rule (`context.proactiveRuleId`). */
  conversations: number;
  /** opened ÷ shown */
  openRate: number | null;
  /** conversations ÷ shown */
  conversationRate: number | null;
}

export interface MetricsGroup {
  key: string;
  label?: string;
  summary: Summary;
}

export interface MetricsReport {
  from: number;
  to: number;
  timeZone: string;
  /** The period had more conversations than one answer summarises: the newest ones were used. */
  truncated: boolean;
  summary: Summary;
  /** The groups of the (first) grouping asked for; agent and site groups carry a name as `label`. */
  groups: MetricsGroup[];
  /** Every grouping asked for, by name (present when `groupBy` was given). */
  groupings?: Partial<Record<GroupBy, MetricsGroup[]>>;
  distributions: Distributions;
  proactive: ProactiveRuleStats[];
}
