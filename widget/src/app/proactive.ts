// Proactive greetings (issue 6): which rule, if any, greets this visitor on this page. A separate
// chunk with its styles: most sites have no rules.
import { matchesUrlPattern } from '@servus/shared/url-pattern';
export { default as greetingCss } from './greeting.css?inline';

export interface ProactiveRule {
  id: string;
  /** Glob over location.pathname + search; `*` matches any characters. */
  urlPattern: string;
  delaySeconds: number;
  returningOnly: boolean;
  text: { de?: string; en?: string };
}

/** The first rule that applies here, with its text in the visitor's language (or the other one). */
export function pickRule(
  rules: unknown,
  path: string,
  returning: boolean,
  lang: 'de' | 'en',
): { rule: ProactiveRule; text: string } | null {
  if (!Array.isArray(rules)) return null;
  for (const r of rules as ProactiveRule[]) {
    if (!r || typeof r.id !== 'string' || typeof r.urlPattern !== 'string') continue;
    if (r.returningOnly && !returning) continue;
    if (!matchesUrlPattern(r.urlPattern, path)) continue;
    const text = r.text?.[lang] ?? r.text?.[lang === 'de' ? 'en' : 'de'];
    if (typeof text === 'string' && text.trim()) return { rule: r, text };
  }
  return null;
}
