// Committed changes: after a write commits (never before, never for one that rolled back), one
// typed change says what was written, the conversation's new state and who caused it. Every side
// effect subscribes here: realtime fan-out, queue updates and auto-assignment, metrics, mail; later
// webhooks, the audit log and delivery to other instances. A new side effect is a new subscriber.
//
// Subscribers run synchronously, in the order they subscribed, right after the commit and before
// the command's caller resumes: changes reach them in commit order (frames in seq order). A
// subscriber that throws is logged and the others still run; one that has slow work to do starts it
// and returns.
import type { ConversationChange, QueueInfo } from '@servus/shared';
import type { Logger } from '../core/logger.js';
import type { ConversationRow, EventRow } from './views.js';

/** Who caused a change. */
export type ChangeCause =
  | { kind: 'visitor'; id: string }
  | { kind: 'agent'; id: string; name: string }
  /** An integration through the REST API (the token's id and name). */
  | { kind: 'integration'; id: string; name: string }
  /** The bot's deferred (model) answer, logged after the visitor's message. */
  | { kind: 'bot' }
  /** Auto-assignment, an absent agent's chats going back to the queue. */
  | { kind: 'system' };

/** Events were logged in a conversation (and its row changed with them). */
export interface ConversationCommitted {
  type: 'conversation';
  /** The conversation as committed. Subscribers must not change it. */
  conversation: Readonly<ConversationRow>;
  /** The events written, in seq order (may be empty only when `change` is 'created'). */
  events: readonly EventRow[];
  /** The lifecycle change, if any; 'created' for a new conversation. */
  change: ConversationChange | null;
  /** The site's queue gained or lost this conversation (positions of the others moved). */
  queueChanged: boolean;
  cause: ChangeCause;
  /** Read inside the transaction, so subscribers need no query: the assignee's name, the queue place. */
  assigneeName: string | null;
  queue: QueueInfo | null;
  /** The agent message that was the conversation's first human reply, if one of `events`. */
  firstHumanReplyId: string | null;
}

/** A read marker moved (no event is logged for it). */
export interface ReadCommitted {
  type: 'read';
  conversation: Readonly<ConversationRow>;
  by: 'visitor' | 'agent';
  /** The marker in the agents' sequence and in the visitor's. */
  agentSeq: number;
  visitorSeq: number;
}

export type CommittedChange = ConversationCommitted | ReadCommitted;

export type ChangeListener = (change: CommittedChange) => void;

export interface ChangeStream {
  emit(change: CommittedChange): void;
  /** `name` appears in the log when the listener throws. Returns the unsubscribe function. */
  subscribe(name: string, listener: ChangeListener): () => void;
}

export function createChangeStream({ logger }: { logger?: Logger | undefined } = {}): ChangeStream {
  const listeners: { name: string; listener: ChangeListener }[] = [];
  return {
    emit(change) {
      for (const { name, listener } of listeners) {
        try {
          listener(change);
        } catch (err) {
          logger?.error({ err, subscriber: name, conversationId: change.conversation.id }, 'change subscriber failed');
        }
      }
    },
    subscribe(name, listener) {
      const entry = { name, listener };
      listeners.push(entry);
      return () => {
        const i = listeners.indexOf(entry);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
  };
}
