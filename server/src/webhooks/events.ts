// Which webhook events a committed change is, and what each one carries. Pure: the change in, the
// events out, each with an order key (from the seq of the event it is about) so that deliveries of
// one conversation go out in the order things happened, however their rows were inserted.
import type { WebhookEvent } from '@servus/shared';
import type { ConversationCommitted } from '../conversations/index.js';
import { parseData, type EventRow } from '../conversations/index.js';

export const WEBHOOK_EVENTS = [
  'conversation.created',
  'conversation.handoff_requested',
  'conversation.assigned',
  'conversation.resolved',
  'conversation.rated',
  'message.created.visitor',
  'message.created.agent',
  'message.created.bot',
  'offline_ticket.created',
] as const satisfies readonly WebhookEvent[];

export interface WebhookEventOut {
  event: WebhookEvent;
  /** Order within the conversation: the event's seq × 4 plus its place among events of the same seq. */
  order: number;
  /** The event's own data (besides the conversation every payload has). */
  data: Record<string, unknown>;
}

const messageOf = (row: EventRow) => ({
  id: row.id,
  seq: row.seq,
  text: row.text,
  author: {
    type: row.author_type,
    ...(row.author_id && row.author_type !== 'visitor' ? { id: row.author_id } : {}),
    ...(row.author_name ? { name: row.author_name } : {}),
  },
  at: row.created_at,
});

export function webhookEventsOf(change: ConversationCommitted): WebhookEventOut[] {
  const out: WebhookEventOut[] = [];
  const first = change.events[0];
  if (change.change === 'created') out.push({ event: 'conversation.created', order: (first?.seq ?? 0) * 4, data: {} });
  for (const row of change.events) {
    const data = parseData(row);
    if (row.kind === 'message') {
      if (data.offline) {
        out.push({ event: 'offline_ticket.created', order: row.seq * 4 + 2, data: { message: messageOf(row), email: data.offline.email } });
      } else {
        const event =
          row.author_type === 'visitor'
            ? 'message.created.visitor'
            : row.author_type === 'agent'
              ? 'message.created.agent'
              : 'message.created.bot';
        out.push({ event, order: row.seq * 4 + 2, data: { message: messageOf(row) } });
      }
    } else if (row.kind === 'status') {
      const order = row.seq * 4 + 1;
      if (data.change === 'handoff' && data.reason !== 'offline_message') {
        out.push({ event: 'conversation.handoff_requested', order, data: { reason: data.reason ?? null } });
      } else if (data.change === 'assigned' || data.change === 'transferred') {
        out.push({
          event: 'conversation.assigned',
          order,
          data: { assignee: data.assignee ?? null, transferred: data.change === 'transferred' },
        });
      } else if (data.change === 'resolved') {
        out.push({ event: 'conversation.resolved', order, data: {} });
      }
    } else if (row.kind === 'rating' && data.rating) {
      out.push({ event: 'conversation.rated', order: row.seq * 4 + 1, data: { rating: data.rating } });
    }
  }
  return out;
}
