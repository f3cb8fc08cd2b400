// Proactive greetings (issue 6): which rule, if any, greets this visitor on this page. A separate
// chunk with its styles: most sites have no rules.
import { matchesUrlPattern, type ProactiveRule } from '@servus/shared';
export { default as greetingCss } from './greeting.css?inline';

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

/**
 * Watches for URL changes without a page load: the Navigation API where the browser has it
 * (currententrychange: pushState, replaceState, back and forward), else
 * popstate and hashchange plus a check once a second (pushState fires no event, and the widget
 * does not patch the page's history object).
 */
export function watchRoute(changed: () => void): () => void {
  const nav = (globalThis as { navigation?: EventTarget }).navigation;
  if (nav && typeof nav.addEventListener === 'function') {
    nav.addEventListener('currententrychange', changed);
    return () => nav.removeEventListener('currententrychange', changed);
  }
  addEventListener('popstate', changed);
  addEventListener('hashchange', changed);
  const timer = setInterval(changed, 1000);
  return () => {
    removeEventListener('popstate', changed);
    removeEventListener('hashchange', changed);
    clearInterval(timer);
  };
}
