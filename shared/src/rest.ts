// The REST answers the console and the widget read, written once: the server's handlers check what
// they return against these (`satisfies`), the clients type their fetches with them. Types only.
// Routes: docs/protocol.md (REST); metrics: ./metrics.ts; site settings: ./site-settings.ts.
import type { ErrorCode, FieldIssueKind } from './codes.js';
import type { AckFrame, AttachmentInfo, ConversationView, LoggedFrame } from './protocol.js';
import type { LauncherOffset, SiteSettings } from './site-settings.js';
import type { ProactiveRuleStats } from './metrics.js';

/**
 * Every failed request: `{ error: { code, message, path?, issues? } }`, `path` naming the (first)
 * invalid field; a refused body or query (`BAD_FRAME`) lists every problem found in `issues`.
 */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; path?: string; issues?: FieldIssue[] };
}

/** One problem with one field of a refused request. */
export interface FieldIssue {
  /** The field, dotted: `settings.allowedOrigins.2` (empty: the whole body). */
  path: string;
  kind: FieldIssueKind;
  /** The bound of a `too_*` kind (characters, the number, entries). */
  limit?: number;
  /** The server's own words, in English, without the path. */
  message: string;
}

/** What a write without a resource to return answers. */
export interface OkResponse {
  ok: true;
}

// ---- agents and their session

export type AgentRole = 'admin' | 'agent';
export type AgentPresence = 'online' | 'away' | 'offline';

/** The signed-in agent: `POST /api/auth/login`, `GET /api/auth/me` (`{ agent }`), and the socket's welcome. */
export interface AgentProfile {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  siteKeys: string[];
  /** The status the agent chose, kept across reloads and devices until they change it. */
  status: AgentPresence;
  /** Shown instead of the initials of the name (1 to 3 characters), or null. */
  initials: string | null;
  /** The console's language the agent chose, or null (the browser's). */
  lang: 'de' | 'en' | null;
}

export interface AgentSessionResponse {
  agent: AgentProfile;
}

/** One row of `GET /api/agents`: the agents of the caller's sites, with presence and load. */
export interface AgentRow {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  capacity: number;
  status: AgentPresence;
  /** Conversations assigned to the agent and not resolved. */
  openChats: number;
  initials: string | null;
  /** The agent's sites (admins see all of them; other agents only those they share). */
  siteKeys: string[];
  /** False: deactivated by an admin (cannot log in, takes no chats). */
  active: boolean;
}

export interface AgentListResponse {
  agents: AgentRow[];
}

/** `POST /api/agents` → 201 `{ agent }`. */
export interface AgentCreatedResponse {
  agent: { id: string; name: string; email: string; role: AgentRole; capacity: number };
}

// ---- conversations

/** `GET /api/conversations?status&mine&q&label&limit&before`. */
export interface ConversationListResponse {
  conversations: ConversationView[];
}

/** The visitor as `GET /api/conversations/:id` shows them to agents. */
export interface VisitorDetail {
  id: string;
  name: string | null;
  email: string | null;
  /** The id the site gave with a verified `identify`; null unless verified. */
  externalId: string | null;
  verified: boolean;
  /** What the widget reported in its hello (url, title, referrer, lang, timezone, userAgent, ...). */
  context: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number;
}

/** `GET /api/conversations/:id`: the conversation, its visitor, the visitor's earlier ones and the labels. */
export interface ConversationDetail {
  conversation: ConversationView;
  visitor: VisitorDetail;
  /** The visitor's other conversations, newest first (at most 20). */
  earlier: ConversationView[];
  labels: string[];
}

/** `GET /api/conversations/:id/events?after=SEQ`: one page of the log, as the frames a replay sends. */
export interface ConversationEventsResponse {
  events: LoggedFrame[];
  /** More events follow: ask again with `after` = the highest seq of this page. */
  more: boolean;
}

/** `GET /api/visitor/conversations/:id/events?after=SEQ`: the visitor's view of the log. */
export interface VisitorConversationEventsResponse extends ConversationEventsResponse {
  conversation: ConversationView;
}

/** `PUT /api/conversations/:id/labels` `{ labels }` answers the stored set, sorted. */
export interface ConversationLabelsResponse {
  labels: string[];
}

// ---- canned responses

export interface CannedResponse {
  id: string;
  /** Typed after `/` in the composer. */
  shortcut: string;
  text: string;
}

