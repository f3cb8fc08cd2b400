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

export interface Database {
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
