// The hot path on SQLite: the statements every message runs, prepared once and run directly on
// the connection. They are only called inside a write-queue transaction, which holds Kysely's
// single SQLite connection, so they share its BEGIN/COMMIT.
import type SQLite from 'better-sqlite3';
import type { ConversationsTable, EventsTable } from './schema.js';

export type SqliteStatements = ReturnType<typeof prepareSqliteStatements>;

const EVENT_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'visitor_seq',
  'kind',
  'author_type',
  'author_id',
  'author_name',
  'text',
  'data',
  'actor_key',
  'cid',
  'created_at',
] as const;
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

export function prepareSqliteStatements(sqlite: SQLite.Database) {
  const conversation = sqlite.prepare<[string], ConversationsTable>('SELECT * FROM conversations WHERE id = ?');
  const current = sqlite.prepare<[string], ConversationsTable>(
    'SELECT * FROM conversations WHERE visitor_id = ? ORDER BY created_at DESC LIMIT 1',
  );
  const duplicate = sqlite.prepare<[string, string], Pick<EventsTable, 'id' | 'seq' | 'visitor_seq' | 'conversation_id'>>(
    'SELECT id, seq, visitor_seq, conversation_id FROM events WHERE actor_key = ? AND cid = ?',
  );
  const insertEvent = sqlite.prepare(
    `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map((c) => '@' + c).join(', ')})`,
  );
  // UPDATE sets only the columns that changed since the row was read: a message changes last_seq
  // and updated_at, and an UPDATE that names an indexed column (status, assignee_id, queued_at)
  // rewrites that index's entry even when the value is the same (more pages per commit).
  const updates = new Map<string, SQLite.Statement>();
  const updateFor = (columns: readonly string[]) => {
    const key = columns.join(',');
    let stmt = updates.get(key);
    if (!stmt) {
      stmt = sqlite.prepare(`UPDATE conversations SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
      updates.set(key, stmt);
    }
    return stmt;
  };
  /** Each row as it was read, to tell which columns a write operation changed. */
  const asRead = new WeakMap<ConversationsTable, Partial<ConversationsTable>>();
  const remember = (row: ConversationsTable | undefined) => {
    if (row) asRead.set(row, { ...row });
    return row;
  };
  return {
    conversation: (id: string) => remember(conversation.get(id)),
    current: (visitorId: string) => remember(current.get(visitorId)),
    duplicate: (actorKey: string, cid: string) => duplicate.get(actorKey, cid),
    insertEvent: (row: EventsTable) => void insertEvent.run(row),
    updateConversation(conv: ConversationsTable) {
      const before = asRead.get(conv);
      const columns = before ? CONVERSATION_UPDATE.filter((c) => conv[c] !== before[c]) : CONVERSATION_UPDATE;
      if (!columns.length) return;
      const params: Record<string, unknown> = { id: conv.id };
      for (const c of columns) params[c] = conv[c];
      updateFor(columns).run(params);
      // Saved: later changes in the same operation compare against what is stored now.
      asRead.set(conv, { ...conv });
    },
  };
}
