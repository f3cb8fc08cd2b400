// A lifecycle action applied to a conversation row (the pure reducer in lifecycle.ts decides) and
// logged as a status event when something changed.
import type { ConversationChange } from '@servus/shared';
import type { Actor } from '../core/actors.js';
import { reduceConversation, type LifecycleAction, type LifecycleState } from './lifecycle.js';
import { actorKey, type ConversationRepository } from './repository.js';
import type { ConversationRow, EventRow } from './views.js';

function lifecycleOf(conv: ConversationRow): LifecycleState {
  return {
    status: conv.status,
    assigneeId: conv.assignee_id,
    handoffReason: conv.handoff_reason,
    queuedAt: conv.queued_at,
    assignedAt: conv.assigned_at,
    resolvedAt: conv.resolved_at,
  };
}

export interface StatusExtras {
  /** The command's cid, stored with the status event (exactly-once for lifecycle commands). */
  cid?: string;
  actor?: Actor;
  /** The event's text (default: the change). */
  text?: string;
  assigneeName?: string | null;
}

/** Applies the action to the row; pushes the status event and returns the change, or null when nothing changed. */
export function applyLifecycle(
  repo: Pick<ConversationRepository, 'appendEvent'>,
  conv: ConversationRow,
  action: LifecycleAction,
  events: EventRow[],
  extra: StatusExtras = {},
): ConversationChange | null {
  const { state, change } = reduceConversation(lifecycleOf(conv), action);
  if (!change) return null;
  const from = conv.status;
  conv.status = state.status;
  conv.assignee_id = state.assigneeId;
  conv.handoff_reason = state.handoffReason;
  conv.queued_at = state.queuedAt;
  conv.assigned_at = state.assignedAt;
  conv.resolved_at = state.resolvedAt;
  conv.updated_at = action.at;
  events.push(
    repo.appendEvent(
      conv,
      {
        kind: 'status',
        authorType: extra.actor ? (extra.actor.kind === 'integration' ? 'bot' : extra.actor.kind) : 'system',
        authorId: extra.actor?.id ?? null,
        authorName: extra.actor?.kind === 'agent' || extra.actor?.kind === 'integration' ? extra.actor.name : null,
        text: extra.text ?? change,
        data: {
          change,
          status: conv.status,
          from,
          assignee: conv.assignee_id ? { id: conv.assignee_id, name: extra.assigneeName ?? 'Agent' } : null,
          reason: conv.handoff_reason,
        },
        cid: extra.cid ?? null,
        actorKey: extra.cid && extra.actor ? actorKey(extra.actor) : null,
      },
      action.at,
    ),
  );
  return change;
}
