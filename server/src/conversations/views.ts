// Turns stored rows into what each side may see. Visitors never see notes, agent-only data,
// or the agents' sequence numbers.
import type { AttachmentInfo, ChatMessage, ConversationView, QueueInfo } from '@servus/shared';
import type { ConversationsTable, EventsTable } from '../storage/schema.js';

export type ConversationRow = ConversationsTable;
export type EventRow = EventsTable;

export interface EventData {
  suggestions?: { id: string; title: string }[];
  bot?: { faqId?: string; confidence?: number; intent?: string; outcome?: string };
  change?: string;
  status?: string;
  assignee?: { id: string; name: string } | null;
  reason?: string | null;
  rating?: { csat?: number; nps?: number; ces?: number; comment?: string };
  from?: string | null;
  offline?: { email: string };
  /** A deferred bot answer: the id its `message.delta` drafts carried. */
  streamId?: string;
  /** The bot's reply to a visitor's "did this answer your question?" on message `messageId`. */
  feedback?: { messageId: string; helpful: boolean };
  /** A file sent in the conversation (attachments/). */
  attachment?: AttachmentInfo;
}

export function parseData(row: EventRow): EventData {
  if (!row.data) return {};
  try {
    return JSON.parse(row.data) as EventData;
  } catch {
    return {};
  }
}

export function toMessage(row: EventRow, audience: 'agent' | 'visitor'): ChatMessage {
  const data = parseData(row);
  const seq = audience === 'agent' ? row.seq : (row.visitor_seq ?? 0);
  const message: ChatMessage = {
    id: row.id,
    seq,
    kind: row.kind === 'note' ? 'note' : row.kind === 'message' ? 'text' : 'system',
    author: { type: row.author_type },
    text: row.text,
    at: row.created_at,
  };
  if (row.author_id && row.author_type !== 'visitor') message.author.id = row.author_id;
  if (row.author_name) message.author.name = row.author_name;
  if (row.cid && (audience === 'agent' || row.author_type === 'visitor')) message.cid = row.cid;
  if (data.suggestions?.length) message.suggestions = data.suggestions;
  if (audience === 'agent' && data.bot) message.bot = data.bot;
  if (audience === 'agent' && data.offline) message.offline = data.offline;
  if (data.streamId) message.streamId = data.streamId;
  // A bot answer from the FAQ: the visitor may say whether it answered their question.
  if (audience === 'visitor' && data.bot?.outcome === 'answer') message.askFeedback = true;
  if (data.attachment) message.attachment = data.attachment;
  return message;
}

export interface ViewExtras {
  assigneeName?: string | null;
  queue?: QueueInfo | null;
  visitor?: ConversationView['visitor'];
  lastMessage?: ConversationView['lastMessage'];
}

export function toView(row: ConversationRow, audience: 'agent' | 'visitor', extras: ViewExtras = {}): ConversationView {
  const view: ConversationView = {
    id: row.id,
    siteKey: row.site_key,
    status: row.status,
    lastSeq: audience === 'agent' ? row.last_seq : row.last_visitor_seq,
    assignee: row.assignee_id ? { id: row.assignee_id, name: extras.assigneeName ?? 'Agent' } : null,
    queue: row.status === 'queued' ? (extras.queue ?? null) : null,
    readSeq: audience === 'agent' ? row.visitor_read_seq : row.agent_read_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (audience === 'agent') {
    view.handoffReason = row.handoff_reason;
    view.queuedAt = row.queued_at;
    if (extras.visitor) view.visitor = extras.visitor;
    if (extras.lastMessage !== undefined) view.lastMessage = extras.lastMessage;
  }
  return view;
}
