// The app in happy-dom: a real session and components against a fake socket and a fake config fetch.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Host, ServusEvent } from '../public-api.js';
import { mount } from './main.js';
import { watchRoute } from './proactive.js';

class FakeSocket {
  static last: FakeSocket | undefined;
  readyState = 0;
  sent: { type: string; [k: string]: unknown }[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as { type: string });
  }
  close() {}
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const config = {
  key: 'demo',
  name: 'Shop',
  color: '#0f766e',
  position: 'right',
  title: { de: 'Shop', en: 'Shop' },
  greeting: { de: 'Servus!', en: 'Hello there!' },
  botName: 'Shop Bot',
  botAvatarUrl: null,
  agentAvatarUrl: null,
  defaultLang: 'de',
  preChatForm: { enabled: false, fields: [] },
  ratings: { nps: false, ces: false },
};

function makeHost(events: [ServusEvent, unknown][]): Host {
  const el = document.createElement('servus-chat');
  document.body.appendChild(el);
  const root = el.attachShadow({ mode: 'open' });
  const launcher = document.createElement('button');
  root.appendChild(launcher);
  return {
    root,
    launcher,
    options: { site: 'demo', base: 'http://servus.test/', lang: 'en', offset: {} },
    emit: (e, d) => events.push([e, d]),
    addStyles: () => {},
    theme: () => {},
    config: async () => null,
  };
}

