// Minimal rows for storage tests and benchmarks: a site 's', its visitor 'v' and that visitor's
// conversation 'c'; an agent of the demo site.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { AgentActor } from '../core/actors.js';
import { DEMO_SITE } from '../app/seed.js';

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

/** An agent of the demo site (no password to log in with), as the conversation commands take it. */
export async function insertDemoAgent(db: Kysely<Database>, id: string, capacity: number): Promise<AgentActor> {
  const row = { id, email: 'agent@example.com', name: 'Agent', role: 'agent' as const, password_hash: 'x', capacity, created_at: 0 };
  await db.insertInto('agents').values(row).execute();
  await db.insertInto('agent_sites').values({ agent_id: id, site_key: DEMO_SITE }).execute();
  return { kind: 'agent', id, name: row.name, siteKeys: [DEMO_SITE] };
}
