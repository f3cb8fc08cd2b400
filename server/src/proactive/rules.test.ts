import { describe, expect, it } from 'vitest';
import { matchesUrlPattern, proactiveRulesSchema, rulesOf, PROACTIVE_LIMITS } from './rules.js';

const rule = { id: 'shipping', urlPattern: '/demo*', delaySeconds: 20, returningOnly: false, text: { de: 'Fragen?', en: 'Questions?' } };

describe('proactive rules', () => {
  it('matches pathname + search against a glob where * is any run of characters', () => {
    expect(matchesUrlPattern('*', '/')).toBe(true);
    expect(matchesUrlPattern('/demo*', '/demo')).toBe(true);
    expect(matchesUrlPattern('/demo*', '/demo?lang=en')).toBe(true);
    expect(matchesUrlPattern('/demo*', '/demo/shoes/42')).toBe(true);
    expect(matchesUrlPattern('/demo*', '/shop/demo')).toBe(false);
    expect(matchesUrlPattern('/demo', '/demo?lang=en')).toBe(false); // no * → the whole string
    expect(matchesUrlPattern('/shop/*/checkout', '/shop/shoes/checkout')).toBe(true);
    expect(matchesUrlPattern('/shop/*/checkout', '/shop/checkout')).toBe(false);
    expect(matchesUrlPattern('*?ref=ad*', '/landing?ref=ad&x=1')).toBe(true);
    expect(matchesUrlPattern('*a*a*', '/a')).toBe(false); // the two a's may not overlap
    expect(matchesUrlPattern('/a*a', '/a')).toBe(false); // nor may prefix and suffix
    expect(matchesUrlPattern('/x.*', '/xy')).toBe(false); // . is literal
  });

  it('validates a site’s rule list strictly', () => {
    expect(proactiveRulesSchema.safeParse([rule]).success).toBe(true);
    // returningOnly defaults to false; one language is enough.
    const { returningOnly: _, ...minimal } = rule;
    expect(proactiveRulesSchema.parse([{ ...minimal, text: { en: 'Hi' } }])[0]).toMatchObject({ returningOnly: false });
    const bad = (patch: Record<string, unknown>) => proactiveRulesSchema.safeParse([{ ...rule, ...patch }]).success;
    expect(bad({ id: 'no spaces' })).toBe(false);
    expect(bad({ urlPattern: 'demo' })).toBe(false); // neither / nor *
    expect(bad({ urlPattern: '/demo#top' })).toBe(false);
    expect(bad({ delaySeconds: -1 })).toBe(false);
    expect(bad({ delaySeconds: 1.5 })).toBe(false);
    expect(bad({ delaySeconds: PROACTIVE_LIMITS.maxDelaySeconds + 1 })).toBe(false);
    expect(bad({ text: {} })).toBe(false);
    expect(bad({ text: { fr: 'Salut' } })).toBe(false);
    expect(bad({ text: { de: 'x'.repeat(PROACTIVE_LIMITS.maxTextChars + 1) } })).toBe(false);
    expect(bad({ extra: 1 })).toBe(false);
    expect(proactiveRulesSchema.safeParse([rule, rule]).success).toBe(false); // duplicate id
    expect(
      proactiveRulesSchema.safeParse(Array.from({ length: PROACTIVE_LIMITS.maxRules + 1 }, (_, i) => ({ ...rule, id: `r${i}` }))).success,
    ).toBe(false);
  });

  it('reads stored rules leniently: broken or repeated ones are left out', () => {
    expect(rulesOf({})).toEqual([]);
    expect(rulesOf({ proactive: 'nonsense' })).toEqual([]);
    expect(rulesOf({ proactive: [rule, { id: 'broken' }, { ...rule, text: { en: 'again' } }] })).toEqual([rule]);
  });
});
