// Proactive messages: rules per site, counts and per-rule stats. Their routes are http/routes/proactive.ts.
export {
  PROACTIVE_LIMITS,
  matchesUrlPattern,
  proactiveRuleSchema,
  proactiveRulesSchema,
  ruleIdSchema,
  rulesOf,
  widgetRulesOf,
  type ProactiveRule,
} from './rules.js';
export {
  countProactiveEvent,
  loadProactiveConversations,
  loadProactiveCounts,
  type ProactiveCount,
  type ProactiveEvent,
} from './counts.js';
export { proactiveStats, type ProactiveRuleStats } from './stats.js';