const until = async (cond: () => unknown, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

let events: [ServusEvent, unknown][];
let host: Host;
beforeEach(() => {
  // The socket starts once the config is in (a tick later): no test may see the previous test's.
  FakeSocket.last = undefined;
  localStorage.clear();
  sessionStorage.clear();
  events = [];
  host = makeHost(events);
});
afterEach(() => {
  document.body.innerHTML = '';
});

function start() {
  const configFn = vi.fn(async () => ({ site: config }));
  host.config = configFn;
  const app = mount(host, { WebSocket: FakeSocket as unknown as typeof WebSocket });
  return { app, configFn };
}
const q = <T extends Element = HTMLElement>(sel: string) => host.root.querySelector<T>(sel);

describe('widget app', () => {
  it('opens as a dialog, sends on Enter and shows the bot answer with quick replies', async () => {
    const { app } = start();
    app.command(['open']);
    await until(() => q('.panel'));
    expect(q('.panel')!.getAttribute('role')).toBe('dialog');
    expect(q('#sv-title')!.textContent).toBe('Shop');
    expect(host.launcher.getAttribute('aria-expanded')).toBe('true');
    expect(events.map((e) => e[0])).toContain('open');

    await until(() => FakeSocket.last?.sent.length);
    const ws = FakeSocket.last!;
    expect(ws.url).toBe('ws://servus.test/ws/visitor?site=demo');
    ws.receive({ type: 'welcome', role: 'visitor', protocol: 1, token: 't'.repeat(20), conversation: null });

    const input = q<HTMLTextAreaElement>('#sv-input')!;
    input.value = 'How long does shipping take?';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => ws.sent.some((f) => f.type === 'message.send'));
    const sent = ws.sent.find((f) => f.type === 'message.send')!;
    expect(sent.text).toBe('How long does shipping take?');
    await until(() => q('.mine .bubble'));
    expect(q('.mine .tick')!.className).toContain('sending');

    ws.receive({ type: 'ack', cid: sent.cid, conversationId: 'c1', id: 'm1', seq: 1 });
    ws.receive({
      type: 'message.created',
      conversationId: 'c1',
      seq: 2,
      message: {
        id: 'm2',
        seq: 2,
        kind: 'text',
        author: { type: 'bot' },
        text: 'We ship **fast**.',
        at: Date.now(),
        suggestions: [{ id: 'f', title: 'Costs?' }],
      },
    });
    await until(() => q('.group.bot strong'), 1000).catch(() => {
      throw new Error(host.root.innerHTML);
    });
    expect(q('.group.bot strong')!.textContent).toBe('fast');
    expect([...host.root.querySelectorAll('.chip')].map((c) => c.textContent)).toEqual(['Talk to a person', 'Costs?']);
    expect(q('[aria-live="polite"].sr-only')!.textContent).toContain('We ship');
    expect(events.some(([e]) => e === 'message')).toBe(true);
  });

  it('greets on a single-page app route that matches a rule, and not after the visitor moved on', async () => {
    const rules = [
      { id: 'shoes', urlPattern: '/shoes*', delaySeconds: 0.3, returningOnly: false, text: { en: 'Questions about shoes?' } },
      { id: 'checkout', urlPattern: '/checkout', delaySeconds: 0.1, returningOnly: false, text: { en: 'Need help paying?' } },
    ];
    host.config = async () => ({ site: { ...config, proactive: rules } });
    let here = '/';
    let routeChanged: (() => void) | null = null;
    let watching = 0;
    const beacons: string[] = [];
    mount(host, {
      WebSocket: FakeSocket as unknown as typeof WebSocket,
      path: () => here,
      watchRoute: (cb) => {
        routeChanged = cb;
        watching += 1;
        return () => (watching -= 1);
      },
      beacon: (_url, body) => beacons.push(body),
    });
    const navigate = (to: string) => {
      here = to;
      routeChanged!();
    };
    await until(() => routeChanged);
    // The landing page has no rule. The router moves to the checkout (0.1 s delay), then away from
    // it before the delay: that greeting never comes (it would come before the shoe page's).
    navigate('/checkout');
    navigate('/about');
    // Then to a shoe page: its greeting comes after its delay, on this route.
    navigate('/shoes/bergschuh');
    await until(() => q('.greet-open'));
    expect(q('.greet-open')!.textContent).toBe('Questions about shoes?');
    expect(beacons.map((b) => JSON.parse(b) as { ruleId: string; event: string })).toEqual([
      { site: 'demo', ruleId: 'shoes', event: 'shown' },
    ]);
    // One greeting per tab: the watcher stops, and later routes change nothing.
    expect(watching).toBe(0);
    navigate('/checkout');
    expect(beacons).toHaveLength(1);
    // Privacy by default: a page view and a greeting write nothing to the browser's storage.
    expect([localStorage.length, sessionStorage.length, document.cookie]).toEqual([0, 0, '']);
    // Opening the chat is the visitor's choice: only now does the widget store anything.
    q<HTMLButtonElement>('.greet-open')!.click();
    await until(() => q('.panel'));
    expect(localStorage.getItem('servus:demo:seen')).toBe('1');
    expect(sessionStorage.getItem('servus:demo:rule')).toBe('shoes');
  });

  it('shows the site’s privacy notice line and link in the pre-chat form', async () => {
    host.config = async () => ({
      site: {
        ...config,
        preChatForm: { enabled: true, fields: ['email'] },
        privacyNotice: { en: 'We store your email to answer you.', url: 'https://shop.example/privacy' },
      },
    });
    const app = mount(host, { WebSocket: FakeSocket as unknown as typeof WebSocket });
    app.command(['open']);
    await until(() => q('.privacy a'));
    expect(q('.privacy')!.textContent).toContain('We store your email to answer you.');
    const a = q<HTMLAnchorElement>('.privacy a')!;
    expect([a.href, a.rel, a.textContent]).toEqual(['https://shop.example/privacy', 'noopener noreferrer', 'Privacy notice']);
  });

  it('closes on Escape and gives focus back to the launcher', async () => {
    const { app } = start();
    app.command(['open']);
    await until(() => q('.panel'));
    q('.panel')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => !q('.panel'));
    expect(host.root.activeElement ?? document.activeElement).toBe(host.launcher);
    expect(events.map((e) => e[0])).toContain('close');
  });

  it('counts unread answers on the launcher badge while closed', async () => {
    localStorage.setItem('servus:demo:conv', 'c1');
    start();
    await until(() => FakeSocket.last?.sent.length);
    const ws = FakeSocket.last!;
    expect(ws.sent[0]).toMatchObject({ type: 'visitor.hello', resume: { conversationId: 'c1', lastSeq: 0 } });
    ws.receive({ type: 'welcome', role: 'visitor', protocol: 1, conversation: { id: 'c1', status: 'assigned', readSeq: 0 } });
    ws.receive({
      type: 'message.created',
      conversationId: 'c1',
      seq: 1,
      message: { id: 'm1', seq: 1, kind: 'text', author: { type: 'agent', name: 'Anna' }, text: 'Hi!', at: Date.now() },
    });
    const badge = host.launcher.querySelector<HTMLElement>('.badge')!;
    await until(() => !badge.hidden);
    expect(badge.textContent).toBe('1');
    expect(events).toContainEqual(['unread', { count: 1 }]);
  });

  it('talks to a person with a handoff request, and shows the queue position', async () => {
    const { app } = start();
    app.command(['open']);
    await until(() => q('.chip.person'));
    q<HTMLButtonElement>('.chip.person')!.click();
    await until(() => FakeSocket.last?.sent.length);
    const ws = FakeSocket.last!;
    ws.receive({ type: 'welcome', role: 'visitor', protocol: 1, conversation: null });
    await until(() => ws.sent.some((f) => f.type === 'handoff.request'));
    ws.receive({
      type: 'conversation.updated',
      conversationId: 'c1',
      seq: 1,
      change: 'handoff',
      at: 0,
      conversation: { id: 'c1', status: 'queued', readSeq: 0, queue: { position: 2, expectedWaitSeconds: 240, agentsOnline: 1 } },
    });
    await until(() => /number 2/.test(q('#sv-sub')!.textContent ?? ''));
    expect(q('#sv-sub')!.textContent).toBe('Waiting: you are number 2, about 4 minutes');
    expect(q('.chip.person')).toBeNull();
  });

  it('never opens a socket when the site refuses this origin, not for a returning visitor nor after open or a send', async () => {
    localStorage.setItem('servus:demo:conv', 'c1');
    let refuse!: (v: unknown) => void;
    host.config = () => new Promise((r) => (refuse = r));
    const app = mount(host, { WebSocket: FakeSocket as unknown as typeof WebSocket });
    app.command(['open']);
    refuse(false);
    await new Promise((r) => setTimeout(r, 50));
    app.command(['open']);
    expect(FakeSocket.last).toBeUndefined();
    expect(q('.panel')).toBeNull();
  });

  it('forgets the visitor on shutdown', async () => {
    const { app } = start();
    app.command(['open']);
    await until(() => FakeSocket.last?.sent.length);
    FakeSocket.last!.receive({
      type: 'welcome',
      role: 'visitor',
      protocol: 1,
      token: 'x'.repeat(20),
      conversation: { id: 'c1', status: 'bot', readSeq: 0 },
    });
    await until(() => localStorage.getItem('servus:demo:conv'));
    app.command(['shutdown']);
    // shutdown runs from its own chunk (host-api.ts), a moment later.
    await until(() => !q('.panel'));
    expect(localStorage.getItem('servus:demo:token')).toBeNull();
    expect(localStorage.getItem('servus:demo:conv')).toBeNull();
  });
});

