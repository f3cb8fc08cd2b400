// Live state of the console: the queue and the agent's own conversations, the transcripts of the
// conversations it follows, typing and read state. Every server frame goes through `apply` (one
// reducer over the typed AgentServerFrame union); subscribers hear once per batch. After each
// (re)connect it resubscribes with the last seq it holds, so nothing is missed and nothing is shown
// twice. Commands are settled by the socket (live/socket.ts), never left waiting.
import {
  newCid,
  type AckFrame,
  type AgentFrame,
  type AgentProfile,
  type ChatMessage,
  type ConversationChange,
  type ConversationUpdatedFrame,
  type ConversationView,
  type LoggedFrame,
  type AgentServerFrame,
} from '@servus/shared';
import type { AgentCommand } from './socket.js';

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
  /** Sends a frame (kept while offline). */
  send: (frame: AgentFrame) => void;
  /** Sends only if connected (typing, read). */
  sendVolatile: (frame: AgentFrame) => void;
  /** Sends a command; settles with its ack or rejects (the socket's CommandError). */
  command: (frame: AgentCommand) => Promise<AckFrame>;
  onAlert?: (alert: Alert) => void;
  /** Called with every conversation.updated (and `erased`), e.g. to refresh REST lists. */
  onConversationChanged?: (id: string, change: ConversationChange | 'erased') => void;
  /** How long a typing indicator lives without a refresh. */
  typingTtlMs?: number;
  now?: () => number;
}

export function createLiveStore({
  send,
  sendVolatile,
  command: sendCommand,
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
  /** Conversations erased while this console was open: an open transcript says so. */
  const erased = new Set<string>();
  const listeners = new Set<() => void>();
  let me: AgentProfile | null = null;
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

  /** Adds a logged frame (live or from the REST log) to its conversation's transcript; false if it was there. */
  function addLogged(frame: LoggedFrame): boolean {
    if (frame.type === 'message.created')
      return addEntry(frame.conversationId, { kind: 'message', seq: frame.seq, message: frame.message });
    return addEntry(frame.conversationId, {
      kind: 'update',
      seq: frame.seq,
      change: frame.change,
      at: frame.at,
      conversation: frame.conversation,
      ...(frame.rating ? { rating: frame.rating } : {}),
    });
  }

  function apply(frame: AgentServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        me = frame.agent ?? null;
        // The status the agent chose last, on whatever device (the server keeps it).
        if (me?.status) status = me.status;
        break;
      }
      case 'agent.status':
        // Changed on another tab or device.
        status = frame.status;
        break;
      case 'queue.snapshot': {
        const list = frame.conversations;
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
        const f = frame;
        const prev = conversations.get(f.conversationId);
        upsert(f.conversation);
        if (f.seq !== undefined) addLogged({ ...f, seq: f.seq });
        if (f.conversation.status === 'queued' && prev?.status !== 'queued' && (f.change === 'handoff' || f.change === 'reopened')) {
          onAlert?.({ kind: 'queued', conversation: f.conversation });
        }
        onConversationChanged?.(f.conversationId, f.change);
        break;
      }
      case 'message.created': {
        const f = frame;
        const fresh = addLogged(f);
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
        if (frame.author.type !== 'visitor') break;
        if (frame.active) typing.set(frame.conversationId, { name: frame.author.name ?? '', until: now() + typingTtlMs });
        else typing.delete(frame.conversationId);
        break;
      }
      case 'read': {
        if (frame.by === 'visitor') visitorRead.set(frame.conversationId, Math.max(visitorRead.get(frame.conversationId) ?? 0, frame.seq));
        break;
      }
      case 'conversation.erased': {
        // Its texts no longer exist: nothing of it stays in the lists or the transcripts.
        const id = frame.conversationId;
        conversations.delete(id);
        transcripts.delete(id);
        followed.delete(id);
        unread.delete(id);
        typing.delete(id);
        visitorRead.delete(id);
        erased.add(id);
        onConversationChanged?.(id, 'erased');
        break;
      }
      case 'replay.done': {
        if (frame.more) send({ type: 'conversation.subscribe', conversationId: frame.conversationId, lastSeq: frame.lastSeq });
        break;
      }
      // Acks and errors settle commands in the socket; drafts of bot answers are not shown to agents.
      case 'ack':
      case 'error':
      case 'message.delta':
        return;
    }
    changed();
  }

  /** A new command id; a retry of the same command reuses its id (the server answers a repeat with the first ack). */
  const cid = () => newCid('c');

  return {
    apply,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Everything to send after a (re)connect: hello, queue, and every followed conversation from where we are. */
    resync(sendNow: (frame: AgentFrame) => void): void {
      // No status: the server resumes the one the agent chose (kept across reloads and devices).
      sendNow({ type: 'agent.hello' });
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
    mergeHistory(id: string, frames: readonly LoggedFrame[], complete: boolean): void {
      for (const f of frames) addLogged({ ...f, conversationId: id });
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
    /** The conversation was erased while this console was open. */
    isErased: (id: string) => erased.has(id),
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
    /** Sends a reply; a retry passes the cid of the failed attempt, so a reply that did arrive is not stored twice. */
    sendMessage: (conversationId: string, text: string, messageCid = cid()) =>
      sendCommand({ type: 'message.send', cid: messageCid, conversationId, text }),
    addNote: (conversationId: string, text: string, noteCid = cid()) =>
      sendCommand({ type: 'note.add', cid: noteCid, conversationId, text }),
    claim: (conversationId: string) => sendCommand({ type: 'conversation.claim', cid: cid(), conversationId }),
    resolve: (conversationId: string) => sendCommand({ type: 'conversation.resolve', cid: cid(), conversationId }),
    reopen: (conversationId: string) => sendCommand({ type: 'conversation.reopen', cid: cid(), conversationId }),
    release: (conversationId: string) => sendCommand({ type: 'conversation.release', cid: cid(), conversationId }),
    transfer: (conversationId: string, agentId: string) =>
      sendCommand({ type: 'conversation.transfer', cid: cid(), conversationId, agentId }),
    /** Applies a view fetched over REST (e.g. after an own action, which the site topic does not echo to us). */
    upsert(view: ConversationView): void {
      upsert(view);
      changed();
    },
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;
