// The proactive-greetings editor's pure parts: a rule as form values and back, the list's order,
// new rule ids, the text a visitor reads, and where the API's paths are in the rule form.
import type { ProactiveRule } from '@servus/shared';
import type { FieldMap } from './field-errors.js';

export interface RuleDraft {
  urlPattern: string;
  /** As typed; the server names the field when it is not a whole number. */
  delaySeconds: string;
  returningOnly: boolean;
  enabled: boolean;
  textDe: string;
  textEn: string;
}

/** What "Add greeting" starts from: every page, after 20 seconds. */
export const NEW_RULE: RuleDraft = { urlPattern: '/*', delaySeconds: '20', returningOnly: false, enabled: true, textDe: '', textEn: '' };

export function draftFromRule(rule: ProactiveRule): RuleDraft {
  return {
    urlPattern: rule.urlPattern,
    delaySeconds: String(rule.delaySeconds),
    returningOnly: rule.returningOnly,
    enabled: rule.enabled !== false,
    textDe: rule.text.de ?? '',
    textEn: rule.text.en ?? '',
  };
}

/** The form's fields by name (see the editor's `name` attributes). */
export function readRuleForm(data: FormData): RuleDraft {
  const text = (name: string) => String(data.get(name) ?? '');
  return {
    urlPattern: text('urlPattern'),
    delaySeconds: text('delaySeconds'),
    returningOnly: data.get('returningOnly') !== null,
    enabled: data.get('enabled') !== null,
    textDe: text('textDe'),
    textEn: text('textEn'),
  };
}

/** The rule as the API takes it: empty languages left out, `enabled` only when off (absent means on). */
export function ruleFromDraft(draft: RuleDraft, id: string): ProactiveRule {
  const delay = draft.delaySeconds.trim();
  const text: ProactiveRule['text'] = {};
  if (draft.textDe.trim()) text.de = draft.textDe.trim();
  if (draft.textEn.trim()) text.en = draft.textEn.trim();
  return {
    id,
    urlPattern: draft.urlPattern.trim(),
    // A whole number goes as a number; anything else as typed, so the server names the field.
    delaySeconds: /^\d+$/.test(delay) ? Number(delay) : (delay as unknown as number),
    returningOnly: draft.returningOnly,
    text,
    ...(draft.enabled ? {} : { enabled: false }),
  };
}

/** The list with the rule at `index` moved `by` places (the first matching rule greets). */
export function moveRule<T>(rules: readonly T[], index: number, by: -1 | 1): T[] {
  const to = index + by;
  const list = [...rules];
  if (to < 0 || to >= list.length) return list;
  [list[index], list[to]] = [list[to]!, list[index]!];
  return list;
}

/** A fresh id, unique in the site: ids are how counts and conversations keep to their rule, so they never change. */
export function newRuleId(taken: readonly string[], random: () => number = Math.random): string {
  for (;;) {
    const id = `greeting-${Math.floor(random() * 36 ** 6)
      .toString(36)
      .padStart(6, '0')}`;
    if (!taken.includes(id)) return id;
  }
}

/** The greeting in the visitor's language, else the other one: what the widget shows (widget/src/app/proactive.tsx). */
export function greetingText(text: ProactiveRule['text'], lang: 'de' | 'en'): string {
  return text[lang] ?? text[lang === 'de' ? 'en' : 'de'] ?? '';
}

/** Where the PUT's paths for the rule at `index` are in the rule form. */
export function ruleFields(index: number): FieldMap {
  const at = `rules.${index}`;
  return {
    [`${at}.urlPattern`]: { field: 'urlPattern', hint: 'hint_urlPattern' },
    [`${at}.delaySeconds`]: 'delaySeconds',
    [`${at}.returningOnly`]: 'returningOnly',
    [`${at}.enabled`]: 'enabled',
    // "At least one language" is about the text as a whole: shown at the first one.
    [`${at}.text`]: 'textDe',
    [`${at}.text.de`]: 'textDe',
    [`${at}.text.en`]: 'textEn',
  };
}
