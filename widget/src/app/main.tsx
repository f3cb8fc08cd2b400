// The app chunk's entry: loaded by widget.js as a module script, it hands the loader its mount
// function through the <servus-chat> element (no globals on the host page).
import { h, render } from 'preact';
import type { App, Host } from '../public-api.js';
import { createSession, type SessionOptions } from './session.js';
import { Widget } from './Widget.js';
import css from './styles.css?inline';

export function mount(host: Host, overrides: Partial<SessionOptions> = {}): App {
  host.addStyles(css);
  const session = createSession({ host, ...overrides });
  const container = document.createElement('div');
  container.className = 'app';
  host.root.appendChild(container);
  render(<Widget session={session} />, container);
  return { command: (cmd) => session.command(cmd) };
}

const el = document.querySelector('servus-chat') as (HTMLElement & { servusAttach?: (m: (h: Host) => App) => void }) | null;
el?.servusAttach?.((host) => mount(host));
