// Table types for Kysely. Times are epoch milliseconds; JSON columns are text in both dialects.
import type { Generated } from 'kysely';
export interface SitesTable {
  key: string;
  name: string;
  secret: string;
  settings: string;
  created_at: number;
}

export interface AgentsTable extends AgentAccountColumns {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  password_hash: string;
  capacity: number;
  created_at: number;
}

export interface AgentSitesTable {
  agent_id: string;
  site_key: string;
}

export interface SessionsTable {
  token_hash: string;
  agent_id: string;
  created_at: number;
  expires_at: number;
}

export interface VisitorsTable {
  id: string;
  site_key: string;
  token_hash: string;
  external_id: string | null;
  name: string | null;
  email: string | null;
  verified: number;
  context: string;
  created_at: number;
  last_seen_at: number;
}

export interface ConversationsTable {
  id: string;
  site_key: string;
  visitor_id: string;
  status: 'bot' | 'queued' | 'assigned' | 'resolved';
  assignee_id: string | null;
  last_seq: number;
  last_visitor_seq: number;
  visitor_read_seq: number;
  agent_read_seq: number;
  bot_state: string;
  handoff_reason: string | null;
  lang: string | null;
  queued_at: number | null;
  assigned_at: number | null;
  resolved_at: number | null;
  first_human_reply_at: number | null;
  /** The proactive rule whose greeting led to this conversation (set once, at creation). */
  proactive_rule_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: string;
  conversation_id: string;
  seq: number;
  visitor_seq: number | null;
  kind: 'message' | 'note' | 'status' | 'rating' | 'system';
  author_type: 'visitor' | 'bot' | 'agent' | 'system';
  author_id: string | null;
  author_name: string | null;
  text: string;
  data: string | null;
  actor_key: string | null;
  cid: string | null;
  created_at: number;
}

export interface ConversationLabelsTable {
  conversation_id: string;
  label: string;
}

export interface CannedResponsesTable {
  id: string;
  shortcut: string;
  text: string;
  created_by: string | null;
  created_at: number;
}

export interface UnansweredQuestionsTable {
  site_key: string;
  normalized: string;
  text: string;
  lang: string | null;
  count: number;
  last_conversation_id: string | null;
  first_at: number;
  last_at: number;
}

export interface ProactiveCountsTable {
  site_key: string;
  rule_id: string;
  /** Start of the UTC hour, epoch ms. */
  hour: number;
  shown: number;
  opened: number;
}

/** Failed logins per key: an account and address pair, an address, an account (login-throttle.ts). */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  /** Start of the counting window (address and account keys). */
  window_start: number;
  /** The latest failure (or attempt being checked). */
  last_at: number;
}

/** Addresses an agent has logged in from: exempt from the account-wide lockout. */
export interface AgentLoginAddressesTable {
  agent_id: string;
  /** SHA-256 of the address (an IPv6 address by its /64). */
  address: string;
  last_success_at: number;
}

/** A durable job (jobs/jobs.ts): one row per kind and key, claimed by one instance at a time. */
export interface JobsTable {
  id: string;
  kind: string;
  /** Unique per kind: scheduling the same key again replaces the pending job. */
  key: string;
  run_at: number;
  /** JSON. */
  payload: string;
  attempts: number;
  /** Bumped by every schedule(): a run that finds another version leaves the job for its new time. */
  version: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  /** Set when the job was given up after its last attempt. */
  failed_at: number | null;
  created_at: number;
}

/** A running instance and its heartbeat (presence/presence.ts): older than the timeout, it is dead. */
export interface InstancesTable {
  id: string;
  started_at: number;
  heartbeat_at: number;
}

/** An agent socket on some instance. */
export interface PresenceConnectionsTable {
  conn_id: string;
  instance_id: string;
  agent_id: string;
  status: string;
  /** JSON array of site keys. */
  site_keys: string;
  updated_at: number;
}

/** A site's FAQ file as every instance agrees on it (faq/sync.ts); DATA_DIR/faq/SITE holds a copy. */
export interface FaqFilesTable {
  site_key: string;
  name: string;
  text: string;
  updated_at: number;
}

/** A person's judgement of one bot message (docs/bot-learning.md): one per message and source. */
export interface BotLabelsTable {
  message_id: string;
  /** 'visitor' (answer.feedback) or 'agent' (the console's transcript). */
  source: 'visitor' | 'agent';
  site_key: string;
  conversation_id: string;
  label: 'right' | 'wrong' | 'not_covered';
  /** The visitor's question the bot turn answered. */
  question: string;
  /** The entry answered with, or the first suggestion when the bot was unsure. */
  faq_id: string | null;
  confidence: number;
  agent_id: string | null;
  created_at: number;
}

/** A site's own bot calibration: the control (bias) and what was fitted from its labels. */
export interface BotSitesTable {
  site_key: string;
  /** -1 "hand over sooner" … 1 "answer more". */
  bias: number;
  /** The threshold the site's bot uses (fitted or default, moved by bias). */
  threshold: number;
  fitted: number;
  labels: number;
  /** JSON: the SiteCalibration figures shown in the FAQ editor. */
  figures: string;
  updated_at: number;
}

/** The FAQ entries visitors reached (answered with), for "entries no visitor reached". */
export interface BotReachedTable {
  site_key: string;
  faq_id: string;
  count: number;
  last_at: number;
}