export interface CannedListResponse {
  canned: CannedResponse[];
}

/** `POST /api/canned` → 201 `{ canned }`. */
export interface CannedCreatedResponse {
  canned: CannedResponse;
}

// ---- the FAQ editor and the bot

/** An FAQ entry as the editor shows it (docs/faq.md), with the file it lives in. */
export interface FaqEntry {
  id: string;
  question: string;
  /** Other phrasings of the question. */
  variants: string[];
  /** Markdown. */
  answer: string;
  tags?: string[];
  lang?: 'de' | 'en';
  /** The file (name only) in the site's FAQ folder. */
  file: string;
}

/** A problem in an FAQ file; the file's last good version stays in use. */
export interface FaqFileError {
  file?: string;
  line: number;
  message: string;
}

/** `GET /api/sites/:key/faq`. */
export interface FaqListResponse {
  entries: FaqEntry[];
  errors: FaqFileError[];
  files: string[];
}

/** `POST /api/sites/:key/faq` (201) and `PUT /api/sites/:key/faq/:id`. */
export interface FaqEntryResponse {
  entry: FaqEntry;
}

/** `POST /api/sites/:key/bot/unanswered/handle`: the entry written, if the action wrote one. */
export interface UnansweredHandledResponse extends OkResponse {
  entry: FaqEntry | null;
}

/** `POST /api/sites/:key/bot/test` `{ text, lang? }`: what the bot would answer, nothing stored. */
export interface BotTestReply {
  kind: 'answer' | 'unsure' | 'smalltalk' | 'handoff';
  text: string;
  lang: 'de' | 'en';
  confidence: number;
  faqId: string | null;
  /** The matched entry's question. */
  question: string | null;
  suggestions: { id: string; title: string }[];
  handoffReason: string | null;
  intent: string | null;
}

export interface BotTestResponse {
  reply: BotTestReply;
}

/** A question the bot could not answer, counted per site under its normalised text. */
export interface UnansweredQuestion {
  text: string;
  lang: string | null;
  count: number;
  firstAt: number;
  lastAt: number;
  lastConversationId: string | null;
}

/** `GET /api/sites/:key/bot/unanswered`: most asked first, at most 200. */
export interface UnansweredListResponse {
  questions: UnansweredQuestion[];
}

// ---- sites

export interface SiteSummary {
  key: string;
  name: string;
}

/** `GET /api/sites`: the caller's sites, by name. */
export interface SiteListResponse {
  sites: SiteSummary[];
}

/** A site as `GET /api/sites/:key/settings` shows it: its settings without the proactive rules. */
export interface SiteView extends SiteSummary {
  settings: SiteSettings;
  /** Admins only: the site secret for identify hashes. */
  secret?: string;
  /** Where offline messages go: `email` (the server has SMTP_URL: the team is emailed, the visitor answered by email) or `chat` (they wait in the queue). */
  offlineReply?: 'email' | 'chat';
}

/** `GET`/`PATCH /api/sites/:key/settings`, `POST /api/sites` (201). */
export interface SiteResponse {
  site: SiteView;
}

// ---- proactive messages and the widget's configuration

/** A proactive greeting rule (docs/proactive.md); the server validates it (server/src/proactive/rules.ts). */
export interface ProactiveRule {
  id: string;
  /** Glob over location.pathname + search; `*` matches any characters. */
  urlPattern: string;
  delaySeconds: number;
  /** Only for visitors who have been on the site before. */
  returningOnly: boolean;
  text: { de?: string; en?: string };
  /** `false`: kept (with its results) but never shown; absent means on. The widget config lists only rules that are on. */
  enabled?: boolean;
}

/** `GET`/`PUT /api/sites/:key/proactive`. */
export interface ProactiveRulesResponse {
  rules: ProactiveRule[];
}

/** `GET /api/sites/:key/proactive/results?days=N`: each rule's figures over the last N days (default 30). */
export interface ProactiveResultsResponse {
  from: number;
  to: number;
  results: ProactiveRuleStats[];
}

/** Whether the site's team is open now, and if not, when it opens again (null: no hours set or none ahead). */
export interface SiteHours {
  open: boolean;
  opensAt: number | null;
  timeZone: string | null;
}

