// Proactive messages: rules per site, the beacon and admin routes, counts and per-rule stats.
export {
  PROACTIVE_LIMITS,
  matchesUrlPattern,
  proactiveRuleSchema,
  proactiveRulesSchema,
  ruleIdSchema,
  rulesOf,
  type ProactiveRule,
} from './rules.js';
export { countProactiveEvent, loadProactiveCounts, type ProactiveCount, type ProactiveEvent } from './counts.js';
export { proactiveStats, type ProactiveRuleStats } from './stats.js';
export { beaconSchema, mountProactiveApi, type ProactiveApiOptions, type ProactiveEnv } from './routes.js';
