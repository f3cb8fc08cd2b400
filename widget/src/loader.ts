// widget.js: the only script a host page loads up front. It defines <servus-chat> (open shadow
// root), draws the launcher, runs window.Servus with its pre-load queue, fetches the site's config
// after the page's load event, and loads the app chunk on the visitor's first intent (hover, focus
// or press of the launcher, Servus('open')), or when idle if the visitor has a conversation here or
// the site greets proactively. Budget: 3 KB gzip, so no framework here.
import { themeVars } from '@servus/shared';
import { IDLE_TIMEOUT_MS, storageKey } from './options.js';
import type { App, Command, Host, Lang, LoaderOptions, OffsetName, ServusEvent } from './public-api.js';
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

const langOf = (v: string | null | undefined) => /^(de|en)/i.exec(v ?? '')?.[1]!.toLowerCase() as Lang | undefined;
/** An offset in CSS px, 0 to 400 (SITE_LIMITS.launcherOffset); anything else is ignored. */
const px = (v: unknown) => (/^\d{1,3}$/.test(String(v)) && Number(v) <= 400 ? v + 'px' : undefined);
const OFFSETS: OffsetName[] = ['x', 'y', 'mobileX', 'mobileY'];

if (script && !customElements.get(TAG) && !w.Servus?.loaded) boot(script);

