// Every frame the server sends is built here, from the protocol's types in shared/: each
// constructor takes the typed frame (or the rows it is made of) and returns its JSON. Logged
// events become frames for each audience: agents see every seq and the bot's details, the visitor
// their own sequence without notes.
import type {
  AckFrame,
  ConversationChange,
  ConversationErasedFrame,
  ConversationUpdatedFrame,
  ErrorFrame,
  LoggedFrame,
  MessageDeltaFrame,
  QueueInfo,
  QueueSnapshotFrame,
  ReadFrame,
  ReplayDoneFrame,
  ServerFrame,
  TypingFrame,
  WelcomeFrame,
} from '@servus/shared';
import { parseData, toMessage, toView, type ConversationRow, type EventData, type EventRow } from '../conversations/index.js';

export type Audience = 'agent' | 'visitor';

/** Serialises one frame; the type makes a frame the protocol does not know a compile error. */
const json = (frame: ServerFrame): string => JSON.stringify(frame);

export const welcomeFrame = (frame: WelcomeFrame) => json(frame);
export const ackFrame = (frame: AckFrame) => json(frame);
export const errorFrame = (frame: ErrorFrame) => json(frame);
export const typingFrame = (frame: TypingFrame) => json(frame);
export const erasedFrame = (frame: ConversationErasedFrame) => json(frame);
export const readFrame = (frame: ReadFrame) => json(frame);
export const replayDoneFrame = (frame: ReplayDoneFrame) => json(frame);
export const deltaFrame = (frame: MessageDeltaFrame) => json(frame);
export const queueSnapshotFrame = (frame: QueueSnapshotFrame) => json(frame);
export const conversationUpdatedFrame = (frame: ConversationUpdatedFrame) => json(frame);

/** A waiting visitor's new place in the queue (not logged: no seq). */
export const queuePositionFrame = (conversation: ConversationRow, queue: QueueInfo, at: number) =>
  conversationUpdatedFrame({
    type: 'conversation.updated',
    conversationId: conversation.id,
    change: 'queue',
    conversation: toView(conversation, 'visitor', { queue }),
    at,
  });

/**
 * The `message.created` frames of one event for agents and for the visitor (null: hidden from
 * visitors). The same text as serialising toMessage gives, byte for byte; an event without data (a
 * plain message, most of them) is written out directly, each string escaped once for both
 * audiences instead of building and serialising two objects.
 */
export function messageCreatedFrames(conversationId: string, row: EventRow): { agent: string; visitor: string | null } {
  if (row.data !== null) {
    const frame = (audience: Audience, seq: number) =>
      json({ type: 'message.created', conversationId, seq, message: toMessage(row, audience) });
    return { agent: frame('agent', row.seq), visitor: row.visitor_seq === null ? null : frame('visitor', row.visitor_seq) };
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

/** A status or rating event as `conversation.updated`, with the conversation as given. */
function statusFrameOf(
  row: EventRow,
  data: EventData,
  conversation: ConversationRow,
  audience: Audience,
  seq: number,
  extras: { assigneeName: string | null; queue?: QueueInfo | null },
): ConversationUpdatedFrame & { seq: number } {
  return {
    type: 'conversation.updated',
    conversationId: conversation.id,
    seq,
    change: (data.change ?? 'created') as ConversationChange,
    ...(row.kind === 'rating' ? { rating: data.rating ?? {} } : {}),
    conversation: toView(conversation, audience, extras),
    at: row.created_at,
  };
}

const statusFrame = (...args: Parameters<typeof statusFrameOf>) => conversationUpdatedFrame(statusFrameOf(...args));

/** A status or rating event just committed, for both audiences, with the conversation as it is now. */
export function statusFrames(
  conversation: ConversationRow,
  row: EventRow,
  extras: { assigneeName: string | null; queue: QueueInfo | null },
): { agent: string; visitor: string | null } {
  const data = parseData(row);
  return {
    agent: statusFrame(row, data, conversation, 'agent', row.seq, extras),
    visitor: row.visitor_seq === null ? null : statusFrame(row, data, conversation, 'visitor', row.visitor_seq, extras),
  };
}

/**
 * A logged event as one audience replays it (its seq in that audience's sequence). Replayed status
 * frames carry the state as it was then, not as it is now.
 */
export function replayedFrameOf(
  conversation: ConversationRow,
  row: EventRow,
  audience: Audience,
  assigneeNameNow: string | null,
): LoggedFrame {
  const seq = audience === 'agent' ? row.seq : row.visitor_seq!;
  if (row.kind === 'status' || row.kind === 'rating') {
    const data = parseData(row);
    const then: ConversationRow =
      row.kind === 'rating'
        ? conversation
        : {
            ...conversation,
            status: (data.status ?? conversation.status) as ConversationRow['status'],
            assignee_id: data.assignee?.id ?? null,
          };
    return statusFrameOf(row, data, then, audience, seq, { assigneeName: data.assignee?.name ?? assigneeNameNow });
  }
  return { type: 'message.created', conversationId: conversation.id, seq, message: toMessage(row, audience) };
}

/** The same as JSON, for a socket. */
export function replayedFrame(
  conversation: ConversationRow,
  row: EventRow,
  audience: Audience,
  assigneeNameNow: string | null,
): { seq: number; json: string } {
  const frame = replayedFrameOf(conversation, row, audience, assigneeNameNow);
  return { seq: frame.seq, json: json(frame) };
}
