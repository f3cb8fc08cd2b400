// Proactive messages: the per-site rules (stored in the site settings as `proactive`), their
// validation, and the URL pattern the widget matches them with (docs/proactive.md).
import { z } from 'zod';
import { PROACTIVE_LIMITS } from '@servus/shared';
import { storableString } from '@servus/shared/schemas';

export { PROACTIVE_LIMITS };

/** Rule ids appear in beacons and in the visitor context (`shortText(64)` in the protocol). */
export const ruleIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

const greeting = storableString().trim().min(1).max(PROACTIVE_LIMITS.maxTextChars);

export const proactiveRuleSchema = z
  .object({
    id: ruleIdSchema,
    /** Glob matched against pathname + search: `*` is any run of characters, everything else is literal. */
    urlPattern: storableString()
      .min(1)
      .max(PROACTIVE_LIMITS.maxPatternChars)
      .regex(/^[/*]/, 'starts with / or *')
      .regex(/^[^\s#]*$/, 'no spaces and no #fragment'),
    delaySeconds: z.number().int().min(0).max(PROACTIVE_LIMITS.maxDelaySeconds),
    /** Only for visitors who have been on the site before (the widget knows from its stored token). */
    returningOnly: z.boolean().default(false),
    text: z
      .object({ de: greeting.optional(), en: greeting.optional() })
      .strict()
      .refine((t) => t.de !== undefined || t.en !== undefined, { error: 'at least one of de, en', params: { kind: 'required' } }),
    /** Off: kept with its results, never shown (the widget config leaves it out). Absent: on. */
    enabled: z.boolean().optional(),
  })
  .strict();

export const proactiveRulesSchema = z
  .array(proactiveRuleSchema)
  .max(PROACTIVE_LIMITS.maxRules)
  .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, {
    error: 'rule ids must be unique',
    params: { kind: 'duplicate' },
  });

export type ProactiveRule = z.infer<typeof proactiveRuleSchema>;

/**
 * The rules of a site's stored settings. Settings written before validation existed (or by hand)
 * may hold broken rules: those are left out instead of breaking the widget config.
 */
export function rulesOf(settings: { proactive?: unknown }): ProactiveRule[] {
  if (!Array.isArray(settings.proactive)) return [];
  const rules: ProactiveRule[] = [];
  const seen = new Set<string>();
  for (const raw of settings.proactive.slice(0, PROACTIVE_LIMITS.maxRules)) {
    const parsed = proactiveRuleSchema.safeParse(raw);
    if (parsed.success && !seen.has(parsed.data.id)) {
      seen.add(parsed.data.id);
      rules.push(parsed.data);
    }
  }
  return rules;
}

/** The rules the widget may show: those that are on, without the switch itself (not a byte more per page view). */
export function widgetRulesOf(settings: { proactive?: unknown }): ProactiveRule[] {
  return rulesOf(settings)
    .filter((r) => r.enabled !== false)
    .map(({ enabled: _enabled, ...rule }) => rule);
}

export { matchesUrlPattern } from '@servus/shared';
