// Runs a command's write operation in the group-commit queue, then hands what it wrote to the
// committed-change stream. The stream is told synchronously after the commit, before the caller
// resumes: operations resolve in commit order, so changes (and frames) keep seq order.
import type { AckFrame, ConversationChange } from '@servus/shared';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { BatchKeys, WriteQueue } from '../storage/write-queue.js';
import type { ChangeCause, ChangeStream } from './changes.js';
import type { ConversationRepository } from './repository.js';
import type { Queue } from './queue.js';
import type { ConversationRow, EventRow } from './views.js';

/** What a write operation did. */
export interface OpResult {
  /** The answer to the command (null: not a client's command, e.g. auto-assignment). */
  ack: AckFrame | null;
  /** The conversation written (null: nothing written, e.g. a retried command). */
  conversation: ConversationRow | null;
  events: EventRow[];
  change: ConversationChange | null;
  queueChanged: boolean;
  cause: ChangeCause;
  /** The agent message that was the conversation's first human reply. */
  firstHumanReplyId?: string;
}

export type WriteOp = (tx: Transaction<Database>) => Promise<OpResult>;

/** The result of an operation that wrote nothing (a duplicate, a no-op). */
export const nothing = (ack: AckFrame | null, cause: ChangeCause): OpResult => ({
  ack,
  conversation: null,
  events: [],
  change: null,
  queueChanged: false,
  cause,
});

/**
 * Runs an operation in the write queue. `keys` declares the conversations it writes and the cids
 * it looks up: on PostgreSQL its batch locks and reads them all at once, in one global order.
 */
export type Commit = (op: WriteOp, keys?: BatchKeys) => Promise<AckFrame | null>;

export function createCommit({
  writes,
  repo,
  queue,
  changes,
}: {
  writes: WriteQueue;
  repo: ConversationRepository;
  queue: Queue;
  changes: ChangeStream;
}): Commit {
  return async (op, keys) => {
    const { result, assigneeName, queueInfo } = await writes.run(async (tx) => {
      const r = await op(tx);
      if (!r.conversation || !r.events.length) return { result: r, assigneeName: null, queueInfo: null };
      // Read here, in the transaction, so the change carries them and no subscriber has to query.
      // Without an await when nothing is to be read (a known agent, not queued): each await is a
      // promise and a microtask for every operation of the batch.
      const id = r.conversation.assignee_id;
      return {
        result: r,
        assigneeName: id ? (repo.cachedAgentName(id) ?? (await repo.agentName(id, tx))) : null,
        queueInfo: r.conversation.status === 'queued' ? await queue.infoFor(r.conversation, tx) : null,
      };
    }, keys);
    if (result.conversation) {
      changes.emit({
        type: 'conversation',
        conversation: result.conversation,
        events: result.events,
        change: result.change,
        queueChanged: result.queueChanged,
        cause: result.cause,
        assigneeName,
        queue: queueInfo,
        firstHumanReplyId: result.firstHumanReplyId ?? null,
      });
    }
    return result.ack;
  };
}