/** The settings the widget may see (never the secret), with every default filled in. */
export interface WidgetConfig {
  key: string;
  name: string;
  color: string;
  position: 'left' | 'right';
  title: { de: string; en: string };
  greeting: { de: string; en: string };
  botName: string;
  botAvatarUrl: string | null;
  agentAvatarUrl: string | null;
  defaultLang: 'de' | 'en';
  preChatForm: { enabled: boolean; fields: ('name' | 'email')[] };
  ratings: { nps: boolean; ces: boolean };
  hours: SiteHours;
  /** Always an array: the widget shows at most one of them per visit. */
  proactive: ProactiveRule[];
  /** Where the launcher sits, px from the corner (desktop, and phones when set); the script tag's data-offset-* win. */
  launcherOffset?: LauncherOffset;
  /** Whether and which files the visitor may send (null: the site takes none). */
  attachments?: WidgetAttachmentConfig | null;
  /** The site's privacy notice line and link (https), shown in the pre-chat and offline forms; absent when not set. */
  privacyNotice?: { de?: string; en?: string; url?: string };
  /**
   * How the team answers an offline message: `email` when the server can send mail (SMTP_URL), else
   * `chat` (the answer waits in the conversation, on this site). The offline form promises only this.
   */
  offlineReply?: 'email' | 'chat';
}

/** `GET /api/widget/config?site=KEY` (public, cached a minute). */
export interface WidgetConfigResponse {
  site: WidgetConfig;
}

// ---- the bot learning from its site's traffic (docs/bot-learning.md)

/** How a person judged a bot turn: the answer (or, when the bot was unsure, its first suggestion) was right, wrong, or the FAQ has no answer. */
export type BotLabelKind = 'right' | 'wrong' | 'not_covered';

/** One judgement of one bot message. An agent's label counts over the visitor's for the same message. */
export interface BotLabel {
  messageId: string;
  label: BotLabelKind;
  source: 'visitor' | 'agent';
  /** The agent who marked it (agent labels only). */
  agentId: string | null;
  at: number;
}

/** `GET /api/conversations/:id/bot-labels`, and the answer of `PUT`/`DELETE .../bot-labels/:messageId`. */
export interface BotLabelsResponse {
  labels: BotLabel[];
}

/** What the bot would do with a site's labelled questions at one threshold. */
export interface BotFigures {
  threshold: number;
  /** Share of labelled questions it answers. */
  answerRate: number;
  /** Share of those answers that were right. */
  rightWhenAnswered: number;
  /** Share it hands over (offers suggestions and a person instead): 1 − answerRate. */
  handoverRate: number;
}

/** `GET`/`PUT /api/sites/:key/bot/learning`: the site's own calibration and the one control. */
export interface BotLearningResponse {
  /** Labelled bot turns (one per message; an agent's label over the visitor's). */
  labels: number;
  /** Labels needed before the site's own threshold replaces the default. */
  minLabels: number;
  /** Whether the threshold was fitted from this site's labels. */
  fitted: boolean;
  /** The control: -1 "hand over sooner" … 0 as fitted … 1 "answer more". */
  bias: number;
  /** The confidence threshold the site's bot uses now (fitted or default, moved by `bias`). */
  threshold: number;
  defaultThreshold: number;
  /** The figures at the current setting, from the labels so far. */
  current: BotFigures;
  /** The figures along the control, from -1 to 1. */
  curve: (BotFigures & { bias: number })[];
  counts: { right: number; wrong: number; notCovered: number; visitorYes: number; visitorNo: number };
  /** When the calibration was last computed (null: never). */
  updatedAt: number | null;
}

/** Two FAQ entries whose phrasings the bot confuses with each other. */
export interface FaqNearDuplicate {
  a: { id: string; question: string };
  b: { id: string; question: string };
  /** Phrasings of either entry whose best match, asked without themselves, was the other entry. */
  confusions: number;
  examples: { phrasing: string; of: string; matched: string }[];
}

/** `GET /api/sites/:key/bot/diagnostics`: what the FAQ's author should fix, from the FAQ as loaded. */
export interface FaqDiagnosticsResponse {
  /** False when the site has no FAQ loaded (then the lists are empty). */
  loaded: boolean;
  entries: number;
  /** Phrasings asked in the self-check. */
  checked: number;
  nearDuplicates: FaqNearDuplicate[];
  /** Entries no visitor has reached yet (never answered with). */
  unreached: { id: string; question: string }[];
}

/** What the widget needs to know before it offers a file. */
export interface WidgetAttachmentConfig {
  maxBytes: number;
  /** Sniffed types accepted (the widget's file input accepts these; the server decides from the bytes). */
  types: string[];
}

