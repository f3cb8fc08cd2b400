// The widget's controller: owns the transport, the conversation reducer, the open/closed panel,
// unread counting, read receipts, typing, the JS API commands and proactive greetings. Components
// subscribe to it and call its methods; it never touches the DOM beyond the launcher it was given.
import { newCid, type VisitorServerFrame } from '@servus/shared';
import type { ComponentType } from 'preact';
import { loadStrings, type Strings } from '../i18n.js';
import { WIDGET_DEFAULTS, storageKey } from '../options.js';
import type { Command, Host, Lang } from '../public-api.js';
import { initialState, reduce, unreadCount, type Action, type State } from '../state.js';
import { safeStorage, type SafeStorage } from '../storage.js';
import { createTransport, type OutboxItem, type Transport, type TransportOptions, type VisitorCommand } from '../transport.js';
import { plainText } from '../markdown.js';
import { loadConfig, type SiteConfig } from './config.js';

export interface View {
  chat: State;
  open: boolean;
  lang: Lang;
  config?: SiteConfig | null;
  /** The visitor's language's strings (a lazy chunk): the panel renders once they are here. */
  strings?: Strings | null;
  /** A short notice for the visitor (e.g. the outbox is full). */
  notice?: string | null;
  /** Polite live-region text: the latest incoming message. */
  announce?: string;
  profileDone: boolean;
  offlineSent?: boolean;
  /** A proactive greeting shown, with its bubble (a component of the proactive chunk). */
  greeting?: { ruleId: string; text: string; Bubble: ComponentType<{ view: View; session: Session }> } | null;
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
/** A visitor command before it gets its cid. */
type NewCommand = VisitorCommand extends infer C ? (C extends VisitorCommand ? Omit<C, 'cid'> : never) : never;

export function createSession({
  host,
  WebSocket: WS,
  local = safeStorage(() => localStorage),
  session = safeStorage(() => sessionStorage),
  now = Date.now,
  path,
  watchRoute: watch,
  beacon,
}: SessionOptions) {
  const { options } = host;
  const badge = host.launcher.querySelector<HTMLElement>('.badge')!;
  const key = (name: string) => storageKey(options.site, name);
  const listeners = new Set<() => void>();
  const startedAt = now();
  let view: View = {
    chat: initialState(WIDGET_DEFAULTS.maxMessageChars),
    open: false,
    lang: options.lang ?? 'de',
    profileDone: local.get(key('profile')) === '1',
  };
  let lastUnread = 0;
  let resuming = false;
  /** The conversation the last hello asked to resume (the welcome need not trigger a second replay of it). */
  let resumedInHello: string | undefined;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let typingOut = false;
  let typingOutTimer: ReturnType<typeof setTimeout> | undefined;
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
    // 'read' holds conversation:seq, the last one the visitor saw
    const [markConv, markSeq] = (local.get(key('read')) ?? '').split(':');
    const readSeq = markConv === conv ? Number(markSeq) || 0 : 0;
    const unread = view.open ? 0 : unreadCount(view.chat, readSeq);
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

  const transportOptions: TransportOptions = {
    // The base is an absolute URL ending in '/': http(s) becomes ws(s).
    url: `${options.base.replace(/^http/, 'ws')}ws/visitor?site=${encodeURIComponent(options.site)}`,
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
      // Every target browser has Intl with time zones.
      const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
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
      // An identify the server refused (no valid hash): the page's developer should hear of it.
      else console.warn(`[servus] ${item.frame.type} was refused:`, code);
    },
    onTokenRejected: () => {
      local.remove(key('conv'));
      dispatch({ type: 'reset' });
    },
    ...(WS ? { WebSocket: WS } : {}),
  };
  const transport: Transport = createTransport(transportOptions);

  /** A reply mail's link: redeemed (in the forms chunk) before the socket starts. */
  let linking = options.link ? import('./Forms.js').then((m) => m.redeemLink(options, local, key)) : null;
  /** Asked to connect; the socket starts once the site's config is here (none on a refused origin). */
  let wanted = false;
  const ensureConnected = (): void => {
    wanted = true;
    if (linking) void linking.then(() => ((linking = null), ensureConnected()));
    else if (view.config && transport.status === 'idle') transport.start();
  };

  // Messages still in the outbox from before a reload are shown again as "sending".
  for (const item of transport.outbox())
    if (item.frame.type === 'message.send')
      dispatch({ type: 'local.send', cid: item.frame.cid, text: String(item.frame.text), at: item.at ?? now() });

  function setOpen(open: boolean, focusLauncher = false) {
    if (open === view.open) return;
    if (open) {
      // Only now, once the visitor opened the chat, does the widget write to their browser's storage.
      local.set(key('seen'), '1');
      ensureConnected();
    }
    set({ open, greeting: null, notice: null });
    host.emit(open ? 'open' : 'close', {});
    if (!open && focusLauncher) host.launcher.focus();
  }

  /** Stops the greeting's timer and route watcher (proactive.tsx sets it while it runs). */
  let stopGreeting = () => {};

  function startGreeting(config: SiteConfig) {
    // The rule matching is its own small chunk: most sites have no proactive rules.
    if (config.proactive?.length && !local.get(key('conv')))
      void import('./proactive.js').then((m) => {
        stopGreeting = m.greet({ config, path, watch, beacon, options, session: api });
      });
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
  // A page on an origin the site does not allow gets no config: the loader has hidden the widget and
  // said why; no socket is opened, ever.
  void loadConfig(options, host.config).then((config) => {
    if (!config) return;
    applyTheme(config);
    set({ config });
    // A returning visitor with a conversation connects right away, to count unread answers.
    if (wanted || local.get(key('conv')) || transport.outbox().length) ensureConnected();
    if (!options.lang) void useLang(config.defaultLang).then(() => startGreeting(config));
    else void startGreeting(config);
  });

  const api = {
    get: () => view,
    subscribe(fn: () => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    t,
    addStyles: host.addStyles,
    setOpen,
    /** Where and as whom to upload a file (Attach.tsx) or call the visitor's own REST routes; connects when not yet connected. */
    auth: () => (ensureConnected(), { base: options.base, site: options.site, token: local.get(key('token')) }),
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
    handoff: () => api.cmd({ type: 'handoff.request' }),
    /** "Did this answer your question?" under bot answer `messageId`. */
    feedback(messageId: string, helpful: boolean) {
      const conversationId = view.chat.conversationId;
      if (conversationId) api.cmd({ type: 'answer.feedback', conversationId, messageId, helpful });
    },
    /** Sends a command with a new cid (false when the outbox is full); `acked` runs when the server acks it. */
    cmd(frame: NewCommand, acked?: () => void): boolean {
      ensureConnected();
      const cid = newCid('w');
      if (acked) ackWaiters.set(cid, acked);
      return transport.send({ ...frame, cid } as VisitorCommand);
    },
    /** For the forms chunk: the view, the conversation reducer and this site's storage. */
    set,
    dispatch,
    local,
    session,
    key,
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
        default:
          // identify, shutdown: a chunk of their own (host-api.ts).
          void import('./host-api.js').then((m) =>
            m.run(cmd, api, () => {
              stopGreeting();
              transport.close();
            }),
          );
      }
    },
  };
  return api;
}
