// The hot path on SQLite: the statements every message runs, prepared once and run directly on
// the connection. They are only called inside a write-queue transaction, which holds Kysely's
// single SQLite connection, so they share its BEGIN/COMMIT.
import type SQLite from 'better-sqlite3';
import { EVENT_COLUMNS, WEBHOOK_DELIVERY_COLUMNS, type ConversationsTable, type EventsTable, type NewWebhookDelivery } from './schema.js';

export type SqliteStatements = ReturnType<typeof prepareSqliteStatements>;

/** The columns a write operation may change on a conversation: one list for both dialects. */
export const CONVERSATION_UPDATE = [
  'status',
  'assignee_id',
  'last_seq',
  'last_visitor_seq',
  'bot_state',
  'handoff_reason',
  'lang',
  'queued_at',
  'assigned_at',
  'resolved_at',
  'first_human_reply_at',
  'updated_at',
] as const;

/** Every column of a conversation row: those set once at creation, then the updatable ones. */
const CONVERSATION_COLUMNS = [
  'id',
  'site_key',
  'visitor_id',
  'visitor_read_seq',
  'agent_read_seq',
  'proactive_rule_id',
  'created_at',
  ...CONVERSATION_UPDATE,
] as const satisfies readonly (keyof ConversationsTable)[];

const COLUMN_INDEX = Object.fromEntries(CONVERSATION_COLUMNS.map((c, i) => [c, i])) as Record<keyof ConversationsTable, number>;

// Rows come back as arrays (`raw()`) and become objects here: better-sqlite3 builds a row object by
// setting each named property from C++, which took about half of a 10 µs primary-key look-up; an
// object literal costs next to nothing. Parameters are positional for the same reason (named ones
// are looked up in the object one by one: about 5 µs of a 15 µs insert).
function toConversation(r: unknown[]): ConversationsTable {
  const i = COLUMN_INDEX;
  return {
    id: r[i.id] as string,
    site_key: r[i.site_key] as string,
    visitor_id: r[i.visitor_id] as string,
    status: r[i.status] as ConversationsTable['status'],
    assignee_id: r[i.assignee_id] as string | null,
    last_seq: r[i.last_seq] as number,
    last_visitor_seq: r[i.last_visitor_seq] as number,
    visitor_read_seq: r[i.visitor_read_seq] as number,
    agent_read_seq: r[i.agent_read_seq] as number,
    bot_state: r[i.bot_state] as string,
    handoff_reason: r[i.handoff_reason] as string | null,
    lang: r[i.lang] as string | null,
    queued_at: r[i.queued_at] as number | null,
    assigned_at: r[i.assigned_at] as number | null,
    resolved_at: r[i.resolved_at] as number | null,
    first_human_reply_at: r[i.first_human_reply_at] as number | null,
    proactive_rule_id: r[i.proactive_rule_id] as string | null,
    created_at: r[i.created_at] as number,
    updated_at: r[i.updated_at] as number,
  };
}

/** Most conversation rows kept in memory (a few hundred bytes each). */
const ROW_CACHE_MAX = 20_000;

