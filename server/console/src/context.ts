// What every console component needs, created once after login: the live socket and store, the
// REST query client, the translator, and navigation. Passed down as one `ctx` property.
import { QueryClient, focusManager, onlineManager } from '@tanstack/query-core';
import type { AgentProfile, ConversationChange, SocketStatus } from '@servus/shared';
import { createLiveSocket, type LiveSocket } from './live/socket.js';
import { createLiveStore, type Alert, type LiveStore } from './live/store.js';
import type { Lang, Translate } from './i18n.js';
import { api } from './api.js';
import { plainText } from './format.js';
import { beep, notify, loadPrefs, warmUpAudio, type Prefs } from './notify.js';

export interface ConsoleContext {
  me: AgentProfile;
  store: LiveStore;
  socket: LiveSocket;
  qc: QueryClient;
  t: Translate;
  lang: Lang;
  prefs: Prefs;
  connection: SocketStatus;
  navigate: (path: string) => void;
  dispose(): void;
}

export interface ContextOptions {
  me: AgentProfile;
  t: Translate;
  lang: Lang;
  navigate: (path: string) => void;
  onChange: () => void;
  /** A hidden tab for longer than this reconnects on return (the socket may be silently dead). */
  staleAfterHiddenMs?: number;
}

export function createConsoleContext({ me, t, lang, navigate, onChange, staleAfterHiddenMs = 30_000 }: ContextOptions): ConsoleContext {
  const qc = new QueryClient({
    defaultOptions: { queries: { staleTime: 10_000, retry: 1, refetchOnWindowFocus: true } },
  });
  qc.mount();
  // REST lists follow the live log: any status change refreshes them (coalesced).
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  const refreshLists = (id: string, change: ConversationChange | 'erased') => {
    void qc.invalidateQueries({ queryKey: ['conversation', id] });
    if (change === 'queue') return;
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void qc.invalidateQueries({ queryKey: ['conversations'] });
      void qc.invalidateQueries({ queryKey: ['agents'] });
    }, 250);
  };
  const ctx = {} as ConsoleContext;
  const socket = createLiveSocket({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent`,
    onFrame: (f) => store.apply(f),
    onOpen: (sendNow) => {
      store.resync(sendNow);
      // Whatever REST showed may have changed while we were away.
      void qc.invalidateQueries();
    },
    onStatus: (s) => {
      ctx.connection = s;
      onChange();
    },
    // A refused reconnect may mean the session ended (logged out elsewhere, password changed):
    // ask once per drop and per failed attempt; a 401 takes the console back to the login.
    onDrop: () => void api('/api/auth/me').catch(() => {}),
  });
  const store = createLiveStore({
    send: (f) => socket.send(f),
    sendVolatile: (f) => socket.sendVolatile(f),
    command: (f) => socket.command(f),
    onConversationChanged: refreshLists,
    // After the render: the first beep creates an AudioContext, which can take a moment.
    onAlert: (alert) => setTimeout(() => announce(alert), 0),
  });
  function announce(alert: Alert): void {
    if (ctx.prefs.sound && store.status === 'online') beep();
    if (!ctx.prefs.notifications) return;
    if (alert.kind === 'queued') {
      const who = alert.conversation.visitor?.name ?? t('anonymous');
      notify(t('newChat'), `${who}: ${plainText(alert.conversation.lastMessage?.text ?? '')}`, () =>
        navigate(`/console/queue/${alert.conversation.id}`),
      );
    } else {
      const id = alert.conversation?.id;
      notify(t('newMessage'), alert.message.text, () => id && navigate(`/console/mine/${id}`));
    }
  }

  // Never stale: returning to the tab or the network triggers a resync; after a long absence
  // (laptop sleep) the socket is replaced outright instead of trusting a possibly dead one.
  let hiddenAt = 0;
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now();
      return;
    }
    focusManager.setFocused(true);
    if (socket.status !== 'online' || (hiddenAt && Date.now() - hiddenAt > staleAfterHiddenMs)) socket.reconnectNow();
    else store.resync((f) => socket.send(f));
    hiddenAt = 0;
  };
  const onOnline = () => {
    onlineManager.setOnline(true);
    socket.reconnectNow();
  };
  // Browsers allow audio after a user gesture; creating it then keeps the first beep instant.
  document.addEventListener('pointerdown', warmUpAudio, { once: true });
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('online', onOnline);

  Object.assign(ctx, {
    me,
    store,
    socket,
    qc,
    t,
    lang,
    prefs: loadPrefs(),
    connection: 'connecting' as SocketStatus,
    navigate,
    dispose() {
      document.removeEventListener('visibilitychange', onVisibility);
      document.removeEventListener('pointerdown', warmUpAudio);
      window.removeEventListener('online', onOnline);
      socket.close();
      qc.clear();
      qc.unmount();
    },
  });
  socket.start();
  return ctx;
}
