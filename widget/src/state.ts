// The conversation as the visitor sees it: one reducer over server frames and local actions
// (send, reject, retry, reset). Pure, so it is tested without a socket or a DOM.
import type { AttachmentInfo, Author, ChatMessage, ConversationView, Suggestion, VisitorServerFrame } from '@servus/shared';
import type { ConnectionStatus } from './transport.js';

export type Delivery = 'sending' | 'sent' | 'failed' | 'read';

export interface Msg {
  /** Stable render key: the cid for the visitor's own messages, else the message id. */
  key: string;
  id?: string;
  seq?: number;
  cid?: string;
  kind: ChatMessage['kind'];
  author: Author;
  text: string;
  at: number;
  suggestions?: Suggestion[];
  /** A bot answer the visitor may judge ("did this answer your question?"). */
  ask?: true | undefined;
  /** Own messages only. */
  delivery?: Delivery;
  /** A streamed bot draft that is still being written. */
  draft?: boolean;
  attachment?: AttachmentInfo;
}

export interface State {
  conversationId: string | null;
  conversation: ConversationView | null;
  /** Highest contiguous seq of the current conversation (what we resume from). */
  lastSeq: number;
  /** Set when a frame skipped a seq: the app asks the server to resume from lastSeq. */
  gap: boolean;
  messages: Msg[];
  drafts: Record<string, Msg>;
  typing: Author | null;
  /** Highest seq the team has read (for "read" ticks). */
  teamReadSeq: number;
  /** Rated since the last resolve. */
  rated: boolean;
  connection: ConnectionStatus;
  maxChars: number;
}

export type Action =
  | { type: 'frame'; frame: VisitorServerFrame }
  | { type: 'local.send'; cid: string; text: string; at: number }
  | { type: 'local.failed'; cid: string }
  | { type: 'local.retry'; cid: string }
  | { type: 'local.rated' }
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'typing.expired' }
  | { type: 'reset' };

export const initialState = (maxChars = 4000): State => ({
  conversationId: null,
  conversation: null,
  lastSeq: 0,
  gap: false,
  messages: [],
  drafts: {},
  typing: null,
  teamReadSeq: 0,
  rated: false,
  connection: 'idle',
  maxChars,
});

const VISITOR: Author = { type: 'visitor' };

function fromServer(m: ChatMessage, teamReadSeq: number): Msg {
  const own = m.author.type === 'visitor';
  // The server's message as it is (its other fields do no harm), keyed and with its delivery.
  return {
    ...m,
    key: (own && m.cid) || m.id,
    ask: m.askFeedback,
    ...(own ? { delivery: m.seq <= teamReadSeq ? 'read' : 'sent' } : {}),
  };
}

/** Advances lastSeq when `seq` is the next one; flags a gap when it skips ahead. */
function trackSeq(s: State, seq: number): Pick<State, 'lastSeq' | 'gap'> {
  // The next seq advances; a later one leaves a gap (to be replayed); an earlier one changes nothing.
  return { lastSeq: seq === s.lastSeq + 1 ? seq : s.lastSeq, gap: s.gap || seq > s.lastSeq + 1 };
}

const withReadTicks = (messages: Msg[], readSeq: number) =>
  messages.map((m) => (m.delivery === 'sent' && m.seq !== undefined && m.seq <= readSeq ? { ...m, delivery: 'read' as const } : m));

/** A frame for another conversation than ours: the server started a new one (or we had none). */
function switchTo(s: State, conversationId: string): State {
  if (s.conversationId === conversationId) return s;
  // Keep what is on screen (the old conversation stays readable), restart the seq count.
  return { ...s, conversationId, conversation: null, lastSeq: 0, gap: false, teamReadSeq: 0, rated: false };
}

