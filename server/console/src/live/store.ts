// Live state of the console: the queue and the agent's own conversations, the transcripts of the
// conversations it follows, typing and read state. Every server frame goes through `apply` (one
// reducer); subscribers hear once per batch. After each (re)connect it resubscribes with the last
// seq it holds, so nothing is missed and nothing is shown twice.
import type {
  ChatMessage,
  ConversationChange,
  ConversationUpdatedFrame,
  ConversationView,
  MessageCreatedFrame,
  ReadFrame,
  TypingFrame,
  WelcomeFrame,
} from '@servus/shared';

export type AgentStatus = 'online' | 'away' | 'offline';

export type TranscriptEntry =
  | { kind: 'message'; seq: number; message: ChatMessage }
  | {
      kind: 'update';
      seq: number;
      change: ConversationChange;
      at: number;
      conversation: ConversationView;
      rating?: ConversationUpdatedFrame['rating'];
    };

export interface Transcript {
  entries: Map<number, TranscriptEntry>;
  /** Highest seq held; resume from here. */
  lastSeq: number;
  /** True once the log from seq 1 is loaded (a background subscription starts in the middle). */
  complete: boolean;
}

export type Alert =
  | { kind: 'queued'; conversation: ConversationView }
  | { kind: 'message'; conversation: ConversationView | undefined; message: ChatMessage };

export interface LiveStoreOptions {
  /** Sends a command (kept while offline). */
  send: (frame: object) => void;
  /** Sends only if connected (typing, read). */
  sendVolatile: (frame: object) => void;
  onAlert?: (alert: Alert) => void;
  /** Called with every conversation.updated, e.g. to refresh REST lists. */
  onConversationChanged?: (id: string, change: ConversationChange) => void;
  /** How long a typing indicator lives without a refresh. */
  typingTtlMs?: number;
  now?: () => number;
}

interface Pending {
  resolve: (ack: { id?: string; seq?: number }) => void;
  reject: (err: { code: string; message: string }) => void;
}

let cidCounter = 0;
export const newCid = () => `c${Date.now().toString(36)}.${(cidCounter++).toString(36)}.${Math.random().toString(36).slice(2, 8)}`;

