// Protocol v1: every frame a client or the server may send, as zod schemas (the server validates
// with them) and the TypeScript types inferred from them (the widget and console import types only).
// Names follow `resource.verb`. See docs/protocol.md for the prose version.
import { z } from 'zod';
import { DEFAULT_LIMITS } from './limits.js';
import type { ErrorCode } from './codes.js';
import { cleanText } from './text.js';

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an opaque id');
const cid = z
  .string()
  .min(1)
  .max(DEFAULT_LIMITS.maxCidChars)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits, or _ . : -');
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Any free text: cleaned of what no database can store (text.ts) before any other check. */
export const storableString = () => z.string().overwrite(cleanText);
/** Message text: non-empty once cleaned, at most maxMessageChars. The server may lower the limit. */
const text = storableString()
  .max(DEFAULT_LIMITS.maxMessageChars, `at most ${DEFAULT_LIMITS.maxMessageChars} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty');
const shortText = (max: number) => storableString().max(max);

export const ConversationStatus = {
  BOT: 'bot',
  QUEUED: 'queued',
  ASSIGNED: 'assigned',
  RESOLVED: 'resolved',
} as const;
export type ConversationStatus = (typeof ConversationStatus)[keyof typeof ConversationStatus];

export const AuthorType = { VISITOR: 'visitor', BOT: 'bot', AGENT: 'agent', SYSTEM: 'system' } as const;
export type AuthorType = (typeof AuthorType)[keyof typeof AuthorType];

// ---------------------------------------------------------------------------------------------
// Client → server: visitor

export const visitorContextSchema = z.object({
  url: shortText(2048).optional(),
  title: shortText(512).optional(),
  referrer: shortText(2048).optional(),
  lang: shortText(35).optional(),
  timezone: shortText(64).optional(),
  /** The proactive rule whose greeting the visitor saw before starting this chat (attribution). */
  proactiveRuleId: shortText(64).optional(),
});
export type VisitorContext = z.infer<typeof visitorContextSchema>;

const resume = z.object({ conversationId: id, lastSeq: seq });

export const visitorHello = z.object({
  type: z.literal('visitor.hello'),
  /** The visitor token, when not already given in the Sec-WebSocket-Protocol header. */
  token: z.string().min(16).max(128).optional(),
  resume: resume.optional(),
  context: visitorContextSchema.optional(),
});

export const messageSend = z.object({
  type: z.literal('message.send'),
  cid,
  /** Visitors may omit it: the message goes to their current conversation (created if none). */
  conversationId: id.optional(),
  text,
});

export const typingUpdate = z.object({
  type: z.literal('typing.update'),
  conversationId: id,
  active: z.boolean(),
});

export const conversationRead = z.object({
  type: z.literal('conversation.read'),
  conversationId: id,
  seq,
});

export const conversationResume = z.object({
  type: z.literal('conversation.resume'),
  conversationId: id,
  lastSeq: seq,
});

export const handoffRequest = z.object({
  type: z.literal('handoff.request'),
  cid,
  conversationId: id.optional(),
});

export const conversationRate = z
  .object({
    type: z.literal('conversation.rate'),
    cid,
    conversationId: id,
    csat: z.number().int().min(1).max(5).optional(),
    nps: z.number().int().min(0).max(10).optional(),
    ces: z.number().int().min(1).max(7).optional(),
    comment: shortText(1000).optional(),
  })
  .refine((r) => r.csat !== undefined || r.nps !== undefined || r.ces !== undefined, {
    message: 'give at least one of csat, nps, ces',
  });

export const visitorIdentify = z.object({
  type: z.literal('visitor.identify'),
  cid,
  id: storableString().min(1).max(128),
  name: shortText(200).optional(),
  email: z.email().max(254).optional(),
  /** HMAC-SHA256(id, site secret), hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/i, 'must be a hex HMAC-SHA256'),
});

export const conversationClose = z.object({
  type: z.literal('conversation.close'),
  cid,
  conversationId: id,
});

/** Pre-chat form: who the visitor says they are (not verified: shown to agents as unverified). */
export const visitorProfile = z.object({
  type: z.literal('visitor.profile'),
  cid,
  name: shortText(200).optional(),
  email: z.email().max(254).optional(),
});

/** Offline form: when nobody can take the chat, leave an email and a message (the conversation waits as a ticket). */
export const offlineSubmit = z.object({
  type: z.literal('offline.submit'),
  cid,
  conversationId: id.optional(),
  email: z.email().max(254),
  message: text,
});

/** Email me this conversation. Without `email`, the address the visitor gave before is used. */
export const conversationTranscript = z.object({
  type: z.literal('conversation.transcript'),
  cid,
  conversationId: id,
  email: z.email().max(254).optional(),
});

export const visitorFrame = z.discriminatedUnion('type', [
  conversationTranscript,
  visitorProfile,
  offlineSubmit,
  visitorHello,
  messageSend,
  typingUpdate,
  conversationRead,
  conversationResume,
  handoffRequest,
  conversationRate,
  visitorIdentify,
  conversationClose,
]);
export type VisitorFrame = z.infer<typeof visitorFrame>;

// ---------------------------------------------------------------------------------------------
// Client → server: agent

export const agentHello = z.object({
  type: z.literal('agent.hello'),
  status: z.enum(['online', 'away', 'offline']).optional(),
});

export const queueSubscribe = z.object({ type: z.literal('queue.subscribe') });

export const conversationSubscribe = z.object({
  type: z.literal('conversation.subscribe'),
  conversationId: id,
  lastSeq: seq,
});

export const conversationUnsubscribe = z.object({
  type: z.literal('conversation.unsubscribe'),
  conversationId: id,
});

export const conversationClaim = z.object({
  type: z.literal('conversation.claim'),
  cid,
  conversationId: id,
});

export const noteAdd = z.object({
  type: z.literal('note.add'),
  cid,
  conversationId: id,
  text,
});

export const agentMessageSend = messageSend.extend({ conversationId: id });

export const conversationTransfer = z.object({
  type: z.literal('conversation.transfer'),
  cid,
  conversationId: id,
  agentId: id,
});

export const conversationResolve = z.object({
  type: z.literal('conversation.resolve'),
  cid,
  conversationId: id,
});

/** Reopen a resolved conversation to follow up; it is assigned to the agent who reopens it. */
export const conversationReopen = z.object({
  type: z.literal('conversation.reopen'),
  cid,
  conversationId: id,
});

export const conversationRelease = z.object({
  type: z.literal('conversation.release'),
  cid,
  conversationId: id,
});

export const agentStatusSet = z.object({
  type: z.literal('agent.status'),
  status: z.enum(['online', 'away', 'offline']),
});

export const agentFrame = z.discriminatedUnion('type', [
  agentHello,
  queueSubscribe,
  conversationSubscribe,
  conversationUnsubscribe,
  conversationClaim,
  agentMessageSend,
  noteAdd,
  typingUpdate,
  conversationRead,
  conversationTransfer,
  conversationResolve,
  conversationRelease,
  conversationReopen,
  agentStatusSet,
]);
export type AgentFrame = z.infer<typeof agentFrame>;

// ---------------------------------------------------------------------------------------------
// Server → client. Only types: the server builds these, the clients read them.

export interface Author {
  type: AuthorType;
  id?: string;
  name?: string;
}

export interface Suggestion {
  /** FAQ entry id. */
  id: string;
  title: string;
}

export interface ChatMessage {
  id: string;
  /** Per-conversation sequence number as seen by the receiving side. */
  seq: number;
  kind: 'text' | 'note' | 'system';
  author: Author;
  text: string;
  /** Epoch milliseconds. */
  at: number;
  cid?: string;
  /** Bot replies: quick replies the widget offers. */
  suggestions?: Suggestion[];
  /** Agent view only: what the bot knew (FAQ entry, confidence, handoff reason). */
  bot?: { faqId?: string; confidence?: number; intent?: string; outcome?: string };
  /** Set when this message completes a streamed draft (`message.delta` frames with this id). */
  streamId?: string;
  /** Agent view only: left through the offline form, with the email to answer to. */
  offline?: { email: string };
}

export interface QueueInfo {
  /** 1-based place in the queue. */
  position: number;
  /** Expected wait in seconds, or null when no agent can take the chat now (offer the offline form). */
  expectedWaitSeconds: number | null;
  agentsOnline: number;
  /** Outside business hours: closed, and when the team is back (epoch ms, null if unknown). */
  closed?: { opensAt: number | null };
}

export interface ConversationView {
  id: string;
  siteKey: string;
  status: ConversationStatus;
  lastSeq: number;
  assignee: { id: string; name: string } | null;
  queue: QueueInfo | null;
  /** Highest seq the other side has read. */
  readSeq: number;
  createdAt: number;
  updatedAt: number;
  /** Agent view only. */
  visitor?: { id: string; name?: string; email?: string; verified: boolean };
  handoffReason?: string | null;
  lastMessage?: { text: string; at: number; author: AuthorType } | null;
  queuedAt?: number | null;
}

export type ConversationChange =
  'created' | 'handoff' | 'assigned' | 'transferred' | 'released' | 'resolved' | 'reopened' | 'rated' | 'identified' | 'queue';

export interface WelcomeFrame {
  type: 'welcome';
  role: 'visitor' | 'agent';
  protocol: 1;
  serverTime: number;
  limits: { maxMessageChars: number; maxFrameBytes: number; visitorMessagesPerWindow: number; rateWindowMs: number };
  /** Visitor: their id, and a token when one was just issued (store it; it is never sent again). */
  visitorId?: string;
  token?: string;
  identified?: boolean;
  /** Visitor: their current conversation, if any. */
  conversation?: ConversationView | null;
  /** Agent: who they are. */
  agent?: { id: string; name: string; email: string; role: 'admin' | 'agent'; siteKeys: string[] };
}

export interface AckFrame {
  type: 'ack';
  cid: string;
  conversationId?: string;
  /** Stored id of the message or event the command created. */
  id?: string;
  seq?: number;
  /** True when this ack answers a retry of a command that had already taken effect. */
  duplicate?: boolean;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  cid?: string;
  /** For BAD_FRAME: which field was wrong. */
  path?: string;
}

export interface MessageCreatedFrame {
  type: 'message.created';
  conversationId: string;
  seq: number;
  message: ChatMessage;
}

export interface ConversationUpdatedFrame {
  type: 'conversation.updated';
  conversationId: string;
  /** Present when the change is part of the conversation's log (status, assignment, rating). */
  seq?: number;
  change: ConversationChange;
  conversation: ConversationView;
  /** For 'rated'. */
  rating?: { csat?: number; nps?: number; ces?: number; comment?: string };
  at: number;
}

export interface TypingFrame {
  type: 'typing';
  conversationId: string;
  author: Author;
  active: boolean;
}

export interface ReadFrame {
  type: 'read';
  conversationId: string;
  by: 'visitor' | 'agent';
  seq: number;
}

export interface ReplayDoneFrame {
  type: 'replay.done';
  conversationId: string;
  /** Highest seq sent so far; with `more`, resume again from here. */
  lastSeq: number;
  more: boolean;
}

/**
 * A bot answer being generated (LLM engine): ephemeral text so far, not logged, no seq. The final
 * answer arrives as `message.created` whose `message.streamId` equals `streamId`; the client then
 * drops the draft. `done: true` without a final message means the draft is abandoned.
 */
export interface MessageDeltaFrame {
  type: 'message.delta';
  conversationId: string;
  streamId: string;
  /** The text appended since the previous delta. */
  delta: string;
  done?: boolean;
}

export interface QueueSnapshotFrame {
  type: 'queue.snapshot';
  conversations: ConversationView[];
}

export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | ErrorFrame
  | MessageCreatedFrame
  | ConversationUpdatedFrame
  | TypingFrame
  | ReadFrame
  | ReplayDoneFrame
  | MessageDeltaFrame
  | QueueSnapshotFrame;

/** Frames that belong to a conversation's log: clients track `seq` on these to resume. */
export type LoggedFrame = MessageCreatedFrame | (ConversationUpdatedFrame & { seq: number });
