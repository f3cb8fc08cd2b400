// Protocol v1, zod-free: the constants every side shares and the frames the server sends, as a
// tagged union on `type` (`resource.verb`). The frames clients send are zod schemas in
// ./schemas/frames.ts (the server validates with them); their types are re-exported here as types
// only, so importing this module never pulls zod into a bundle. Prose: docs/protocol.md.
import type { ErrorCode } from './codes.js';
import type { AgentPresence, AgentProfile } from './rest.js';

export type {
  VisitorContext,
  VisitorFrame,
  AgentFrame,
  VisitorHelloFrame,
  MessageSendFrame,
  AgentMessageSendFrame,
  TypingUpdateFrame,
  ConversationReadFrame,
  ConversationResumeFrame,
  HandoffRequestFrame,
  ConversationRateFrame,
  VisitorIdentifyFrame,
  ConversationCloseFrame,
  VisitorProfileFrame,
  OfflineSubmitFrame,
  ConversationTranscriptFrame,
  AgentHelloFrame,
  QueueSubscribeFrame,
  ConversationSubscribeFrame,
  ConversationUnsubscribeFrame,
  ConversationClaimFrame,
  NoteAddFrame,
  ConversationTransferFrame,
  ConversationResolveFrame,
  ConversationReopenFrame,
  ConversationReleaseFrame,
  AgentStatusFrame,
  AnswerFeedbackFrame,
} from './schemas/frames.js';

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
  /** Visitor view only: a bot answer the visitor may judge ("did this answer your question?", `answer.feedback`). */
  askFeedback?: true;
  /** A file or image sent in the conversation (`text` is then its name); docs/attachments.md. */
  attachment?: AttachmentInfo;
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
  lastMessage?: { text: string; at: number; author: AuthorType; attachment?: { name: string; type: string } } | null;
  queuedAt?: number | null;
}

export type ConversationChange =
  'created' | 'handoff' | 'assigned' | 'transferred' | 'released' | 'resolved' | 'reopened' | 'rated' | 'identified' | 'queue';

/** What the server enforces, so a client can check before sending. */
export interface WelcomeLimits {
  maxMessageChars: number;
  maxFrameBytes: number;
  visitorMessagesPerWindow: number;
  rateWindowMs: number;
}

interface WelcomeBase {
  type: 'welcome';
  protocol: 1;
  serverTime: number;
  limits: WelcomeLimits;
}

/** The answer to `visitor.hello`. */
export interface VisitorWelcomeFrame extends WelcomeBase {
  role: 'visitor';
  visitorId: string;
  /** Only when one was just issued: store it, it is never sent again. */
  token?: string;
  /** A verified `identify` is on record for this visitor. */
  identified: boolean;
  /** Their current conversation, if any. */
  conversation: ConversationView | null;
}

/** The answer to `agent.hello`. */
export interface AgentWelcomeFrame extends WelcomeBase {
  role: 'agent';
  agent: AgentProfile;
}

export type WelcomeFrame = VisitorWelcomeFrame | AgentWelcomeFrame;

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

/**
 * A conversation was erased (GDPR: by an admin, the visitor's own request or retention): drop it from
 * every list, and an open transcript shows that it is gone. Sent to agents following it or its site's queue.
 */
export interface ConversationErasedFrame {
  type: 'conversation.erased';
  conversationId: string;
  siteKey: string;
}

/** Frames both endpoints send. */
type CommonServerFrame =
  AckFrame | ErrorFrame | MessageCreatedFrame | ConversationUpdatedFrame | TypingFrame | ReadFrame | ReplayDoneFrame | MessageDeltaFrame;

/** Every frame `/ws/visitor` sends. */
export type VisitorServerFrame = VisitorWelcomeFrame | CommonServerFrame;

/** The agent's status changed on another of their sockets (another tab or device): show it. */
export interface AgentStatusChangedFrame {
  type: 'agent.status';
  status: AgentPresence;
}

/** Every frame `/ws/agent` sends. */
export type AgentServerFrame =
  AgentWelcomeFrame | QueueSnapshotFrame | AgentStatusChangedFrame | ConversationErasedFrame | CommonServerFrame;

/** Every frame the server sends, tagged by `type`: welcome, ack, error, message.created, message.delta, conversation.updated, typing, read, replay.done, queue.snapshot, agent.status, conversation.erased. */
export type ServerFrame = VisitorServerFrame | AgentServerFrame;

/** The `type` of every server frame, for code that needs the list at run time (docs/protocol.md lists the same). */
export const SERVER_FRAME_TYPES = [
  'welcome',
  'ack',
  'error',
  'message.created',
  'message.delta',
  'conversation.updated',
  'typing',
  'read',
  'replay.done',
  'queue.snapshot',
  'agent.status',
  'conversation.erased',
] as const satisfies readonly ServerFrame['type'][];

/** Frames that belong to a conversation's log: clients track `seq` on these to resume. */
export type LoggedFrame = MessageCreatedFrame | (ConversationUpdatedFrame & { seq: number });

/**
 * A file in a conversation: uploaded over HTTP (`POST /api/visitor/attachments`, `POST
 * /api/conversations/:id/attachments`), logged as a message event whose `attachment` this is.
 */
export interface AttachmentInfo {
  /** Unguessable (128 random bits); the download path is `/api/visitor/attachments/:id` or `/api/attachments/:id`. */
  id: string;
  /** The file name as given (sanitised: no path, no control characters). */
  name: string;
  /** The type sniffed from the bytes (never the name's or the upload's claim), e.g. image/png, application/pdf. */
  type: string;
  size: number;
  /** Images only: pixel size, read from the image's header. */
  width?: number;
  height?: number;
  /** Shown inline (raster images: JPEG, PNG, GIF, WebP); anything else is only ever a download. */
  inline: boolean;
}
