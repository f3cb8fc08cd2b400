// Per-rule proactive figures on a fixture worked out by hand.
import { describe, expect, it } from 'vitest';
import { proactiveStats } from './stats.js';

const H = 3_600_000;

describe('proactive rule stats', () => {
  it('adds up shown, opened and conversations per rule, with the rates', () => {
    const stats = proactiveStats(
      [
        { siteKey: 'demo', rule: { id: 'r1', urlPattern: '/demo*' } },
        { siteKey: 'demo', rule: { id: 'r2', urlPattern: '/checkout' } },
        { siteKey: 'shop', rule: { id: 'r1', urlPattern: '*' } },
      ],
      [
        { siteKey: 'demo', ruleId: 'r1', hour: 0, shown: 3, opened: 1 },
        { siteKey: 'demo', ruleId: 'r1', hour: H, shown: 2, opened: 1 },
        // A rule removed since: its counts still count.
        { siteKey: 'demo', ruleId: 'old', hour: 0, shown: 4, opened: 0 },
        { siteKey: 'shop', ruleId: 'r1', hour: 0, shown: 1, opened: 0 },
      ],
      [
        { siteKey: 'demo', proactiveRuleId: 'r1' },
        { siteKey: 'demo', proactiveRuleId: 'r1' },
        { siteKey: 'demo', proactiveRuleId: 'old' },
        // A made-up id from a visitor's hello adds nothing.
        { siteKey: 'demo', proactiveRuleId: 'forged' },
        { siteKey: 'demo', proactiveRuleId: null },
        { siteKey: 'shop', proactiveRuleId: null },
      ],
    );
    expect(stats).toEqual([
      // demo r1: shown 3 + 2 = 5, opened 1 + 1 = 2 → 2/5 = 0.4; 2 conversations → 2/5 = 0.4
      { siteKey: 'demo', ruleId: 'r1', urlPattern: '/demo*', shown: 5, opened: 2, conversations: 2, openRate: 0.4, conversationRate: 0.4 },
      // demo old: 0/4 opened, 1 conversation → 1/4 = 0.25
      { siteKey: 'demo', ruleId: 'old', urlPattern: null, shown: 4, opened: 0, conversations: 1, openRate: 0, conversationRate: 0.25 },
      // demo r2: never shown: no rates
      {
        siteKey: 'demo',
        ruleId: 'r2',
        urlPattern: '/checkout',
        shown: 0,
        opened: 0,
        conversations: 0,
        openRate: null,
        conversationRate: null,
      },
      { siteKey: 'shop', ruleId: 'r1', urlPattern: '*', shown: 1, opened: 0, conversations: 0, openRate: 0, conversationRate: 0 },
    ]);
  });
});
