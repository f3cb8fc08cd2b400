// Minimal rows for storage tests: a site 's', its visitor 'v' and that visitor's conversation 'c'.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export async function insertSiteVisitorConversation(db: Kysely<Database>, now = Date.now()): Promise<void> {
  await db.insertInto('sites').values({ key: 's', name: 'S', secret: 'x', settings: '{}', created_at: now }).execute();
  await db
    .insertInto('visitors')
    .values({
      id: 'v',
      site_key: 's',
      token_hash: 'h',
      external_id: null,
      name: null,
      email: null,
      verified: 0,
      context: '{}',
      created_at: now,
      last_seen_at: now,
    })
    .execute();
  await db
    .insertInto('conversations')
    .values({
      id: 'c',
      site_key: 's',
      visitor_id: 'v',
      status: 'bot',
      assignee_id: null,
      last_seq: 0,
      last_visitor_seq: 0,
      visitor_read_seq: 0,
      agent_read_seq: 0,
      bot_state: '{}',
      handoff_reason: null,
      lang: null,
      queued_at: null,
      assigned_at: null,
      resolved_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}
