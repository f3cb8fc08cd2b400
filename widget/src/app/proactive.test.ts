import { describe, expect, it } from 'vitest';
import { matchesUrlPattern as globMatches } from '@servus/shared';
import { pickRule } from './proactive.js';

describe('proactive rules', () => {
  it('matches globs where * is any characters, anchored', () => {
    expect(globMatches('/pricing*', '/pricing?plan=pro')).toBe(true);
    expect(globMatches('/pricing', '/pricing/x')).toBe(false);
    expect(globMatches('*/checkout', '/de/checkout')).toBe(true);
    expect(globMatches('/a.b', '/axb')).toBe(false);
  });

  it('picks the first matching rule with text in the visitor language, or the other one', () => {
    const rules = [
      { id: 'r0', urlPattern: '/x', delaySeconds: 0, returningOnly: false, text: { en: 'no' } },
      { id: 'r1', urlPattern: '/shop*', delaySeconds: 5, returningOnly: true, text: { de: 'Willkommen zurück' } },
      { id: 'r2', urlPattern: '/shop*', delaySeconds: 5, returningOnly: false, text: { en: 'Need help?' } },
    ];
    expect(pickRule(rules, '/shop/boots', false, 'de')).toMatchObject({ rule: { id: 'r2' }, text: 'Need help?' });
    expect(pickRule(rules, '/shop/boots', true, 'de')).toMatchObject({ rule: { id: 'r1' }, text: 'Willkommen zurück' });
    expect(pickRule(undefined, '/shop', true, 'de')).toBeNull();
  });
});
