// Proactive greetings (issue 6): which rule, if any, greets this visitor on this page. A separate
// chunk with its styles: most sites have no rules.
import { matchesUrlPattern, type ProactiveRule } from '@servus/shared';
import { h } from 'preact';
import greetingCss from './greeting.css?inline';
import type { SiteConfig } from './config.js';
import type { LoaderOptions } from '../public-api.js';
import type { Session, View } from './session.js';

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

export interface GreetOptions {
  config: SiteConfig;
  /** Where rules match (defaults to location.pathname + search). */
  path: (() => string) | undefined;
  watch: ((changed: () => void) => () => void) | undefined;
  /** Sends a greeting's "shown" and "opened" (defaults to navigator.sendBeacon). */
  beacon: ((url: string, body: string) => void) | undefined;
  options: Pick<LoaderOptions, 'base' | 'site'>;
  /** The view and this site's storage; where the greeting is shown (`set({ greeting })`) and its styles go. */
  session: Pick<Session, 'get' | 'set' | 'subscribe' | 'addStyles' | 'local' | 'session' | 'key'>;
}

/**
 * Greets the visitor once on this page, after the delay of the rule that matches the page they are
 * on, unless they have a conversation or opened the chat; reports the greeting shown, and opened
 * (the conversation then names its rule). Returns the function that stops it.
 */
export function greet({ config, path, watch, beacon, options, session }: GreetOptions): () => void {
  const report = (ruleId: string, event: 'shown' | 'opened') => {
    try {
      (beacon ?? navigator.sendBeacon.bind(navigator))(
        `${options.base}api/widget/proactive`,
        JSON.stringify({ site: options.site, ruleId, event }),
      );
    } catch {
      // reporting is best effort
    }
  };
  let greetTimer: ReturnType<typeof setTimeout> | undefined;
  /** The rule whose greeting is waiting for its delay. */
  let pendingRule: string | null = null;
  let lastPath = '';
  // The greeting's styles go into the shadow root once, however many routes match a rule.
  let styled = false;
  /** A greeting was shown on this page (kept in memory: nothing is stored before the chat is opened). */
  let greeted = false;
  const stored = (name: string) => session.local.get(session.key(name));
  // Returning: has opened the chat on this site before.
  const returning = stored('seen') === '1';
  /** No greeting any more on this page: one was shown, or the visitor has a conversation. */
  const done = () => greeted || Boolean(stored('conv'));
  const stop = () => {
    clearTimeout(greetTimer);
    pendingRule = null;
    unwatch();
  };
  // Picks the rule for the page the visitor is on now. A single-page app changes its URL without
  // a page load: the watcher calls this again, and a greeting still waiting for its delay is
  // cancelled when the new page has another rule or none (the same rule keeps its timer).
  const pick = () => {
    if (done()) return stop();
    const here = path ? path() : location.pathname + location.search;
    if (here === lastPath) return;
    lastPath = here;
    const found = pickRule(config.proactive, here, returning, session.get().lang);
    if (found?.rule.id === pendingRule) return;
    clearTimeout(greetTimer);
    pendingRule = found?.rule.id ?? null;
    if (!found) return;
    if (!styled) session.addStyles(greetingCss);
    styled = true;
    const delay = Math.min(Math.max(Number(found.rule.delaySeconds) || 0, 0), 3600) * 1000;
    greetTimer = setTimeout(() => {
      pendingRule = null;
      const v = session.get();
      if (v.open || v.chat.messages.length || done()) return;
      greeted = true;
      stop();
      const id = found.rule.id;
      session.set({ greeting: { ruleId: id, text: found.text, Bubble: Greeting } });
      report(id, 'shown');
      // Opened while it shows (its bubble or the launcher): the conversation's hello names the rule.
      const off = session.subscribe(() => {
        const v = session.get();
        if (v.greeting) return;
        off();
        if (!v.open) return;
        session.session.set(session.key('rule'), id);
        report(id, 'opened');
      });
    }, delay);
  };
  let unwatch = () => {};
  if (done()) return unwatch;
  unwatch = (watch ?? watchRoute)(pick);
  pick();
  return stop;
}

/** The greeting bubble next to the launcher: opens the chat, or is dismissed. */
export function Greeting({ view, session }: { view: View; session: Session }) {
  return (
    <div class="greeting" role="status">
      <button type="button" class="greet-open" onClick={() => session.setOpen(true)}>
        {view.greeting!.text}
      </button>
      <button
        type="button"
        class="greet-x"
        aria-label={view.lang === 'de' ? 'Schließen' : 'Dismiss'}
        onClick={() => session.set({ greeting: null })}
      >
        ×
      </button>
    </div>
  );
}
