// Runs a command's write operation in the group-commit queue, then hands what it wrote to the
// committed-change stream. The stream is told synchronously after the commit, before the caller
// resumes: operations resolve in commit order, so changes (and frames) keep seq order. The one
// thing written about a change inside its own transaction is the durable outbox (webhooks): its
// rows commit, or roll back, with the events they describe.
import type { AckFrame, ConversationChange } from '@servus/shared';
import type { Transaction } from 'kysely';
import type { Database, NewWebhookDelivery } from '../storage/schema.js';
import type { BatchKeys, WriteQueue } from '../storage/write-queue.js';
import type { ChangeCause, ChangeStream, ConversationCommitted } from './changes.js';
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

/**
 * The outbox rows a change makes (webhooks/subscriptions.ts), computed inside its transaction: synchronous
 * and without a query (from cached subscriptions), as it runs for every operation of a batch.
 */
export type OutboxRows = (change: ConversationCommitted) => readonly NewWebhookDelivery[];

export function createCommit({
  writes,
  repo,
  queue,
  changes,
  outbox,
}: {
  writes: WriteQueue;
  repo: ConversationRepository;
  queue: Queue;
  changes: ChangeStream;
  outbox?: OutboxRows | undefined;
}): Commit {
  return async (op, keys) => {
    const { result, change } = await writes.run(async (tx) => {
      const r = await op(tx);
      if (!r.conversation) return { result: r, change: null };
      // Read here, in the transaction, so the change carries them and no subscriber has to query.
      // Without an await when nothing is to be read (a known agent, not queued): each await is a
      // promise and a microtask for every operation of the batch.
      const id = r.events.length ? r.conversation.assignee_id : null;
      const committed = changeOf(
        r,
        r.conversation,
        id ? (repo.cachedAgentName(id) ?? (await repo.agentName(id, tx))) : null,
        r.events.length && r.conversation.status === 'queued' ? await queue.infoFor(r.conversation, tx) : null,
      );
      const rows = outbox?.(committed);
      if (rows?.length) await repo.saveOutbox(tx, rows);
      return { result: r, change: committed };
    }, keys);
    if (change) changes.emit(change);
    return result.ack;
  };
}

function changeOf(
  r: OpResult,
  conversation: ConversationRow,
  assigneeName: string | null,
  queue: ConversationCommitted['queue'],
): ConversationCommitted {
  return {
    type: 'conversation',
    conversation,
    events: r.events,
    change: r.change,
    queueChanged: r.queueChanged,
    cause: r.cause,
    assigneeName,
    queue,
    firstHumanReplyId: r.firstHumanReplyId ?? null,
  };
}
