// The app chunk's entry: loaded by widget.js as a module script, it hands the loader its mount
// function through the <servus-chat> element (no globals on the host page).
import { h, render } from 'preact';
import type { App, Host } from '../public-api.js';
import { createSession, type SessionOptions } from './session.js';
import { Widget } from './Widget.js';
import css from './styles.css?inline';

export function mount(host: Host, overrides: Partial<SessionOptions> = {}): App {
  host.addStyles(css);
  // The launcher's close icon and unread badge (session.ts keeps the count on it).
  host.launcher.insertAdjacentHTML(
    'beforeend',
    '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-close"><path d="M6 6l12 12M18 6 6 18"/></svg><span class="badge" hidden></span>',
  );
  const session = createSession({ host, ...overrides });
  const container = document.createElement('div');
  container.className = 'app';
  // The widget's own language and direction, whatever the host page's (an RTL page would mirror
  // it). Both languages are written left to right.
  container.dir = 'ltr';
  const lang = () => (container.lang = session.get().lang);
  lang();
  session.subscribe(lang);
  host.root.appendChild(container);
  render(<Widget session={session} />, container);
  return { command: (cmd) => session.command(cmd) };
}

type Attachable = HTMLElement & { servusAttach?: (m: (h: Host) => App) => void };
// The loader's element is the one with servusAttach (a page may hold a stale copy of it).
for (const el of document.querySelectorAll<Attachable>('servus-chat')) el.servusAttach?.((host) => mount(host));
