// Realtime fan-out: a subscriber of the committed-change stream that turns what was written into
// frames for each audience and publishes them to the hub, plus the conversation signals that are
// not logged (a model's drafts, queue positions). Topics: `c:ID` a conversation (its agents),
// `v:ID` a visitor, `s:KEY` a site's queue.
import type { Conversations } from '../conversations/index.js';
import { deltaFrame, messageCreatedFrames, queuePositionFrame, readFrame, statusFrames } from './frames.js';
import { topics, type Hub } from '../pubsub/hub.js';

export function connectFanout({ conversations, hub }: { conversations: Conversations; hub: Hub }): () => void {
  const offChanges = conversations.changes.subscribe('realtime fan-out', (change) => {
    const conv = change.conversation;
    if (change.type === 'read') {
      if (change.by === 'visitor') {
        hub.publish([topics.conversation(conv.id)], {
          conversationId: conv.id,
          agent: readFrame({ type: 'read', conversationId: conv.id, by: 'visitor', seq: change.agentSeq }),
          visitor: null,
        });
      } else {
        hub.publish([topics.visitor(conv.visitor_id)], {
          conversationId: conv.id,
          agent: null,
          visitor: readFrame({ type: 'read', conversationId: conv.id, by: 'agent', seq: change.visitorSeq }),
        });
        hub.publish([topics.conversation(conv.id)], {
          conversationId: conv.id,
          agent: readFrame({ type: 'read', conversationId: conv.id, by: 'agent', seq: change.agentSeq }),
          visitor: null,
        });
      }
      return;
    }
    for (const row of change.events) {
      if (row.kind === 'status' || row.kind === 'rating') {
        const { agent, visitor } = statusFrames(conv, row, { assigneeName: change.assigneeName, queue: change.queue });
        hub.publish([topics.conversation(conv.id), topics.visitor(conv.visitor_id), topics.site(conv.site_key)], {
          conversationId: conv.id,
          seq: row.seq,
          visitorSeq: row.visitor_seq,
          agent,
          visitor,
        });
      } else {
        const { agent, visitor } = messageCreatedFrames(conv.id, row);
        hub.publish([topics.conversation(conv.id), topics.visitor(conv.visitor_id)], {
          conversationId: conv.id,
          seq: row.seq,
          visitorSeq: row.visitor_seq,
          agent,
          visitor,
        });
      }
    }
  });
  const offDrafts = conversations.bot.onDraft(({ conversationId, visitorId, streamId, delta, done }) => {
    const frame = deltaFrame({ type: 'message.delta', conversationId, streamId, delta, ...(done ? { done } : {}) });
    hub.publish([topics.conversation(conversationId), topics.visitor(visitorId)], { conversationId, agent: frame, visitor: frame });
  });
  const offPositions = conversations.queue.onPosition((conv, queue, at) => {
    hub.publish([topics.visitor(conv.visitor_id)], { conversationId: conv.id, agent: null, visitor: queuePositionFrame(conv, queue, at) });
  });
  return () => {
    offChanges();
    offDrafts();
    offPositions();
  };
}
