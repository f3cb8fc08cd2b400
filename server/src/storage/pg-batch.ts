// The write path on PostgreSQL: a whole write batch in four round trips however many messages it
// holds (BEGIN, one read, one write, COMMIT) instead of four or five per message.
//
// - When a batch begins, one statement locks every conversation the batch's operations declared
//   (by id, or a visitor's latest), in one global order (ORDER BY id FOR UPDATE: two instances
//   whose batches share conversations wait for each other instead of deadlocking), and looks up
//   every (sender, cid) they declared (the exactly-once check).
// - The operations then read their conversations and duplicates from memory (copies, so an
//   operation that fails changes nothing), and the events and conversation updates they save are
//   held back.
// - Before any other statement on the batch's connection, and before its COMMIT, what was held
//   back is written in one statement (a multi-row INSERT of the events and one UPDATE ... FROM of
//   the conversations), so a statement in an operation always sees the batch's own writes.
// - The webhook outbox rows of the batch's changes go into the same statement (a third multi-row
//   INSERT), so they commit or roll back with the events they describe, in no extra round trip.
//   A row whose webhook was deleted meanwhile (another instance's subscriptions not refreshed yet)
//   is dropped: the join locks the webhooks it keeps (FOR KEY SHARE), so a concurrent delete waits
//   for the batch and then removes its rows with the webhook.
import { CompiledQuery, sql, type DatabaseConnection, type Transaction } from 'kysely';
import {
  EVENT_COLUMNS,
  WEBHOOK_DELIVERY_COLUMNS,
  type ConversationsTable,
  type Database,
  type EventsTable,
  type NewWebhookDelivery,
} from './schema.js';
import type { StatementHook, StatementHooks } from './db.js';
import type { BatchKeys } from './write-queue.js';
import { CONVERSATION_UPDATE } from './sqlite-statements.js';

const BATCH_MARK = '/*servus:batch*/';
const FLUSH_MARK = '/*servus:flush*/';

type Duplicate = Pick<EventsTable, 'id' | 'seq' | 'visitor_seq' | 'conversation_id' | 'kind'>;

const FLUSH_SQL =
  `${FLUSH_MARK} WITH inserted AS (INSERT INTO events (${EVENT_COLUMNS.join(', ')}) ` +
  `SELECT ${EVENT_COLUMNS.join(', ')} FROM json_populate_recordset(NULL::events, $1::json)), ` +
  `updated AS (UPDATE conversations c SET ${CONVERSATION_UPDATE.map((c) => `${c} = v.${c}`).join(', ')} ` +
  `FROM json_populate_recordset(NULL::conversations, $2::json) v WHERE c.id = v.id), ` +
  `outbox AS (INSERT INTO webhook_deliveries (${WEBHOOK_DELIVERY_COLUMNS.join(', ')}) ` +
  `SELECT ${WEBHOOK_DELIVERY_COLUMNS.map((c) => `d.${c}`).join(', ')} FROM json_populate_recordset(NULL::webhook_deliveries, $3::json) d ` +
  `JOIN webhooks w ON w.id = d.webhook_id FOR KEY SHARE OF w) SELECT 1`;

const dupKey = (actorKey: string, cid: string) => `${actorKey}\u0000${cid}`;

export type PgBatch = ReturnType<typeof createPgBatch>;

