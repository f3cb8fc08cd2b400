// Per-rule results of proactive messages: shown, opened, conversations, and the rates between them.
import type { ProactiveRuleStats } from '@servus/shared';
import type { ProactiveRule } from './rules.js';
import type { ProactiveCount } from './counts.js';

export type { ProactiveRuleStats };

const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 1000) / 1000 : null);

/**
 * One row per configured rule (zeros included, so a new rule shows up at once) and per removed
 * rule that still has counts in the period; ordered by site, then most shown.
 */
export function proactiveStats(
  rules: { siteKey: string; rule: Pick<ProactiveRule, 'id' | 'urlPattern'> }[],
  counts: ProactiveCount[],
  /** One entry per conversation, or per rule with its `count`. */
  conversations: { siteKey: string; proactiveRuleId: string | null; count?: number }[],
): ProactiveRuleStats[] {
  const byKey = new Map<string, ProactiveRuleStats>();
  const entry = (siteKey: string, ruleId: string) => {
    const key = `${siteKey}\u0000${ruleId}`;
    let s = byKey.get(key);
    if (!s) {
      s = { siteKey, ruleId, urlPattern: null, shown: 0, opened: 0, conversations: 0, openRate: null, conversationRate: null };
      byKey.set(key, s);
    }
    return s;
  };
  for (const { siteKey, rule } of rules) entry(siteKey, rule.id).urlPattern = rule.urlPattern;
  for (const c of counts) {
    const s = entry(c.siteKey, c.ruleId);
    s.shown += c.shown;
    s.opened += c.opened;
  }
  // Only ids the site has (or had, with counts): the visitor context is visitor input, and a made-up id must not add a row.
  for (const c of conversations) {
    const s = c.proactiveRuleId ? byKey.get(`${c.siteKey}\u0000${c.proactiveRuleId}`) : undefined;
    if (s) s.conversations += c.count ?? 1;
  }
  const list = [...byKey.values()];
  for (const s of list) {
    s.openRate = ratio(s.opened, s.shown);
    s.conversationRate = ratio(s.conversations, s.shown);
  }
  return list.sort((a, b) => a.siteKey.localeCompare(b.siteKey) || b.shown - a.shown || a.ruleId.localeCompare(b.ruleId));
}
