// The conversation state machine: bot → queued → assigned → resolved, and back by reopening.
// One pure reducer; the service persists what it returns.
import { ErrorCode, type ConversationChange, type ConversationStatus } from '@servus/shared';
import { ServusError } from '../core/errors.js';

export interface LifecycleState {
  status: ConversationStatus;
  assigneeId: string | null;
  handoffReason: string | null;
  queuedAt: number | null;
  assignedAt: number | null;
  resolvedAt: number | null;
}

/** `llm_handoff`: the LLM engine's model called its `handoff_to_human` tool (docs/llm.md). */
export type HandoffReason =
  'visitor_request' | 'low_confidence' | 'frustration' | 'agent_offline' | 'reopened' | 'offline_message' | 'llm_handoff';

export type LifecycleAction =
  | { type: 'visitor.wrote'; at: number }
  | { type: 'handoff'; reason: HandoffReason; at: number }
  | { type: 'claim'; agentId: string; at: number }
  | { type: 'transfer'; agentId: string; at: number }
  | { type: 'release'; at: number }
  | { type: 'resolve'; at: number }
  /** An agent reopens a resolved conversation to follow up: it is theirs at once. */
  | { type: 'reopen'; agentId: string; at: number };

export interface Transition {
  state: LifecycleState;
  /** What changed, or null when the action leaves the conversation as it was. */
  change: ConversationChange | null;
}

const same = (state: LifecycleState): Transition => ({ state, change: null });

export function reduceConversation(state: LifecycleState, action: LifecycleAction): Transition {
  switch (action.type) {
    case 'visitor.wrote': {
      if (state.status !== 'resolved') return same(state);
      // A conversation that reached a person goes back to the people; otherwise the bot answers.
      const wasHandedOff = state.handoffReason !== null;
      return {
        state: {
          ...state,
          status: wasHandedOff ? 'queued' : 'bot',
          assigneeId: null,
          queuedAt: wasHandedOff ? action.at : null,
          assignedAt: null,
          resolvedAt: null,
        },
        change: 'reopened',
      };
    }
    case 'handoff': {
      if (state.status === 'queued' || state.status === 'assigned') return same(state);
      return {
        state: {
          ...state,
          status: 'queued',
          assigneeId: null,
          handoffReason: action.reason,
          queuedAt: action.at,
          assignedAt: null,
          resolvedAt: null,
        },
        change: 'handoff',
      };
    }
    case 'claim': {
      if (state.status === 'assigned') {
        if (state.assigneeId === action.agentId) return same(state);
        throw new ServusError(ErrorCode.CONFLICT, 'Another agent has already taken this conversation.');
      }
      if (state.status === 'resolved') {
        throw new ServusError(ErrorCode.INVALID_STATE, 'This conversation is resolved.');
      }
      return {
        state: {
          ...state,
          status: 'assigned',
          assigneeId: action.agentId,
          assignedAt: action.at,
          // Taking a conversation straight from the bot counts as a handoff too.
          handoffReason: state.handoffReason ?? 'agent_takeover',
          queuedAt: state.queuedAt ?? action.at,
        },
        change: 'assigned',
      };
    }
    case 'transfer': {
      if (state.status !== 'assigned') throw new ServusError(ErrorCode.INVALID_STATE, 'Only an assigned conversation can be transferred.');
      if (state.assigneeId === action.agentId) return same(state);
      return { state: { ...state, assigneeId: action.agentId, assignedAt: action.at }, change: 'transferred' };
    }
    case 'release': {
      if (state.status !== 'assigned') throw new ServusError(ErrorCode.INVALID_STATE, 'Only an assigned conversation can be put back.');
      // Keeps its original queued time: a released conversation goes back to the front.
      return { state: { ...state, status: 'queued', assigneeId: null, assignedAt: null }, change: 'released' };
    }
    case 'resolve': {
      if (state.status === 'resolved') return same(state);
      return { state: { ...state, status: 'resolved', resolvedAt: action.at }, change: 'resolved' };
    }
    case 'reopen': {
      if (state.status !== 'resolved') return same(state);
      return {
        state: { ...state, status: 'assigned', assigneeId: action.agentId, assignedAt: action.at, resolvedAt: null },
        change: 'reopened',
      };
    }
  }
}