export function createPgBatch(statements: StatementHooks) {
  /** The connection of the batch in progress (null between batches). */
  let connection: DatabaseConnection | null = null;
  /** Conversation rows locked in this batch, as this batch has them now; null: declared, not there. */
  const rows = new Map<string, ConversationsTable | null>();
  /** A declared visitor's latest conversation id (null: none). */
  const latest = new Map<string, string | null>();
  /** Declared (sender, cid) pairs: the stored event, or null when there is none yet. */
  const duplicates = new Map<string, Duplicate | null>();
  let events: EventsTable[] = [];
  const updates = new Map<string, ConversationsTable>();
  let deliveries: NewWebhookDelivery[] = [];

  function reset(): void {
    connection = null;
    rows.clear();
    latest.clear();
    duplicates.clear();
    events = [];
    updates.clear();
    deliveries = [];
  }

  async function flush(execute: DatabaseConnection['executeQuery']): Promise<void> {
    if (!events.length && !updates.size && !deliveries.length) return;
    const params = [JSON.stringify(events), JSON.stringify([...updates.values()]), JSON.stringify(deliveries)];
    events = [];
    updates.clear();
    deliveries = [];
    await execute(CompiledQuery.raw(FLUSH_SQL, params));
  }

  const hook: StatementHook = (conn, query, execute) => {
    if (query.sql.startsWith(BATCH_MARK)) {
      connection = conn;
      return null;
    }
    if (conn !== connection) return null;
    if (query.sql === 'rollback') {
      reset();
      return null;
    }
    if (query.sql.startsWith(FLUSH_MARK)) return null;
    if (query.sql === 'commit') {
      connection = null;
      return flush(execute);
    }
    return events.length || updates.size || deliveries.length ? flush(execute) : null;
  };
  statements.set(hook);

  const copy = (row: ConversationsTable | null | undefined) => (row ? { ...row } : undefined);

  return {
    /** The write queue: a batch's transaction begins; lock and look up what its operations declared. */
    async batchBegins(tx: Transaction<Database>, declared: readonly (BatchKeys | undefined)[]): Promise<void> {
      reset();
      const ids = new Set<string>();
      const visitors = new Set<string>();
      const senders: string[] = [];
      const cids: string[] = [];
      for (const keys of declared) {
        if (!keys) continue;
        for (const id of keys.conversations ?? []) ids.add(id);
        for (const id of keys.visitors ?? []) visitors.add(id);
        for (const [actorKey, cid] of keys.cids ?? []) {
          const key = dupKey(actorKey, cid);
          if (duplicates.has(key)) continue;
          duplicates.set(key, null);
          senders.push(actorKey);
          cids.push(cid);
        }
      }
      for (const id of ids) rows.set(id, null);
      for (const id of visitors) latest.set(id, null);
      const result = await sql<{ k: 'c' | 'e'; r: Record<string, unknown> }>`${sql.raw(BATCH_MARK)}
        WITH locked AS (
          SELECT * FROM conversations
          WHERE id = ANY(${[...ids]}::text[])
             OR id IN (SELECT DISTINCT ON (visitor_id) id FROM conversations
                       WHERE visitor_id = ANY(${[...visitors]}::text[]) ORDER BY visitor_id, created_at DESC)
          ORDER BY id FOR UPDATE
        )
        SELECT 'c' AS k, to_json(l) AS r FROM locked l
        UNION ALL
        SELECT 'e', to_json(d) FROM (
          SELECT id, seq, visitor_seq, conversation_id, kind, actor_key, cid FROM events
          WHERE (actor_key, cid) IN (SELECT a, c FROM unnest(${senders}::text[], ${cids}::text[]) AS u(a, c))
        ) d`.execute(tx);
      for (const { k, r } of result.rows) {
        if (k === 'c') {
          const row = r as unknown as ConversationsTable;
          rows.set(row.id, row);
          if (visitors.has(row.visitor_id)) {
            const known = latest.get(row.visitor_id);
            const knownRow = known ? rows.get(known) : null;
            if (!knownRow || knownRow.created_at < row.created_at) latest.set(row.visitor_id, row.id);
          }
        } else {
          const { actor_key, cid, ...dup } = r as unknown as Duplicate & { actor_key: string; cid: string };
          duplicates.set(dupKey(actor_key, cid), dup);
        }
      }
    },
    /** The write queue: the batch's transaction failed (it is retried from the start). */
    batchFailed: reset,
    /** A conversation locked by this batch (a copy), undefined when missing; 'unknown' when not declared. */
    conversation(id: string): ConversationsTable | undefined | 'unknown' {
      const row = rows.get(id);
      return row === undefined && !rows.has(id) ? 'unknown' : copy(row);
    },
    /** A conversation locked outside the declared ones (read with FOR UPDATE by the caller). */
    locked(row: ConversationsTable | undefined, id: string): ConversationsTable | undefined {
      rows.set(id, row ? { ...row } : null);
      return row;
    },
    /** A declared visitor's latest conversation (a copy); 'unknown' when the visitor was not declared. */
    current(visitorId: string): ConversationsTable | undefined | 'unknown' {
      if (!latest.has(visitorId)) return 'unknown';
      const id = latest.get(visitorId);
      return id ? copy(rows.get(id)) : undefined;
    },
    /** The event stored for a declared (sender, cid), null when none; 'unknown' when not declared. */
    duplicate(actorKey: string, cid: string): Duplicate | null | 'unknown' {
      const found = duplicates.get(dupKey(actorKey, cid));
      return found === undefined ? 'unknown' : found;
    },
    /** A conversation this batch inserted (already written): locked, and its visitor's latest. */
    inserted(conv: ConversationsTable): void {
      rows.set(conv.id, { ...conv });
      latest.set(conv.visitor_id, conv.id);
    },
    /** Held back until the next statement or the COMMIT. */
    insertEvent(e: EventsTable): void {
      events.push(e);
      if (e.actor_key !== null && e.cid !== null) duplicates.set(dupKey(e.actor_key, e.cid), e);
    },
    /** Webhook outbox rows: held back until the next statement or the COMMIT, like the events. */
    insertDeliveries(rows: readonly NewWebhookDelivery[]): void {
      for (const row of rows) deliveries.push(row);
    },
    /** Held back until the next statement or the COMMIT; the batch reads the row as written. */
    updateConversation(conv: ConversationsTable): void {
      const row = { ...conv };
      rows.set(conv.id, row);
      updates.set(conv.id, row);
    },
  };
}
