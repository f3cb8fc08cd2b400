// Turns stored rows into what each side may see. Visitors never see notes, agent-only data,
// or the agents' sequence numbers.
import type { ChatMessage, ConversationView, QueueInfo } from '@servus/shared';
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
  return message;
}

/**
 * The `message.created` frames of one event for agents and for the visitor (null: hidden from
 * visitors), as JSON. The same text as JSON.stringify of toMessage gives, byte for byte; an event
 * without data (a plain message, most of them) is written out directly, each string escaped once
 * for both audiences instead of building and serialising two objects.
 */
export function messageCreatedJson(conversationId: string, row: EventRow): { agent: string; visitor: string | null } {
  if (row.data !== null) {
    const frame = (audience: 'agent' | 'visitor') =>
      JSON.stringify({
        type: 'message.created',
        conversationId,
        seq: audience === 'agent' ? row.seq : row.visitor_seq,
        message: toMessage(row, audience),
      });
    return { agent: frame('agent'), visitor: row.visitor_seq === null ? null : frame('visitor') };
  }
  const kind = row.kind === 'note' ? 'note' : row.kind === 'message' ? 'text' : 'system';
  let author = `{"type":${JSON.stringify(row.author_type)}`;
  if (row.author_id && row.author_type !== 'visitor') author += `,"id":${JSON.stringify(row.author_id)}`;
  if (row.author_name) author += `,"name":${JSON.stringify(row.author_name)}`;
  const head = `{"type":"message.created","conversationId":${JSON.stringify(conversationId)},"seq":`;
  const id = `,"message":{"id":${JSON.stringify(row.id)},"seq":`;
  const body = `,"kind":"${kind}","author":${author}},"text":${JSON.stringify(row.text)},"at":${row.created_at}`;
  const cid = row.cid ? `,"cid":${JSON.stringify(row.cid)}` : '';
  const agent = `${head}${row.seq}${id}${row.seq}${body}${cid}}}`;
  if (row.visitor_seq === null) return { agent, visitor: null };
  const visitorCid = row.author_type === 'visitor' ? cid : '';
  return { agent, visitor: `${head}${row.visitor_seq}${id}${row.visitor_seq}${body}${visitorCid}}}` };
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