export function prepareSqliteStatements(sqlite: SQLite.Database) {
  // A migration that adds a column must add it here too, or rows read here would lack it.
  const columns = sqlite.prepare<[], string>("SELECT name FROM pragma_table_info('conversations')").pluck().all();
  const unread = columns.filter((c) => !(CONVERSATION_COLUMNS as readonly string[]).includes(c));
  if (unread.length) throw new Error(`sqlite-statements.ts does not read conversations.${unread.join(', conversations.')}`);
  const select = `SELECT ${CONVERSATION_COLUMNS.join(', ')} FROM conversations`;
  const conversation = sqlite.prepare<[string], unknown[]>(`${select} WHERE id = ?`).raw();
  const current = sqlite.prepare<[string], unknown[]>(`${select} WHERE visitor_id = ? ORDER BY created_at DESC LIMIT 1`).raw();
  const duplicate = sqlite
    .prepare<[string, string], unknown[]>('SELECT id, seq, visitor_seq, conversation_id, kind FROM events WHERE actor_key = ? AND cid = ?')
    .raw();
  const insertEvent = sqlite.prepare(
    `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertDelivery = sqlite.prepare(
    `INSERT INTO webhook_deliveries (${WEBHOOK_DELIVERY_COLUMNS.join(', ')}) VALUES (${WEBHOOK_DELIVERY_COLUMNS.map(() => '?').join(', ')})`,
  );
  // UPDATE sets only the columns that changed since the row was read: a message changes last_seq
  // and updated_at, and an UPDATE that names an indexed column (status, assignee_id, queued_at)
  // rewrites that index's entry even when the value is the same (more pages per commit).
  // Prepared once per set of changed columns, keyed by the set as a bit mask (no string per call).
  const updates = new Map<number, SQLite.Statement>();
  const updateFor = (mask: number) => {
    let stmt = updates.get(mask);
    if (!stmt) {
      const columns = CONVERSATION_UPDATE.filter((_, i) => mask & (1 << i));
      stmt = sqlite.prepare(`UPDATE conversations SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
      updates.set(mask, stmt);
    }
    return stmt;
  };
  /** Each conversation row as it was read (the raw values, by id), to tell which columns changed. */
  const asRead = new Map<string, { row: ConversationsTable; raw: unknown[] }>();
  const remember = (raw: unknown[] | undefined) => {
    if (!raw) return undefined;
    const row = toConversation(raw);
    asRead.set(row.id, { row, raw });
    return row;
  };

  // Conversation rows as this connection last read or wrote them (raw values, by id): a message
  // reads its conversation from here instead of from SQLite (two B-tree look-ups and 19 values to
  // convert, about 7 % of the server's time per message). Rows are never handed out, only copied
  // (toConversation), so an operation that changes its row and then fails leaves them as they were.
  // The cache holds only while this connection's changes all came from the statements below
  // (counted here and compared with total_changes(), 60 ns per look-up: any other write through
  // Kysely clears it), while no other connection has committed (data_version, 1.3 µs, checked when
  // a batch begins), and while no batch has rolled back (the write queue says so).
  const rows = new Map<string, unknown[]>();
  const totalChanges = sqlite.prepare<[], number>('SELECT total_changes()').pluck();
  const dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck();
  let ownChanges = -1;
  let version = dataVersion.get();
  const cached = (id: string) => {
    const total = totalChanges.get()!;
    if (total !== ownChanges) {
      rows.clear();
      ownChanges = total;
      return undefined;
    }
    return rows.get(id);
  };
  const keep = (id: string, raw: unknown[]) => {
    if (rows.size >= ROW_CACHE_MAX) rows.delete(rows.keys().next().value!);
    rows.set(id, raw);
  };
  return {
    conversation(id: string) {
      let raw = cached(id);
      if (!raw) {
        raw = conversation.get(id);
        if (raw) keep(id, raw);
      }
      return remember(raw);
    },
    /** The write queue: a batch begins (another connection may have committed since the last). */
    batchBegins() {
      const now = dataVersion.get();
      if (now !== version) {
        version = now;
        rows.clear();
      }
    },
    /** The write queue: a batch rolled back, so rows written in it never happened. */
    batchFailed() {
      rows.clear();
      ownChanges = -1;
    },
    current: (visitorId: string) => remember(current.get(visitorId)),
    duplicate(actorKey: string, cid: string): Pick<EventsTable, 'id' | 'seq' | 'visitor_seq' | 'conversation_id' | 'kind'> | undefined {
      const r = duplicate.get(actorKey, cid);
      return (
        r && {
          id: r[0] as string,
          seq: r[1] as number,
          visitor_seq: r[2] as number | null,
          conversation_id: r[3] as string,
          kind: r[4] as EventsTable['kind'],
        }
      );
    },
    insertEvent(e: EventsTable) {
      ownChanges += insertEvent.run(
        e.id,
        e.conversation_id,
        e.seq,
        e.visitor_seq,
        e.kind,
        e.author_type,
        e.author_id,
        e.author_name,
        e.text,
        e.data,
        e.actor_key,
        e.cid,
        e.created_at,
      ).changes;
    },
    /** Webhook outbox rows, in the transaction of the events they describe. */
    insertDeliveries(rows: readonly NewWebhookDelivery[]) {
      for (const d of rows)
        ownChanges += insertDelivery.run(
          d.id,
          d.webhook_id,
          d.conversation_id,
          d.seq,
          d.event,
          d.payload,
          d.status,
          d.attempts,
          d.next_attempt_at,
          d.created_at,
        ).changes;
    },
    updateConversation(conv: ConversationsTable) {
      const read = asRead.get(conv.id);
      asRead.delete(conv.id);
      // Without the row as read (a row built elsewhere, or a second update), every column is set.
      const before = read?.row === conv ? read.raw : undefined;
      const params: unknown[] = [];
      let mask = 0;
      for (let i = 0; i < CONVERSATION_UPDATE.length; i++) {
        const c = CONVERSATION_UPDATE[i]!;
        if (before && conv[c] === before[COLUMN_INDEX[c]]) continue;
        mask |= 1 << i;
        params.push(conv[c]);
      }
      if (!mask) return;
      params.push(conv.id);
      const { changes } = updateFor(mask).run(params);
      ownChanges += changes;
      // The row as it now is in the database, for the next message in this conversation.
      if (changes === 1)
        keep(
          conv.id,
          CONVERSATION_COLUMNS.map((c) => conv[c]),
        );
      else rows.delete(conv.id);
    },
  };
}