function onFrame(state: State, f: VisitorServerFrame): State {
  switch (f.type) {
    case 'welcome': {
      const conv = f.conversation ?? null;
      const max = f.limits?.maxMessageChars ?? state.maxChars;
      if (!conv) return { ...state, maxChars: max };
      const s = switchTo({ ...state, maxChars: max }, conv.id);
      return { ...s, conversation: conv, teamReadSeq: Math.max(s.teamReadSeq, conv.readSeq), rated: s.rated };
    }
    case 'message.created': {
      let s = switchTo(state, f.conversationId);
      const seqs = trackSeq(s, f.seq);
      if (f.message.kind === 'note') return { ...s, ...seqs };
      const msg = fromServer(f.message, s.teamReadSeq);
      const drafts = { ...s.drafts };
      if (f.message.streamId) delete drafts[f.message.streamId];
      // Replace our optimistic copy (same cid), skip replays of what we have (same id).
      const messages = s.messages.filter((m) => m.id !== msg.id && !(msg.cid && m.cid === msg.cid && m.author.type === 'visitor'));
      messages.push(msg);
      s = { ...s, ...seqs, messages, drafts };
      if (f.message.author.type !== 'visitor' && s.typing && s.typing.type === f.message.author.type) s = { ...s, typing: null };
      return s;
    }
    case 'conversation.updated': {
      const s = switchTo(state, f.conversationId);
      const seqs = f.seq !== undefined ? trackSeq(s, f.seq) : {};
      const rated = f.change === 'rated' ? true : f.change === 'resolved' || f.change === 'reopened' ? false : s.rated;
      const typing = f.conversation.status === 'resolved' ? null : s.typing;
      return { ...s, ...seqs, conversation: f.conversation, rated, typing };
    }
    case 'ack': {
      if (f.seq === undefined) return state;
      let touched = false;
      const messages = state.messages.map((m) => {
        if (m.cid !== f.cid || m.delivery !== 'sending') return m;
        touched = true;
        return { ...m, seq: f.seq, ...(f.id ? { id: f.id } : {}), delivery: 'sent' as const };
      });
      return touched ? { ...state, messages, conversationId: state.conversationId ?? f.conversationId ?? null } : state;
    }
    case 'read':
      if (f.by !== 'agent' || f.conversationId !== state.conversationId) return state;
      return { ...state, teamReadSeq: Math.max(state.teamReadSeq, f.seq), messages: withReadTicks(state.messages, f.seq) };
    case 'typing':
      if (f.author.type === 'visitor' || (state.conversationId && f.conversationId !== state.conversationId)) return state;
      return { ...state, typing: f.active ? f.author : null };
    case 'message.delta': {
      const prev = state.drafts[f.streamId];
      const drafts = { ...state.drafts };
      if (f.done && !prev) return state;
      if (f.done && !f.delta) {
        delete drafts[f.streamId];
        return { ...state, drafts };
      }
      drafts[f.streamId] = {
        key: 'draft-' + f.streamId,
        kind: 'text',
        author: prev?.author ?? { type: 'bot' },
        text: (prev?.text ?? '') + f.delta,
        at: prev?.at ?? Date.now(),
        draft: true,
      };
      return { ...state, drafts, typing: null };
    }
    default:
      return state;
  }
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'frame':
      return onFrame(state, action.frame);
    case 'local.send':
      return {
        ...state,
        messages: [
          ...state.messages,
          { key: action.cid, cid: action.cid, kind: 'text', author: VISITOR, text: action.text, at: action.at, delivery: 'sending' },
        ],
      };
    case 'local.failed':
    case 'local.retry': {
      const delivery: Delivery = action.type === 'local.failed' ? 'failed' : 'sending';
      return { ...state, messages: state.messages.map((m) => (m.cid === action.cid && m.delivery !== 'sent' ? { ...m, delivery } : m)) };
    }
    case 'local.rated':
      return { ...state, rated: true };
    case 'connection':
      return { ...state, connection: action.status };
    case 'typing.expired':
      return { ...state, typing: null };
    case 'reset':
      return { ...initialState(state.maxChars), connection: state.connection };
  }
}

/** Messages from the team or bot newer than `readSeq` (for the launcher badge). */
export function unreadCount(state: State, readSeq: number): number {
  let n = 0;
  for (const m of state.messages) if (m.author.type !== 'visitor' && m.kind === 'text' && (m.seq ?? 0) > readSeq) n++;
  return n;
}

/** The suggestions of the latest bot message, if it is the last message (quick replies). */
export function quickReplies(state: State): Suggestion[] {
  const last = state.messages[state.messages.length - 1];
  return last && last.author.type === 'bot' && last.suggestions ? last.suggestions : [];
}