/** A conversation that goes on by email (mail/): where replies go, and what was mailed already. */
export interface MailThreadsTable {
  conversation_id: string;
  site_key: string;
  /** The unguessable part of the reply address (reply+KEY@domain). */
  reply_key: string;
  email: string;
  /** The last event seq sent by email. */
  mailed_seq: number;
  /** Set after a bounce or an unsubscribe: nothing more is mailed. */
  stopped_at: number | null;
  created_at: number;
}

/** A single-use link from an email back into the conversation (stored hashed). */
export interface MailLinkTokensTable {
  token_hash: string;
  conversation_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** Mails each way: limits per conversation and site, exactly-once inbound (by Message-ID). */
export interface MailLogTable {
  id: string;
  conversation_id: string | null;
  site_key: string;
  direction: 'out' | 'in';
  message_id: string;
  outcome: string;
  created_at: number;
}

/**
 * A visitor's request to erase their data, waiting for its confirmation from their email
 * (privacy/erasure.ts). Holds the address until it is used or expires (then deleted).
 */
export interface ErasureRequestsTable {
  /** SHA-256 of the token in the confirmation link. */
  token_hash: string;
  site_key: string;
  /** Lower-cased. */
  email: string;
  /** The visitor who asked (their token authorised the request); null once they are gone. */
  visitor_id: string | null;
  lang: string;
  expires_at: number;
  created_at: number;
}

/** Who exported, erased or viewed a person's data, or changed settings and agents (privacy/audit.ts). */
export interface AuditLogTable {
  id: string;
  at: number;
  actor_type: 'agent' | 'visitor' | 'system' | 'cli';
  actor_id: string | null;
  actor_name: string | null;
  /** The client's address, truncated or left out by the site's setting. */
  address: string | null;
  action: string;
  site_key: string | null;
  /** What was acted on: a conversation id, a site key, an agent id; never an email or a name. */
  subject: string | null;
  /** JSON: counts, changed fields, the HMAC of a searched-for email. */
  detail: string;
}

/** The events table's columns in their stored order (the write paths' multi-row inserts). */
export const EVENT_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'visitor_seq',
  'kind',
  'author_type',
  'author_id',
  'author_name',
  'text',
  'data',
  'actor_key',
  'cid',
  'created_at',
] as const satisfies readonly (keyof EventsTable)[];

export interface Database {
  bot_labels: BotLabelsTable;
  bot_sites: BotSitesTable;
  bot_reached: BotReachedTable;
  mail_threads: MailThreadsTable;
  mail_link_tokens: MailLinkTokensTable;
  mail_log: MailLogTable;
  audit_log: AuditLogTable;
  erasure_requests: ErasureRequestsTable;
  api_tokens: ApiTokensTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  faq_files: FaqFilesTable;
  instances: InstancesTable;
  presence_connections: PresenceConnectionsTable;
  jobs: JobsTable;
  login_throttle: LoginThrottleTable;
  agent_login_addresses: AgentLoginAddressesTable;
  proactive_counts: ProactiveCountsTable;
  unanswered_questions: UnansweredQuestionsTable;
  conversation_labels: ConversationLabelsTable;
  canned_responses: CannedResponsesTable;
  sites: SitesTable;
  agents: AgentsTable;
  agent_sites: AgentSitesTable;
  sessions: SessionsTable;
  visitors: VisitorsTable;
  conversations: ConversationsTable;
  events: EventsTable;
  attachments: AttachmentsTable;
  attachment_chunks: AttachmentChunksTable;
}

/** A file in a conversation (attachments/): its facts; the bytes are in a BlobStore (attachment_chunks by default). */
export interface AttachmentsTable {
  /** Random, unguessable (128 bits). */
  id: string;
  site_key: string;
  /** Set when the upload is committed as an event (null while it is being written). */
  conversation_id: string | null;
  event_id: string | null;
  /** The uploader's actor key and cid: a retried upload finds its committed event by them. */
  uploader_key: string;
  cid: string;
  name: string;
  /** Sniffed from the bytes. */
  type: string;
  size: number;
  width: number | null;
  height: number | null;
  /** Number of stored chunks. */
  chunks: number;
  status: 'uploading' | 'stored';
  created_at: number;
}

export interface AttachmentChunksTable {
  attachment_id: string;
  n: number;
  data: Uint8Array;
}

/** An integration's API token (auth/api-tokens.ts): the secret itself is shown once and never stored. */
export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 (hex) of the secret. */
  token_hash: string;
  /** The first characters of the secret, to recognise it in a list. */
  prefix: string;
  /** JSON array of scopes. */
  scopes: string;
  /** JSON array of the site keys the token may act on. */
  site_keys: string;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** A site's webhook subscription (webhooks/). */
export interface WebhooksTable {
  id: string;
  site_key: string;
  url: string;
  /** HMAC-SHA256 key of the signatures. */
  secret: string;
  /** JSON array of event names. */
  events: string;
  enabled: number;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: number;
}

/** One delivery of one event to one webhook: the durable outbox and the delivery log. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  conversation_id: string;
  /** The conversation's event seq the delivery is about: deliveries of a conversation go out in this order. */
  seq: number;
  event: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_response: string | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** 0012_agent_accounts: what an agent chose and an admin set, beside the columns of AgentsTable. */
export interface AgentAccountColumns {
  /** The status the agent chose (online or away), kept across reloads and devices. */
  status: Generated<string>;
  /** Shown instead of the name's initials (1 to 3 characters), or null. */
  initials: string | null;
  /** The console's language the agent chose ('de' or 'en'), or null (the browser's). */
  lang: string | null;
  /** 0: deactivated by an admin (no login, no sessions, no chats). */
  active: Generated<number>;
}
