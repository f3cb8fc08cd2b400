// The widget's controller: owns the transport, the conversation reducer, the open/closed panel,
// unread counting, read receipts, typing, the JS API commands and proactive greetings. Components
// subscribe to it and call its methods; it never touches the DOM beyond the launcher it was given.
import { newCid, type VisitorServerFrame } from '@servus/shared';
import { formatTime, loadStrings, type Strings } from '../i18n.js';
import { WIDGET_DEFAULTS, storageKey } from '../options.js';
import type { Command, Host, Lang } from '../public-api.js';
import { initialState, reduce, unreadCount, type Action, type State } from '../state.js';
import { safeStorage, type SafeStorage } from '../storage.js';
import { createTransport, type OutboxItem, type Transport, type TransportOptions } from '../transport.js';
import { plainText } from '../markdown.js';
import { loadConfig, type SiteConfig } from './config.js';
import { loadRich } from './Messages.js';

export interface View {
  chat: State;
  open: boolean;
  lang: Lang;
  config: SiteConfig | null;
  /** The visitor's language's strings (a lazy chunk): the panel renders once they are here. */
  strings: Strings | null;
  unread: number;
  /** A short notice for the visitor (e.g. the outbox is full). */
  notice: string | null;
  /** Polite live-region text: the latest incoming message. */
  announce: string;
  profileDone: boolean;
  offlineSent: boolean;
  greeting: { ruleId: string; text: string } | null;
}

export interface SessionOptions {
  host: Host;
  WebSocket?: typeof WebSocket;
  local?: SafeStorage;
  session?: SafeStorage;
  now?: () => number;
  /** Where proactive rules match (defaults to location.pathname + search). */
  path?: () => string;
  /**
   * Calls back when the page's URL may have changed without a page load (a single-page app's
   * router); returns a function that stops watching. Defaults to proactive.ts's watchRoute.
   */
  watchRoute?: (changed: () => void) => () => void;
  beacon?: (url: string, body: string) => void;
}

export type Session = ReturnType<typeof createSession>;