export function createLiveStore({
  send,
  sendVolatile,
  onAlert,
  onConversationChanged,
  typingTtlMs = 6000,
  now = Date.now,
}: LiveStoreOptions) {
  const conversations = new Map<string, ConversationView>();
  const transcripts = new Map<string, Transcript>();
  const typing = new Map<string, { name: string; until: number }>();
  const visitorRead = new Map<string, number>();
  const unread = new Set<string>();
  const followed = new Set<string>();
  const pending = new Map<string, Pending>();
  const listeners = new Set<() => void>();
  let me: WelcomeFrame['agent'] | null = null;
  let status: AgentStatus = 'online';
  let openId: string | null = null;
  let snapshotLoaded = false;
  let notifyQueued = false;

  function changed(): void {
    if (notifyQueued) return;
    notifyQueued = true;
    queueMicrotask(() => {
      notifyQueued = false;
      for (const l of listeners) l();
    });
  }

  function transcriptOf(id: string, base: number): Transcript {
    let t = transcripts.get(id);
    if (!t) {
      t = { entries: new Map(), lastSeq: base, complete: base === 0 };
      transcripts.set(id, t);
    }
    return t;
  }

  /** Follow a conversation live: from `lastSeq` on (its current end for background follows). */
  function follow(id: string, lastSeq: number): void {
    const t = transcriptOf(id, lastSeq);
    if (followed.has(id)) return;
    followed.add(id);
    send({ type: 'conversation.subscribe', conversationId: id, lastSeq: t.lastSeq });
  }

  const isMine = (c: ConversationView) => !!me && c.status === 'assigned' && c.assignee?.id === me.id;

  function upsert(view: ConversationView): void {
    const prev = conversations.get(view.id);
    // Frames can overtake each other across topics: never let an older view replace a newer one.
    if (prev && prev.updatedAt > view.updatedAt && prev.lastSeq > view.lastSeq) return;
    conversations.set(view.id, prev?.lastMessage && view.lastMessage === undefined ? { ...view, lastMessage: prev.lastMessage } : view);
    // Messages of the agent's own chats reach only followers of the conversation: follow them all.
    if (isMine(view)) follow(view.id, view.lastSeq);
  }

  function addEntry(id: string, entry: TranscriptEntry): boolean {
    const t = transcriptOf(id, 0);
    if (t.entries.has(entry.seq)) return false;
    t.entries.set(entry.seq, entry);
    if (entry.seq > t.lastSeq) t.lastSeq = entry.seq;
    return true;
  }

  function apply(frame: Record<string, unknown> & { type: string }): void {
    switch (frame.type) {
      case 'welcome': {
        me = (frame as unknown as WelcomeFrame).agent ?? null;
        break;
      }
      case 'queue.snapshot': {
        const list = (frame as unknown as { conversations: ConversationView[] }).conversations;
        const ids = new Set(list.map((c) => c.id));
        // Queued or mine before but not in the snapshot: taken, resolved or moved while we were away.
        for (const [id, c] of conversations) {
          if (!ids.has(id) && (c.status === 'queued' || isMine(c))) conversations.delete(id);
        }
        const before = snapshotLoaded;
        for (const c of list) {
          const wasKnown = conversations.has(c.id);
          upsert(c);
          if (before && !wasKnown && c.status === 'queued') onAlert?.({ kind: 'queued', conversation: c });
        }
        snapshotLoaded = true;
        break;
      }
      case 'conversation.updated': {
        const f = frame as unknown as ConversationUpdatedFrame;
        const prev = conversations.get(f.conversationId);
        upsert(f.conversation);
        if (f.seq !== undefined) {
          addEntry(f.conversationId, {
            kind: 'update',
            seq: f.seq,
            change: f.change,
            at: f.at,
            conversation: f.conversation,
            ...(f.rating ? { rating: f.rating } : {}),
          });
        }
        if (f.conversation.status === 'queued' && prev?.status !== 'queued' && (f.change === 'handoff' || f.change === 'reopened')) {
          onAlert?.({ kind: 'queued', conversation: f.conversation });
        }
        onConversationChanged?.(f.conversationId, f.change);
        break;
      }
      case 'message.created': {
        const f = frame as unknown as MessageCreatedFrame;
        const fresh = addEntry(f.conversationId, { kind: 'message', seq: f.seq, message: f.message });
        const conv = conversations.get(f.conversationId);
        if (conv && f.message.kind !== 'note') {
          conversations.set(conv.id, {
            ...conv,
            lastSeq: Math.max(conv.lastSeq, f.seq),
            updatedAt: Math.max(conv.updatedAt, f.message.at),
            lastMessage: { text: f.message.text.slice(0, 200), at: f.message.at, author: f.message.author.type },
          });
        }
        if (f.message.author.type === 'visitor') {
          typing.delete(f.conversationId);
          // Replayed history is not news; a message newer than the view we had is.
          if (fresh && (!conv || f.seq > conv.lastSeq || f.message.at > now() - 60_000)) {
            const watching = openId === f.conversationId && typeof document !== 'undefined' && document.visibilityState === 'visible';
            if (!watching) unread.add(f.conversationId);
            if (!watching || !conv || !isMine(conv)) onAlert?.({ kind: 'message', conversation: conv, message: f.message });
          }
        }
        break;
      }
      case 'typing': {
        const f = frame as unknown as TypingFrame;
        if (f.author.type !== 'visitor') break;
        if (f.active) typing.set(f.conversationId, { name: f.author.name ?? '', until: now() + typingTtlMs });
        else typing.delete(f.conversationId);
        break;
      }
      case 'read': {
        const f = frame as unknown as ReadFrame;
        if (f.by === 'visitor') visitorRead.set(f.conversationId, Math.max(visitorRead.get(f.conversationId) ?? 0, f.seq));
        break;
      }
      case 'replay.done': {
        const f = frame as unknown as { conversationId: string; lastSeq: number; more: boolean };
        if (f.more) send({ type: 'conversation.subscribe', conversationId: f.conversationId, lastSeq: f.lastSeq });
        break;
      }
      case 'ack': {
        const f = frame as unknown as { cid: string; id?: string; seq?: number };
        const p = pending.get(f.cid);
        pending.delete(f.cid);
        p?.resolve(f);
        return;
      }
      case 'error': {
        const f = frame as unknown as { cid?: string; code: string; message: string };
        if (f.cid) {
          const p = pending.get(f.cid);
          pending.delete(f.cid);
          p?.reject(f);
        }
        return;
      }
      default:
        return;
    }
    changed();
  }

  function command(frame: Record<string, unknown>): Promise<{ id?: string; seq?: number }> {
    const cid = newCid();
    return new Promise((resolve, reject) => {
      pending.set(cid, { resolve, reject });
      send({ ...frame, cid });
    });
  }

  return {
    apply,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Everything to send after a (re)connect: hello, queue, and every followed conversation from where we are. */
    resync(sendNow: (frame: object) => void): void {
      sendNow({ type: 'agent.hello', status });
      sendNow({ type: 'queue.subscribe' });
      for (const id of followed)
        sendNow({ type: 'conversation.subscribe', conversationId: id, lastSeq: transcripts.get(id)?.lastSeq ?? 0 });
    },
    get me() {
      return me;
    },
    get status() {
      return status;
    },
    setStatus(next: AgentStatus): void {
      status = next;
      send({ type: 'agent.status', status: next });
      changed();
    },
    conversation: (id: string) => conversations.get(id),
    get all(): ConversationView[] {
      return [...conversations.values()];
    },
    queue(): ConversationView[] {
      return [...conversations.values()].filter((c) => c.status === 'queued').sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0));
    },
    mine(): ConversationView[] {
      return [...conversations.values()].filter(isMine).sort((a, b) => b.updatedAt - a.updatedAt);
    },
    transcript: (id: string) => transcripts.get(id),
    /** Merges a page of the REST log (`/api/conversations/:id/events`) into the transcript. */
    mergeHistory(id: string, frames: unknown[], complete: boolean): void {
      for (const raw of frames) {
        const f = raw as Record<string, unknown> & { type: string };
        if (f.type === 'message.created') {
          const m = f as unknown as MessageCreatedFrame;
          addEntry(id, { kind: 'message', seq: m.seq, message: m.message });
        } else if (f.type === 'conversation.updated' && typeof f.seq === 'number') {
          const u = f as unknown as ConversationUpdatedFrame & { seq: number };
          addEntry(id, {
            kind: 'update',
            seq: u.seq,
            change: u.change,
            at: u.at,
            conversation: u.conversation,
            ...(u.rating ? { rating: u.rating } : {}),
          });
        }
      }
      if (complete) transcriptOf(id, 0).complete = true;
      changed();
    },
    /** The conversation on screen: followed live, marked read. */
    open(id: string | null): void {
      openId = id;
      if (id) {
        follow(id, conversations.get(id)?.lastSeq ?? 0);
        unread.delete(id);
      }
      changed();
    },
    get openId() {
      return openId;
    },
    isUnread: (id: string) => unread.has(id),
    get unreadCount() {
      return unread.size;
    },
    markRead(id: string): void {
      const t = transcripts.get(id);
      unread.delete(id);
      if (t && t.lastSeq > 0) sendVolatile({ type: 'conversation.read', conversationId: id, seq: t.lastSeq });
      changed();
    },
    typingIn(id: string): { name: string } | null {
      const t = typing.get(id);
      if (!t) return null;
      if (t.until < now()) {
        typing.delete(id);
        return null;
      }
      return t;
    },
    visitorReadSeq: (id: string) => Math.max(visitorRead.get(id) ?? 0, conversations.get(id)?.readSeq ?? 0),
    setTyping(id: string, active: boolean): void {
      sendVolatile({ type: 'typing.update', conversationId: id, active });
    },
    sendMessage: (conversationId: string, text: string) => command({ type: 'message.send', conversationId, text }),
    addNote: (conversationId: string, text: string) => command({ type: 'note.add', conversationId, text }),
    claim: (conversationId: string) => command({ type: 'conversation.claim', conversationId }),
    resolve: (conversationId: string) => command({ type: 'conversation.resolve', conversationId }),
    reopen: (conversationId: string) => command({ type: 'conversation.reopen', conversationId }),
    release: (conversationId: string) => command({ type: 'conversation.release', conversationId }),
    transfer: (conversationId: string, agentId: string) => command({ type: 'conversation.transfer', conversationId, agentId }),
    /** Applies a view fetched over REST (e.g. after an own action, which the site topic does not echo to us). */
    upsert(view: ConversationView): void {
      upsert(view);
      changed();
    },
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;