/**
 * The answer to an upload (`POST /api/visitor/attachments`, `POST /api/conversations/:id/attachments`):
 * the ack as the socket would send it (`duplicate: true` for a retried cid) and the attachment.
 */
export interface AttachmentUploadResponse {
  ack: AckFrame;
  attachment: AttachmentInfo;
}

// --- Data protection (issue 19; docs/privacy.md) ---

/** One audit-log entry (`GET /api/privacy/audit`). Never holds a person's email, name or visitor id. */
export interface AuditEntry {
  id: string;
  at: number;
  actor: { type: 'agent' | 'visitor' | 'system' | 'cli'; id: string | null; name: string | null };
  /** The client's address, truncated (IPv4 /24, IPv6 /48) or null (IP_ADDRESSES=none). */
  address: string | null;
  action: string;
  siteKey: string | null;
  subject: string | null;
  detail: Record<string, unknown>;
}

export interface AuditListResponse {
  entries: AuditEntry[];
}

/** A person found by email, visitor id or conversation: their visitor records and conversations. */
export interface PrivacyPerson {
  visitors: {
    id: string;
    siteKey: string;
    name: string | null;
    email: string | null;
    externalId: string | null;
    createdAt: number;
    lastSeenAt: number;
  }[];
  conversations: { id: string; siteKey: string; visitorId: string; status: string; createdAt: number; updatedAt: number }[];
}

/** `GET /api/privacy/person?email=|visitorId=|conversationId=` */
export interface PrivacyPersonResponse {
  person: PrivacyPerson;
}

/** `POST /api/visitor/erasure` (202): the confirmation link was mailed. */
export interface VisitorErasureResponse {
  ok: true;
}

/** `POST /api/privacy/erase`: what was erased. */
export interface PrivacyEraseResponse {
  erased: { visitors: number; conversations: number; events: number; files: number };
}

/** `GET /api/privacy/sites/:key/retention` */
export interface RetentionStatusResponse {
  retentionDays: number | null;
  lastRun: { at: number; conversations: number; visitors: number } | null;
  nextRunAt: number | null;
}

// --- Conversations that go on by email (issue 19; docs/email.md) ---

/** `POST /api/mail/inbound`: what became of the mail. */
export interface MailInboundResponse {
  outcome: 'stored' | 'duplicate' | 'auto-reply' | 'own' | 'bounce' | 'empty' | 'limited' | 'too-large';
}

/** `POST /api/widget/link`: a fresh visitor token and the conversation a reply mail's link opens. */
export interface WidgetLinkResponse {
  token: string;
  conversationId: string;
  visitorId: string;
}

// ---- integrations: API tokens and webhooks (docs/integrations.md, docs/api.md)

/** What an API token may do. */
export type ApiScope = 'conversations:read' | 'conversations:write' | 'messages:write' | 'faq:manage' | 'sites:manage' | 'metrics:read';

/** An API token as lists show it; the secret is only in `ApiTokenCreatedResponse`. */
export interface ApiTokenView {
  id: string;
  name: string;
  /** The secret's first characters, to recognise it. */
  prefix: string;
  scopes: ApiScope[];
  siteKeys: string[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** `GET /api/tokens`. */
export interface ApiTokenListResponse {
  tokens: ApiTokenView[];
}

/** `POST /api/tokens` → 201: the secret, shown this once. */
export interface ApiTokenCreatedResponse {
  token: ApiTokenView;
  secret: string;
}

/** Events a webhook can subscribe to. */
export type WebhookEvent =
  | 'conversation.created'
  | 'conversation.handoff_requested'
  | 'conversation.assigned'
  | 'conversation.resolved'
  | 'conversation.rated'
  | 'message.created.visitor'
  | 'message.created.agent'
  | 'message.created.bot'
  | 'offline_ticket.created';

export interface WebhookView {
  id: string;
  siteKey: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: number;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  conversationId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastResponse: string | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** `GET /api/visitor/conversations`: the visitor's conversations, with the same verified user's on other devices, newest first. */
export interface VisitorConversationListResponse {
  conversations: ConversationView[];
}

/** `PATCH /api/agents/:id` → `{ agent }`: the agent as `GET /api/agents` lists them. */
export interface AgentUpdatedResponse {
  agent: AgentRow;
}
