// The greetings editor's round trip: a stored rule → form values → the rule the PUT sends; order,
// ids, and the text the visitor reads.
import { describe, expect, it } from 'vitest';
import type { ProactiveRule } from '@servus/shared';
import { draftFromRule, greetingText, moveRule, newRuleId, readRuleForm, ruleFromDraft } from './proactive-form.js';

const rule: ProactiveRule = {
  id: 'shipping',
  urlPattern: '/shop/*',
  delaySeconds: 20,
  returningOnly: true,
  text: { de: 'Fragen zum Versand?', en: 'Shipping questions?' },
};

describe('proactive rule form', () => {
  it('turns a rule into form values and back unchanged; switched off only when off', () => {
    expect(ruleFromDraft(draftFromRule(rule), 'shipping')).toEqual(rule);
    expect(ruleFromDraft({ ...draftFromRule(rule), enabled: false }, 'shipping')).toEqual({ ...rule, enabled: false });
    expect(draftFromRule({ ...rule, enabled: false }).enabled).toBe(false);
  });

  it('reads the form by its field names, leaves empty languages out, and sends a non-number as typed', () => {
    const data = new FormData();
    data.set('urlPattern', ' /demo* ');
    data.set('delaySeconds', '1.5');
    data.set('textDe', '  ');
    data.set('textEn', ' Hi there ');
    data.set('enabled', 'on');
    const sent = ruleFromDraft(readRuleForm(data), 'g1');
    expect(sent).toEqual({ id: 'g1', urlPattern: '/demo*', delaySeconds: '1.5', returningOnly: false, text: { en: 'Hi there' } });
  });

  it('moves a rule within the list and not past its ends', () => {
    expect(moveRule(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveRule(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveRule(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
  });

  it('gives a new rule an id the site does not have yet', () => {
    const draws = [0, 0, 0.5];
    const id = newRuleId(['greeting-000000'], () => draws.shift()!);
    expect(id).not.toBe('greeting-000000');
    expect(id).toMatch(/^greeting-[0-9a-z]{6}$/);
  });

  it('shows the visitor’s language, else the other one, as the widget does', () => {
    expect(greetingText(rule.text, 'en')).toBe('Shipping questions?');
    expect(greetingText({ de: 'Nur Deutsch' }, 'en')).toBe('Nur Deutsch');
    expect(greetingText({}, 'de')).toBe('');
  });
});