export function createSession({
  host,
  WebSocket: WS,
  local = safeStorage(() => localStorage),
  session = safeStorage(() => sessionStorage),
  now = Date.now,
  path = () => location.pathname + location.search,
  watchRoute: watch,
  beacon = (url, body) => {
    try {
      navigator.sendBeacon?.(url, body);
    } catch {
      // reporting is best effort
    }
  },
}: SessionOptions) {
  const { options } = host;
  const badge = host.launcher.querySelector<HTMLElement>('.badge')!;
  const key = (name: string) => storageKey(options.site, name);
  const listeners = new Set<() => void>();
  const startedAt = now();
  const readMark = () => {
    const [conv, seq] = (local.get(key('read')) ?? '').split(':');
    return { conv, seq: Number(seq) || 0 };
  };
  let view: View = {
    chat: initialState(WIDGET_DEFAULTS.maxMessageChars),
    open: false,
    lang: options.lang ?? 'de',
    config: null,
    strings: null,
    unread: 0,
    notice: null,
    announce: '',
    profileDone: local.get(key('profile')) === '1',
    offlineSent: false,
    greeting: null,
  };
  let lastUnread = 0;
  let resuming = false;
  /** The conversation the last hello asked to resume (the welcome need not trigger a second replay of it). */
  let resumedInHello: string | undefined;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let typingOut = false;
  let typingOutTimer: ReturnType<typeof setTimeout> | undefined;
  let greetTimer: ReturnType<typeof setTimeout> | undefined;
  /** The rule whose greeting is waiting for its delay, and the route watcher (SPA navigation). */
  let pendingRule: string | null = null;
  let unwatchRoute: (() => void) | null = null;
  const ackWaiters = new Map<string, () => void>();

  const t = () => view.strings!;
  const set = (patch: Partial<View>) => {
    view = { ...view, ...patch };
    afterChange();
    for (const l of listeners) l();
  };

  function afterChange() {
    const conv = view.chat.conversationId;
    if (conv) local.set(key('conv'), conv);
    const mark = readMark();
    const readSeq = mark.conv === conv ? mark.seq : 0;
    const unread = view.open ? 0 : unreadCount(view.chat, readSeq);
    view.unread = unread;
    if (view.open && conv && view.chat.lastSeq > readSeq && view.chat.connection === 'online') {
      local.set(key('read'), `${conv}:${view.chat.lastSeq}`);
      transport.sendVolatile({ type: 'conversation.read', conversationId: conv, seq: view.chat.lastSeq });
    }
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    const s = view.strings;
    host.launcher.setAttribute('aria-expanded', String(view.open));
    if (s) host.launcher.setAttribute('aria-label', (view.open ? s.closeChat : s.openChat) + (unread ? ', ' + s.unread(unread) : ''));
    if (unread !== lastUnread) {
      lastUnread = unread;
      host.emit('unread', { count: unread });
    }
  }

  const dispatch = (action: Action) => {
    const before = view.chat;
    const chat = reduce(before, action);
    if (chat === before) return;
    set({ chat });
  };

  const onFrame = (frame: VisitorServerFrame) => {
    const before = view.chat;
    dispatch({ type: 'frame', frame });
    const chat = view.chat;
    if (frame.type === 'welcome') {
      // Our hello resumed what we knew; the server may know a newer conversation (or we knew none).
      const conv = frame.conversation;
      if (conv && conv.id !== resumedInHello) resume(conv.id, 0);
      else if (!conv) resuming = false;
    } else if (frame.type === 'replay.done') {
      resuming = false;
      if (frame.more) resume(frame.conversationId, chat.lastSeq);
    } else if (frame.type === 'ack') {
      ackWaiters.get(frame.cid)?.();
      ackWaiters.delete(frame.cid);
    } else if (frame.type === 'message.created') {
      const m = frame.message;
      // Announce only what arrives live, not the history a reload replays.
      if (m.author.type !== 'visitor' && m.kind === 'text' && m.at >= startedAt - 5_000 && chat.messages.length > before.messages.length) {
        const name = m.author.name ?? (m.author.type === 'bot' ? (view.config?.botName ?? 'Bot') : (view.strings?.team ?? ''));
        // Bot answers are Markdown: announced as the visitor sees them, not with their ** and [](…).
        const text = m.author.type === 'bot' ? plainText(m.text) : m.text;
        if (view.strings) set({ announce: view.strings.newMessage(name, text.slice(0, 200)) });
        host.emit('message', {
          text: m.text,
          author: { type: m.author.type, ...(m.author.name ? { name: m.author.name } : {}) },
          at: m.at,
        });
      }
    } else if (frame.type === 'typing') {
      clearTimeout(typingTimer);
      if (chat.typing) typingTimer = setTimeout(() => dispatch({ type: 'typing.expired' }), WIDGET_DEFAULTS.typingShowMs);
    }
    if (chat.gap && !resuming && chat.conversationId) resume(chat.conversationId, chat.lastSeq);
  };

  function resume(conversationId: string, lastSeq: number) {
    resuming = true;
    transport.sendVolatile({ type: 'conversation.resume', conversationId, lastSeq });
  }

  const wsUrl = () => {
    const u = new URL('ws/visitor', options.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('site', options.site);
    return u.href;
  };

  const transportOptions: TransportOptions = {
    url: wsUrl(),
    storage: local,
    key,
    resumePoint: () => {
      const id = view.chat.conversationId ?? local.get(key('conv'));
      resumedInHello = id ?? undefined;
      if (!id) return undefined;
      resuming = true;
      return { conversationId: id, lastSeq: id === view.chat.conversationId ? view.chat.lastSeq : 0 };
    },
    context: () => {
      const rule = session.get(key('rule'));
      let timezone: string | undefined;
      try {
        timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      } catch {
        // old browsers
      }
      return {
        url: location.href.slice(0, 2048),
        title: document.title.slice(0, 512),
        referrer: document.referrer.slice(0, 2048),
        lang: view.lang,
        ...(timezone ? { timezone } : {}),
        ...(rule ? { proactiveRuleId: rule.slice(0, 64) } : {}),
      };
    },
    onFrame,
    onStatus: (status) => dispatch({ type: 'connection', status }),
    onRejected: (item: OutboxItem, code: string) => {
      if (item.frame.type === 'message.send') dispatch({ type: 'local.failed', cid: item.frame.cid });
      else if (item.frame.type === 'visitor.identify') console.warn('[servus] identify was refused:', code);
    },
    onTokenRejected: () => {
      local.remove(key('conv'));
      dispatch({ type: 'reset' });
    },
    ...(WS ? { WebSocket: WS } : {}),
  };
  const transport: Transport = createTransport(transportOptions);

  const ensureConnected = () => {
    if (transport.status === 'idle') transport.start();
  };

  // Messages still in the outbox from before a reload are shown again as "sending".
  const restoreOutbox = () => {
    for (const item of transport.outbox()) {
      if (item.frame.type === 'message.send')
        dispatch({ type: 'local.send', cid: item.frame.cid, text: String(item.frame.text), at: item.at ?? now() });
    }
  };
  restoreOutbox();

  function setOpen(open: boolean, focusLauncher = false) {
    if (open === view.open) return;
    if (open) {
      ensureConnected();
      void loadRich();
      if (view.greeting) {
        session.set(key('rule'), view.greeting.ruleId);
        report(view.greeting.ruleId, 'opened');
      }
    }
    set({ open, greeting: null, notice: null });
    host.emit(open ? 'open' : 'close', {});
    if (!open && focusLauncher) host.launcher.focus();
  }

  function report(ruleId: string, event: 'shown' | 'opened') {
    beacon(`${options.base}api/widget/proactive`, JSON.stringify({ site: options.site, ruleId, event }));
  }

  /** No greeting any more in this tab: one was shown, or the visitor has a conversation. */
  const greetingDone = () => Boolean(session.get(key('greeted')) || local.get(key('conv')));

  function stopGreeting() {
    clearTimeout(greetTimer);
    pendingRule = null;
    unwatchRoute?.();
    unwatchRoute = null;
  }

  async function startGreeting(config: SiteConfig) {
    const returning = local.get(key('seen')) === '1';
    local.set(key('seen'), '1');
    if (greetingDone() || !config.proactive?.length) return;
    // The rule matching is its own small chunk: most sites have no proactive rules.
    const proactive = await import('./proactive.js');
    let lastPath = '';
    // The greeting's styles go into the shadow root once, however many routes match a rule.
    let greetingStyled = false;
    // Picks the rule for the page the visitor is on now. A single-page app changes its URL without
    // a page load: the watcher calls this again, and a greeting still waiting for its delay is
    // cancelled when the new page has another rule or none (the same rule keeps its timer).
    const pick = () => {
      if (greetingDone()) return stopGreeting();
      const here = path();
      if (here === lastPath) return;
      lastPath = here;
      const found = proactive.pickRule(config.proactive, here, returning, view.lang);
      if (found?.rule.id === pendingRule) return;
      clearTimeout(greetTimer);
      pendingRule = found?.rule.id ?? null;
      if (!found) return;
      if (!greetingStyled) host.addStyles(proactive.greetingCss);
      greetingStyled = true;
      const delay = Math.min(Math.max(Number(found.rule.delaySeconds) || 0, 0), 3600) * 1000;
      greetTimer = setTimeout(() => {
        pendingRule = null;
        if (view.open || view.chat.messages.length || greetingDone()) return;
        session.set(key('greeted'), '1');
        stopGreeting();
        set({ greeting: { ruleId: found.rule.id, text: found.text } });
        report(found.rule.id, 'shown');
      }, delay);
    };
    unwatchRoute = (watch ?? proactive.watchRoute)(pick);
    pick();
  }

  function applyTheme(config: SiteConfig) {
    const el = host.root.host as HTMLElement;
    host.theme(config.color);
    el.setAttribute('data-pos', config.position === 'left' ? 'left' : 'right');
  }

  const useLang = (lang: Lang) =>
    loadStrings(lang).then(
      (strings) => set({ lang, strings }),
      (err) => console.error('[servus]', err),
    );
  // Config and strings load in parallel; the page's language may already be known from the loader.
  if (options.lang) void useLang(options.lang);
  void loadConfig(options, host.config).then((config) => {
    applyTheme(config);
    set({ config });
    if (!options.lang) void useLang(config.defaultLang).then(() => startGreeting(config));
    else void startGreeting(config);
  });
  // A returning visitor with a conversation connects right away, to count unread answers.
  if (local.get(key('conv')) || transport.outbox().length) ensureConnected();

  const api = {
    get: () => view,
    subscribe(fn: () => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    t,
    addStyles: (css: string) => host.addStyles(css),
    time: (at: number) => formatTime(at, view.lang),
    setOpen,
    /** Sends a chat message; false (with a notice) when it cannot be queued. */
    send(text: string): boolean {
      const body = text.trim();
      if (!body || body.length > view.chat.maxChars) return false;
      ensureConnected();
      const cid = newCid('w');
      const at = now();
      if (!transport.send({ type: 'message.send', cid, text: body }, at)) {
        set({ notice: t().outboxFull });
        return false;
      }
      dispatch({ type: 'local.send', cid, text: body, at });
      api.typing(false);
      return true;
    },
    retry(cid: string) {
      const msg = view.chat.messages.find((m) => m.cid === cid);
      if (!msg) return;
      if (transport.send({ type: 'message.send', cid, text: msg.text }, msg.at)) dispatch({ type: 'local.retry', cid });
      else set({ notice: t().outboxFull });
    },
    /** The visitor's own typing indicator: on with a keystroke, off after a pause or on send. */
    typing(active: boolean) {
      const conversationId = view.chat.conversationId;
      clearTimeout(typingOutTimer);
      if (active) typingOutTimer = setTimeout(() => api.typing(false), WIDGET_DEFAULTS.typingIdleMs);
      if (!conversationId || active === typingOut) return;
      typingOut = active;
      transport.sendVolatile({ type: 'typing.update', conversationId, active });
    },
    handoff() {
      ensureConnected();
      transport.send({ type: 'handoff.request', cid: newCid('w') });
    },
    profile(name: string, email: string) {
      ensureConnected();
      transport.send({ type: 'visitor.profile', cid: newCid('w'), ...(name ? { name } : {}), ...(email ? { email } : {}) });
      local.set(key('profile'), '1');
      set({ profileDone: true });
    },
    offline(email: string, message: string) {
      ensureConnected();
      const cid = newCid('w');
      ackWaiters.set(cid, () => set({ offlineSent: true }));
      return transport.send({ type: 'offline.submit', cid, email, message });
    },
    rate(r: { csat: number; nps?: number; ces?: number; comment?: string }) {
      const conversationId = view.chat.conversationId;
      if (!conversationId) return;
      transport.send({ type: 'conversation.rate', cid: newCid('w'), conversationId, ...r });
      dispatch({ type: 'local.rated' });
    },
    skipRating: () => dispatch({ type: 'local.rated' }),
    dismissGreeting: () => set({ greeting: null }),
    command(cmd: Command) {
      switch (cmd[0]) {
        case 'open':
          return setOpen(true);
        case 'close':
          return setOpen(false);
        case 'toggle':
          return setOpen(!view.open, true);
        case 'setLanguage':
          if (cmd[1] === 'de' || cmd[1] === 'en') void useLang(cmd[1]);
          return;
        case 'identify': {
          const u = cmd[1];
          if (!u || typeof u.id !== 'string' || typeof u.hash !== 'string') return console.warn('[servus] identify: id and hash needed');
          ensureConnected();
          transport.send({
            type: 'visitor.identify',
            cid: newCid('w'),
            id: u.id,
            hash: u.hash,
            ...(u.name ? { name: u.name } : {}),
            ...(u.email ? { email: u.email } : {}),
          });
          return;
        }
        case 'shutdown':
          stopGreeting();
          transport.close();
          dispatch({ type: 'reset' });
          set({ open: false, greeting: null, profileDone: false, offlineSent: false, announce: '' });
          for (const name of ['token', 'conv', 'read', 'profile', 'seen']) local.remove(key(name));
          for (const name of ['greeted', 'rule']) session.remove(key(name));
          return;
      }
    },
  };
  return api;
}