describe('watchRoute', () => {
  const g = globalThis as { navigation?: EventTarget };
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigation');
  afterEach(() => {
    if (saved) Object.defineProperty(globalThis, 'navigation', saved);
    else delete g.navigation;
    vi.useRealTimers();
  });

  it('listens to the Navigation API where the browser has one', () => {
    const nav = new EventTarget();
    Object.defineProperty(globalThis, 'navigation', { value: nav, configurable: true });
    const changed = vi.fn();
    const stop = watchRoute(changed);
    nav.dispatchEvent(new Event('currententrychange'));
    expect(changed).toHaveBeenCalledTimes(1);
    stop();
    nav.dispatchEvent(new Event('currententrychange'));
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('falls back to popstate, hashchange and a check every second (pushState fires no event)', () => {
    Object.defineProperty(globalThis, 'navigation', { value: undefined, configurable: true });
    vi.useFakeTimers();
    const changed = vi.fn();
    const stop = watchRoute(changed);
    dispatchEvent(new Event('popstate'));
    dispatchEvent(new Event('hashchange'));
    expect(changed).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(changed).toHaveBeenCalledTimes(3);
    stop();
    dispatchEvent(new Event('popstate'));
    vi.advanceTimersByTime(5000);
    expect(changed).toHaveBeenCalledTimes(3);
  });
});
