// widget.js: the only script a host page loads up front. It defines <servus-chat> (open shadow
// root), draws the launcher, runs window.Servus with its pre-load queue, and loads the app chunk
// on first open or when the browser is idle. Budget: 3 KB gzip, so no framework here.
import { themeVars } from './color.js';
import { IDLE_TIMEOUT_MS } from './options.js';
import type { App, Command, Host, Lang, LoaderOptions, ServusEvent } from './public-api.js';
import launcherCss from './launcher.css?inline';

declare const __SERVUS_APP__: string;

type Handler = (data: unknown) => void;
type QueuedCall = ArrayLike<unknown>;
interface ServusFn {
  (cmd: string, ...args: unknown[]): void;
  q?: QueuedCall[];
  loaded?: boolean;
}
type Win = Window & { Servus?: ServusFn };

const TAG = 'servus-chat';
const w = window as Win;
const script = (document.currentScript ?? document.querySelector('script[data-site][src*="widget.js"]')) as HTMLScriptElement | null;

const langOf = (v: string | null | undefined): Lang | undefined =>
  v ? (/^de/i.test(v) ? 'de' : /^en/i.test(v) ? 'en' : undefined) : undefined;

if (script && !customElements.get(TAG) && !w.Servus?.loaded) boot(script);

function boot(s: HTMLScriptElement) {
  const d = s.dataset;
  const src = new URL(s.src, location.href);
  const options: LoaderOptions = {
    site: d.site ?? '',
    base: src.href.slice(0, src.href.lastIndexOf('/') + 1),
    lang: langOf(d.lang) ?? langOf(document.documentElement.lang) ?? langOf(navigator.language),
    color: d.color,
    position: d.position === 'left' ? 'left' : d.position === 'right' ? 'right' : undefined,
    title: d.title,
    greeting: d.greeting,
    open: d.open === 'true' || d.open === '',
  };
  const handlers: Record<string, Handler[]> = {};
  const queued: Command[] = [];
  let app: App | undefined;
  let loading = false;

  const el = document.createElement(TAG);
  const root = el.attachShadow({ mode: 'open' });
  const sheets: CSSStyleSheet[] = [];
  const addStyles = (css: string) => {
    // Constructed sheets are not subject to style-src CSP; old browsers get a <style> element.
    if ('adoptedStyleSheets' in (root as object)) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      sheets.push(sheet);
      root.adoptedStyleSheets = sheets.slice();
    } else {
      const style = document.createElement('style');
      style.textContent = css;
      root.appendChild(style);
    }
  };
  addStyles(launcherCss);
  // CSSOM custom properties, not a style attribute: allowed under a strict style-src.
  const theme = (color: string | undefined) => {
    const vars = themeVars(color);
    for (const [k, v] of Object.entries(vars)) el.style.setProperty(k, v);
  };
  theme(options.color);
  if (options.position) el.setAttribute('data-pos', options.position);

  const launcher = document.createElement('button');
  launcher.className = 'launcher';
  launcher.type = 'button';
  launcher.setAttribute('aria-label', options.lang === 'en' ? 'Open chat' : 'Chat öffnen');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-chat"><path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3 0-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"/></svg>' +
    '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-close"><path d="M6 6l12 12M18 6 6 18"/></svg>';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  launcher.appendChild(badge);
  root.appendChild(launcher);

  const emit = (event: ServusEvent, data: unknown) => {
    for (const h of handlers[event] ?? []) {
      try {
        h(data);
      } catch (err) {
        console.error('[servus]', event, err);
      }
    }
  };
  const host: Host = { root, launcher, badge, options, emit, addStyles, theme };

  const load = () => {
    if (loading) return;
    loading = true;
    // A module <script> (not import()) so a strict-CSP page's nonce carries over to the chunk.
    const tag = document.createElement('script');
    tag.type = 'module';
    tag.src = new URL(__SERVUS_APP__, options.base).href;
    if (s.nonce) tag.nonce = s.nonce;
    tag.onerror = () => {
      loading = false;
      console.error('[servus] load failed', tag.src);
    };
    document.head.appendChild(tag);
  };
  // The app chunk calls this once it has run.
  (el as HTMLElement & { servusAttach?: (mount: (h: Host) => App) => void }).servusAttach = (mount) => {
    if (app) return;
    app = mount(host);
    for (let c = queued.shift(); c; c = queued.shift()) app.command(c);
  };

  const call = (cmd: Command) => {
    if (app) return app.command(cmd);
    queued.push(cmd);
    if (cmd[0] === 'open' || cmd[0] === 'toggle') load();
  };
  launcher.addEventListener('click', () => call(['toggle']));

  const api: ServusFn = (cmd: string, ...args: unknown[]) => {
    if (cmd === 'on' || cmd === 'off') {
      const [event, handler] = args as [string, Handler];
      if (typeof handler !== 'function') return;
      const list = (handlers[event] ??= []);
      const at = list.indexOf(handler);
      if (cmd === 'on' && at < 0) list.push(handler);
      if (cmd === 'off' && at >= 0) list.splice(at, 1);
      return;
    }
    call([cmd, ...args] as unknown as Command);
  };
  api.loaded = true;
  const early = w.Servus?.q ?? [];
  w.Servus = api;
  for (let i = 0; i < early.length; i++) {
    const a = early[i]!;
    api(a[0] as string, ...Array.prototype.slice.call(a, 1));
  }
  if (options.open) call(['open']);

  customElements.define(TAG, class extends HTMLElement {});
  const mountEl = () => {
    document.body.appendChild(el);
    // The top layer sits above any z-index the page uses; older browsers get z-index 2147483647.
    if ('showPopover' in el) {
      el.setAttribute('popover', 'manual');
      el.showPopover();
    }
  };
  if (document.body) mountEl();
  else document.addEventListener('DOMContentLoaded', mountEl);

  // Preload once the page has loaded and the browser is idle, so the widget never competes with it.
  const idle = () =>
    'requestIdleCallback' in w ? w.requestIdleCallback(load, { timeout: IDLE_TIMEOUT_MS }) : setTimeout(load, IDLE_TIMEOUT_MS / 2);
  if (document.readyState === 'complete') idle();
  else w.addEventListener('load', idle, { once: true });
}