function boot(s: HTMLScriptElement) {
  const d = s.dataset;
  const src = new URL(s.src, location.href);
  const options: LoaderOptions = {
    site: d.site ?? '',
    base: src.href.slice(0, src.href.lastIndexOf('/') + 1),
    lang: langOf(d.lang) ?? langOf(document.documentElement.lang) ?? langOf(navigator.language),
    color: d.color,
    position: /^(left|right)$/.test(d.position!) ? (d.position as 'left' | 'right') : undefined,
    title: d.title,
    greeting: d.greeting,
    open: d.open === 'true' || d.open === '',
    offset: {},
  };
  // data-offset-x, data-offset-y, data-offset-mobile-x, data-offset-mobile-y
  for (const k of OFFSETS) options.offset[k] = px(d['offset' + k[0]!.toUpperCase() + k.slice(1)]);
  // A link from a reply mail: taken out of the address bar at once, redeemed by the app, which opens.
  const link = /[#&]servus-link=([\w-]{16,128})/.exec(location.hash);
  if (link) {
    options.link = link[1];
    options.open = true;
    history.replaceState(history.state, '', location.href.replace(/#.*/, ''));
  }
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
  // The launcher, the shadow root's first child (before any style element). The close icon and the
  // unread badge come with the app (main.tsx, session.ts), which alone uses them.
  root.innerHTML = `<button class="launcher" type="button" aria-expanded="false" aria-label="${options.lang === 'en' ? 'Open chat' : 'Chat öffnen'}"><svg viewBox="0 0 24 24" aria-hidden="true" class="i-chat"><path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3 0-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"/></svg></button>`;
  const launcher = root.firstChild as HTMLButtonElement;
  addStyles(launcherCss);
  // CSSOM custom properties, not a style attribute: allowed under a strict style-src.
  const theme = (color: string | undefined) => {
    const vars = themeVars(color);
    for (const [k, v] of Object.entries(vars)) el.style.setProperty(k, v);
  };
  theme(options.color);
  if (options.position) el.setAttribute('data-pos', options.position);
  /** The launcher's offsets: the tag's data attributes, else the site's settings, else the CSS default. */
  const place = (site?: Partial<Record<OffsetName, unknown>>) => {
    for (const k of OFFSETS) {
      const v = options.offset[k] ?? px(site?.[k]);
      if (v) el.style.setProperty('--sv-' + k, v);
      else el.style.removeProperty('--sv-' + k);
    }
  };
  place();

  const emit = (event: ServusEvent, data: unknown) => {
    for (const h of handlers[event] ?? []) {
      try {
        h(data);
      } catch (err) {
        console.error('[servus]', event, err);
      }
    }
  };
  // The site's config, fetched once by whoever asks first (afterLoad below, or the app): null when
  // it cannot be had (offline: the widget works with defaults), false when the site does not allow
  // this page's origin. Then the widget stops for good: hidden, no app, no socket, one error.
  let config: Promise<unknown> | undefined;
  let refused = false;
  type Body = { error?: { code?: string; message?: string } } | null;
  const getConfig = () =>
    (config ??= fetch(`${options.base}api/widget/config?site=${encodeURIComponent(options.site)}`)
      .then((r) =>
        r.json().then((b: Body) => {
          if (r.ok) return b;
          if (b?.error?.code !== 'ORIGIN_NOT_ALLOWED') return null;
          refused = true;
          el.remove();
          console.error('[servus] ' + b.error.message);
          return false;
        }),
      )
      .catch(() => null));
  const host: Host = { root, launcher, options, emit, addStyles, theme, config: getConfig };

  const load = () => {
    if (loading || refused) return;
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
  // First intent: the app chunk starts loading while the pointer is on its way or the key is pressed.
  for (const type of ['pointerenter', 'pointerdown', 'focus']) launcher.addEventListener(type, load);
  // Keys typed and focus moved inside the widget stay in it: a host page's shortcuts never see the
  // visitor's typing, and a focus trap (Bootstrap's modal, focus-trap) never sees focus arrive here
  // and pulls it back. focusin is stopped in the window's capture phase, before any page listener,
  // so the widget's own code must not listen for focusin either.
  for (const type of ['keydown', 'keyup', 'keypress']) el.addEventListener(type, (e) => e.stopPropagation());
  w.addEventListener('focusin', (e) => e.target === el && e.stopImmediatePropagation(), true);

  const api: ServusFn = (cmd: string, ...args: unknown[]) => {
    if (cmd === 'on' || cmd === 'off') {
      const [event, handler] = args as [string, Handler];
      if (typeof handler !== 'function') return;
      const list = (handlers[event] ??= []);
      const at = list.indexOf(handler);
      if (at < 0) {
        if (cmd === 'on') list.push(handler);
      } else if (cmd === 'off') list.splice(at, 1);
      return;
    }
    call([cmd, ...args] as unknown as Command);
  };
  api.loaded = true;
  const early = w.Servus?.q ?? [];
  w.Servus = api;
  for (const a of early) api.apply(0, a as Parameters<ServusFn>);
  if (options.open) call(['open']);

  customElements.define(TAG, class extends HTMLElement {});
  // A child of <html>, not of <body>: single-page apps that replace document.body (Turbo, some CMS
  // previews) or rewrite it keep the widget, its open panel, socket and conversation. It exists
  // even when this script runs in <head>.
  document.documentElement.appendChild(el);
  // The top layer sits above any z-index the page uses; older browsers get z-index 2147483647.
  if ('showPopover' in el) {
    el.setAttribute('popover', 'manual');
    el.showPopover();
  }

  // After the page's load event, never before it: the site's config (colour, position, offsets,
  // proactive rules; the app reuses it). The app chunk only when it has something to do unasked: a
  // conversation or unsent messages on this device (to count unread answers), or proactive rules.
  const local = (name: string) => {
    try {
      return localStorage.getItem(storageKey(options.site, name));
    } catch {
      return null;
    }
  };
  type SiteJson = { color: string; position: string; launcherOffset?: Partial<Record<OffsetName, unknown>>; proactive?: unknown[] };
  const afterLoad = () => {
    void getConfig().then((body) => {
      if (body === false) return;
      if (local('conv') || local('outbox')) idle();
      const site = (body as { site?: SiteJson } | null)?.site;
      if (!site) return;
      if (!options.color) theme(site.color);
      if (!options.position) el.setAttribute('data-pos', site.position);
      place(site.launcherOffset);
      if (site.proactive?.length) idle();
    });
  };
  const idle = () =>
    'requestIdleCallback' in w ? w.requestIdleCallback(load, { timeout: IDLE_TIMEOUT_MS }) : setTimeout(load, IDLE_TIMEOUT_MS / 2);
  const later = () => setTimeout(afterLoad);
  if (document.readyState === 'complete') later();
  else w.addEventListener('load', later, { once: true });
}
