// The client → server frames of protocol v1 as zod schemas: the server validates every frame with
// them (`@servus/shared/schemas`). The TypeScript types are inferred here; the zod-free entry
// (`@servus/shared`) re-exports the types only, so the widget and console never bundle zod.
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../limits.js';
import { cleanText } from '../text.js';

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
/** Message text: trimmed, non-empty, at most maxMessageChars. The server may lower the limit. */
/** Any free text: cleaned of what no database can store (../text.ts) before any other check. */
export const storableString = () => z.string().overwrite(cleanText);
/** Message text: non-empty once cleaned, at most maxMessageChars. The server may lower the limit. */
const text = storableString()
  .max(DEFAULT_LIMITS.maxMessageChars, `at most ${DEFAULT_LIMITS.maxMessageChars} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty');
const shortText = (max: number) => storableString().max(max);

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

export const visitorIdentify = z
  .object({
    type: z.literal('visitor.identify'),
    cid,
    id: storableString().min(1).max(128).optional(),
    name: shortText(200).optional(),
    email: z.email().max(254).optional(),
    /** HMAC-SHA256(id, site secret), hex. */
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'must be a hex HMAC-SHA256')
      .optional(),
    /** Or the site's login as a JWT: HS256 with the site secret, `sub` the id, `exp` required, `name` and `email` optional. */
    jwt: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWT')
      .optional(),
  })
  .refine((f) => (f.jwt !== undefined ? f.id === undefined && f.hash === undefined : f.id !== undefined && f.hash !== undefined), {
    message: 'send id and hash, or jwt',
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

/**
 * "Did this answer your question?" under a bot answer (a message with `askFeedback`): yes or no.
 * The bot replies to it (a "no" with the answer's suggestions and the offer of a person) and the
 * site's bot learns from it (docs/bot-learning.md).
 */
export const answerFeedback = z.object({
  type: z.literal('answer.feedback'),
  cid,
  conversationId: id,
  /** The bot answer judged. */
  messageId: id,
  helpful: z.boolean(),
});

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CID_PATTERN = new RegExp(`^[A-Za-z0-9_.:-]{1,${DEFAULT_LIMITS.maxCidChars}}$`);

/**
 * The most frequent frame, `message.send`, checked without zod: the same rules as messageSend
 * (agentMessageSend when `needsConversation`) and the same result, a new object with only the
 * known fields. Null whenever the frame is not a plainly valid message (another type, a field
 * wrong or of the wrong type): then the full schema decides, and words the error.
 */
export function quickMessageSend(
  raw: unknown,
  needsConversation: boolean,
): { type: 'message.send'; cid: string; text: string; conversationId?: string } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { type, cid, text, conversationId } = raw as Record<string, unknown>;
  if (type !== 'message.send' || typeof cid !== 'string' || typeof text !== 'string' || !CID_PATTERN.test(cid)) return null;
  if (conversationId === undefined ? needsConversation : typeof conversationId !== 'string' || !ID_PATTERN.test(conversationId))
    return null;
  const clean = cleanText(text);
  if (clean.length > DEFAULT_LIMITS.maxMessageChars || clean.trim().length === 0) return null;
  return conversationId === undefined ? { type, cid, text: clean } : { type, cid, conversationId: conversationId as string, text: clean };
}

export const visitorFrame = z.discriminatedUnion('type', [
  answerFeedback,
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

// One type per command, for code that builds a frame (the clients) or handles one (the server).
export type VisitorHelloFrame = z.infer<typeof visitorHello>;
export type MessageSendFrame = z.infer<typeof messageSend>;
export type AgentMessageSendFrame = z.infer<typeof agentMessageSend>;
export type TypingUpdateFrame = z.infer<typeof typingUpdate>;
export type ConversationReadFrame = z.infer<typeof conversationRead>;
export type ConversationResumeFrame = z.infer<typeof conversationResume>;
export type HandoffRequestFrame = z.infer<typeof handoffRequest>;
export type ConversationRateFrame = z.infer<typeof conversationRate>;
export type VisitorIdentifyFrame = z.infer<typeof visitorIdentify>;
export type ConversationCloseFrame = z.infer<typeof conversationClose>;
export type VisitorProfileFrame = z.infer<typeof visitorProfile>;
export type OfflineSubmitFrame = z.infer<typeof offlineSubmit>;
export type ConversationTranscriptFrame = z.infer<typeof conversationTranscript>;
export type AgentHelloFrame = z.infer<typeof agentHello>;
export type QueueSubscribeFrame = z.infer<typeof queueSubscribe>;
export type ConversationSubscribeFrame = z.infer<typeof conversationSubscribe>;
export type ConversationUnsubscribeFrame = z.infer<typeof conversationUnsubscribe>;
export type ConversationClaimFrame = z.infer<typeof conversationClaim>;
export type NoteAddFrame = z.infer<typeof noteAdd>;
export type ConversationTransferFrame = z.infer<typeof conversationTransfer>;
export type ConversationResolveFrame = z.infer<typeof conversationResolve>;
export type ConversationReopenFrame = z.infer<typeof conversationReopen>;
export type ConversationReleaseFrame = z.infer<typeof conversationRelease>;
export type AgentStatusFrame = z.infer<typeof agentStatusSet>;
export type AnswerFeedbackFrame = z.infer<typeof answerFeedback>;
