// Portable migrations: written once with Kysely's schema builder, run on SQLite and PostgreSQL.
import { type Kysely, type Migration, type MigrationProvider, Migrator, SqliteAdapter, sql } from 'kysely';

const EVENT_COLUMNS =
  'id, conversation_id, seq, visitor_seq, kind, author_type, author_id, author_name, text, data, actor_key, cid, created_at';

/**
 * SQLite cannot drop a table constraint: the events table is rebuilt (the documented way: create the
 * new table, copy, drop, rename), with or without the (conversation_id, visitor_seq) constraint.
 * Runs inside the migration's transaction; no other table references events.
 */
async function rebuildSqliteEvents(db: Kysely<unknown>, visitorSeqUnique: boolean): Promise<void> {
  await sql`CREATE TABLE "events_new" ("id" varchar(64) primary key, "conversation_id" varchar(64) not null references "conversations" ("id") on delete cascade, "seq" integer not null, "visitor_seq" integer, "kind" varchar(16) not null, "author_type" varchar(16) not null, "author_id" varchar(64), "author_name" varchar(200), "text" text not null, "data" text, "actor_key" varchar(80), "cid" varchar(80), "created_at" bigint not null, constraint "events_conversation_seq" unique ("conversation_id", "seq"), ${sql.raw(visitorSeqUnique ? 'constraint "events_conversation_visitor_seq" unique ("conversation_id", "visitor_seq"), ' : '')}constraint "events_actor_cid" unique ("actor_key", "cid"))`.execute(
    db,
  );
  await sql`INSERT INTO "events_new" (${sql.raw(EVENT_COLUMNS)}) SELECT ${sql.raw(EVENT_COLUMNS)} FROM "events"`.execute(db);
  await sql`DROP TABLE "events"`.execute(db);
  await sql`ALTER TABLE "events_new" RENAME TO "events"`.execute(db);
}

const isSqlite = (db: Kysely<unknown>) => db.getExecutor().adapter instanceof SqliteAdapter;

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      // bigint for epoch milliseconds (PostgreSQL's integer is 32-bit); SQLite stores it as INTEGER.
      await db.schema
        .createTable('sites')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('agents')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull().defaultTo(3))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('agent_sites')
        .addColumn('agent_id', 'varchar(64)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull().references('sites.key').onDelete('cascade'))
        .addPrimaryKeyConstraint('agent_sites_pk', ['agent_id', 'site_key'])
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('agent_id', 'varchar(64)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('visitors')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull().references('sites.key').onDelete('cascade'))
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('external_id', 'varchar(128)')
        .addColumn('name', 'varchar(200)')
        .addColumn('email', 'varchar(254)')
        .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('context', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull().references('sites.key').onDelete('cascade'))
        .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull().references('visitors.id').onDelete('cascade'))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('assignee_id', 'varchar(64)', (c) => c.references('agents.id').onDelete('set null'))
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_visitor_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('visitor_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('agent_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bot_state', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('handoff_reason', 'varchar(32)')
        .addColumn('lang', 'varchar(8)')
        .addColumn('queued_at', 'bigint')
        .addColumn('assigned_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('conversations_visitor').on('conversations').columns(['visitor_id', 'created_at']).execute();
      await db.schema.createIndex('conversations_site_status').on('conversations').columns(['site_key', 'status', 'queued_at']).execute();
      await db.schema
        .createTable('events')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('visitor_seq', 'integer')
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('author_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('author_id', 'varchar(64)')
        .addColumn('author_name', 'varchar(200)')
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('data', 'text')
        .addColumn('actor_key', 'varchar(80)')
        .addColumn('cid', 'varchar(80)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('events_conversation_seq', ['conversation_id', 'seq'])
        .addUniqueConstraint('events_conversation_visitor_seq', ['conversation_id', 'visitor_seq'])
        // A retried command never creates a second event: (actor, client id) is unique.
        .addUniqueConstraint('events_actor_cid', ['actor_key', 'cid'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['events', 'conversations', 'visitors', 'sessions', 'agent_sites', 'agents', 'sites']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  '0002_console': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('conversation_labels')
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('label', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_labels_pk', ['conversation_id', 'label'])
        .execute();
      await db.schema.createIndex('conversation_labels_label').on('conversation_labels').column('label').execute();
      await db.schema
        .createTable('canned_responses')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('shortcut', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_conversation_created').on('events').columns(['conversation_id', 'created_at']).execute();
      await db.schema.createIndex('conversations_assignee').on('conversations').columns(['assignee_id', 'status']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('canned_responses').ifExists().execute();
      await db.schema.dropTable('conversation_labels').ifExists().execute();
    },
  },
  '0003_unanswered': {
    async up(db: Kysely<unknown>) {
      // Questions the bot could not answer, counted per site, so the FAQ can grow from them.
      await db.schema
        .createTable('unanswered_questions')
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull().references('sites.key').onDelete('cascade'))
        .addColumn('normalized', 'varchar(300)', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('lang', 'varchar(8)')
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('last_conversation_id', 'varchar(64)')
        .addColumn('first_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('unanswered_questions_pk', ['site_key', 'normalized'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('unanswered_questions').ifExists().execute();
    },
  },
  '0004_first_human_reply': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('conversations').addColumn('first_human_reply_at', 'bigint').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('conversations').dropColumn('first_human_reply_at').execute();
    },
  },
  '0005_lean_event_indexes': {
    async up(db: Kysely<unknown>) {
      // (conversation_id, seq) already orders a conversation's events; one index less per message.
      await db.schema.dropIndex('events_conversation_created').ifExists().execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.createIndex('events_conversation_created').on('events').columns(['conversation_id', 'created_at']).execute();
    },
  },
  '0006_proactive': {
    async up(db: Kysely<unknown>) {
      // Proactive messages (docs/proactive.md): which rule led to a conversation, and shown/opened per rule and hour.
      await db.schema.alterTable('conversations').addColumn('proactive_rule_id', 'varchar(64)').execute();
      await db.schema
        .createTable('proactive_counts')
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull().references('sites.key').onDelete('cascade'))
        .addColumn('rule_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('hour', 'bigint', (c) => c.notNull())
        .addColumn('shown', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('opened', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('proactive_counts_pk', ['site_key', 'rule_id', 'hour'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('proactive_counts').ifExists().execute();
      await db.schema.alterTable('conversations').dropColumn('proactive_rule_id').execute();
    },
  },
  '0007_events_visitor_seq_unindexed': {
    // One B-tree less per message: the (conversation_id, visitor_seq) index put every message on a
    // page of its own conversation in one more index, so a commit wrote one more page per
    // conversation in it (write-path bench: 34,700 -> 42,800 msgs/s). visitor_seq rises with seq in
    // every conversation (both are assigned together under the conversation's lock, and seq >=
    // visitor_seq), so visitor replay and read receipts walk the (conversation_id, seq) index instead.
    async up(db: Kysely<unknown>) {
      if (isSqlite(db)) await rebuildSqliteEvents(db, false);
      else await db.schema.alterTable('events').dropConstraint('events_conversation_visitor_seq').execute();
    },
    async down(db: Kysely<unknown>) {
      if (isSqlite(db)) await rebuildSqliteEvents(db, true);
      else
        await db.schema
          .alterTable('events')
          .addUniqueConstraint('events_conversation_visitor_seq', ['conversation_id', 'visitor_seq'])
          .execute();
    },
  },
  '0008_login_throttle': {
    // Throttling by account and address instead of a lockout anyone could trigger (login-throttle.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'varchar(160)', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_throttle_last_at').on('login_throttle').column('last_at').execute();
      await db.schema
        .createTable('agent_login_addresses')
        .addColumn('agent_id', 'varchar(64)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
        .addColumn('address', 'varchar(64)', (c) => c.notNull())
        .addColumn('last_success_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('agent_login_addresses_pk', ['agent_id', 'address'])
        .execute();
      await db.schema.alterTable('agents').dropColumn('failed_logins').execute();
      await db.schema.alterTable('agents').dropColumn('locked_until').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema
        .alterTable('agents')
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('agents').addColumn('locked_until', 'bigint').execute();
      await db.schema.dropTable('agent_login_addresses').ifExists().execute();
      await db.schema.dropTable('login_throttle').ifExists().execute();
    },
  },
  '0009_jobs': {
    // Durable jobs and timers (jobs/jobs.ts): rows any instance can claim, not setTimeouts.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(200)', (c) => c.notNull())
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('locked_until', 'bigint')
        .addColumn('locked_by', 'varchar(64)')
        .addColumn('last_error', 'text')
        .addColumn('failed_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('jobs_kind_key', ['kind', 'key'])
        .execute();
      await db.schema.createIndex('jobs_run_at').on('jobs').column('run_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('jobs').ifExists().execute();
    },
  },
  '0010_presence': {
    // Presence across instances (presence/presence.ts): instances with heartbeats, agent sockets per instance.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('presence_connections')
        .addColumn('conn_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('agent_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('site_keys', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('presence_connections_instance').on('presence_connections').column('instance_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('presence_connections').ifExists().execute();
      await db.schema.dropTable('instances').ifExists().execute();
    },
  },
  '0010b_faq_files': {
    // Each site's FAQ files in the database, so every instance answers from the same FAQ (faq/sync.ts).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('faq_files')
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('faq_files_pk', ['site_key', 'name'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('faq_files').ifExists().execute();
    },
  },
  '0011_bot_learning': {
    // The bot learning from its site (learning/): people's labels of bot turns, each site's own
    // calibration and control, and the FAQ entries visitors reached.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('bot_labels')
        .addColumn('message_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('label', 'varchar(16)', (c) => c.notNull())
        .addColumn('question', 'text', (c) => c.notNull())
        .addColumn('faq_id', 'varchar(200)')
        .addColumn('confidence', 'double precision', (c) => c.notNull())
        .addColumn('agent_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('bot_labels_pk', ['message_id', 'source'])
        .execute();
      await db.schema.createIndex('bot_labels_site').on('bot_labels').columns(['site_key', 'created_at']).execute();
      await db.schema.createIndex('bot_labels_conversation').on('bot_labels').column('conversation_id').execute();
      await db.schema
        .createTable('bot_sites')
        .addColumn('site_key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('bias', 'double precision', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('fitted', 'integer', (c) => c.notNull())
        .addColumn('labels', 'integer', (c) => c.notNull())
        .addColumn('figures', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('bot_reached')
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('faq_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('bot_reached_pk', ['site_key', 'faq_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('bot_reached').ifExists().execute();
      await db.schema.dropTable('bot_sites').ifExists().execute();
      await db.schema.dropTable('bot_labels').ifExists().execute();
    },
  },
  '0013_attachments': {
    // Files in conversations (attachments/): their facts, and their bytes in numbered chunks.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('attachments')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('conversation_id', 'varchar(64)')
        .addColumn('event_id', 'varchar(64)')
        .addColumn('uploader_key', 'varchar(100)', (c) => c.notNull())
        .addColumn('cid', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('type', 'varchar(100)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('chunks', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attachments_conversation').on('attachments').column('conversation_id').execute();
      await db.schema.createIndex('attachments_status_created').on('attachments').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('attachments_uploader_cid').on('attachments').columns(['uploader_key', 'cid']).execute();
      await db.schema
        .createTable('attachment_chunks')
        .addColumn('attachment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('data', isSqlite(db) ? 'blob' : 'bytea', (c) => c.notNull())
        .addPrimaryKeyConstraint('attachment_chunks_pk', ['attachment_id', 'n'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('attachment_chunks').ifExists().execute();
      await db.schema.dropTable('attachments').ifExists().execute();
    },
  },
  '0014_mail': {
    // Conversations that go on by email (mail/): a reply address per conversation, single-use links
    // back into the chat, and a log of mails each way (limits, exactly-once inbound).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mail_threads')
        .addColumn('conversation_id', 'varchar(64)', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('reply_key', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('email', 'varchar(254)', (c) => c.notNull())
        .addColumn('mailed_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stopped_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('mail_link_tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('mail_link_tokens_conversation').on('mail_link_tokens').column('conversation_id').execute();
      await db.schema
        .createTable('mail_log')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('conversation_id', 'varchar(64)', (c) => c.references('conversations.id').onDelete('cascade'))
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('direction', 'varchar(8)', (c) => c.notNull())
        .addColumn('message_id', 'varchar(300)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('mail_log_message', ['direction', 'message_id'])
        .execute();
      await db.schema.createIndex('mail_log_site_time').on('mail_log').columns(['site_key', 'created_at']).execute();
      await db.schema.createIndex('mail_log_conversation_time').on('mail_log').columns(['conversation_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['mail_log', 'mail_link_tokens', 'mail_threads']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
  '0014b_privacy': {
    // Data protection (privacy/): who exported, erased or viewed a person's data or changed settings
    // and agents. Kept apart from conversation data: erasing a person never deletes these rows.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(64)')
        .addColumn('actor_name', 'varchar(254)')
        .addColumn('address', 'varchar(64)')
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('site_key', 'varchar(64)')
        .addColumn('subject', 'varchar(200)')
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_site_at').on('audit_log').columns(['site_key', 'at']).execute();
      await db.schema.createIndex('visitors_site_email').on('visitors').columns(['site_key', 'email']).execute();
      await db.schema.createIndex('conversations_site_created').on('conversations').columns(['site_key', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('conversations_site_created').ifExists().execute();
      await db.schema.dropIndex('visitors_site_email').ifExists().execute();
      await db.schema.dropTable('audit_log').ifExists().execute();
    },
  },
  '0015_api_tokens': {
    // Integration tokens (auth/api-tokens.ts): only the SHA-256 of the secret is stored.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('site_keys', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      // A verified user's visitors on every device, found by their id from the site's login (history across devices).
      await db.schema.createIndex('visitors_external_id').on('visitors').columns(['site_key', 'external_id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('visitors_external_id').ifExists().execute();
      await db.schema.dropTable('api_tokens').ifExists().execute();
    },
  },
  '0015b_webhooks': {
    // Webhooks per site and their durable outbox, one row per delivery (webhooks/).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('disabled_reason', 'varchar(500)')
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_site').on('webhooks').column('site_key').execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('conversation_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('event', 'varchar(64)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_response', 'text')
        .addColumn('last_error', 'varchar(1000)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_order')
        .on('webhook_deliveries')
        .columns(['webhook_id', 'conversation_id', 'status', 'seq'])
        .execute();
      await db.schema.createIndex('webhook_deliveries_log').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('webhook_deliveries').ifExists().execute();
      await db.schema.dropTable('webhooks').ifExists().execute();
    },
  },
  '0012_agent_accounts': {
    // Agent accounts (issue 17): the status an agent chose (kept across reloads and devices), their
    // initials and console language, and deactivation by an admin.
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('agents')
        .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('online'))
        .execute();
      await db.schema.alterTable('agents').addColumn('initials', 'varchar(8)').execute();
      await db.schema.alterTable('agents').addColumn('lang', 'varchar(8)').execute();
      await db.schema
        .alterTable('agents')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['active', 'lang', 'initials', 'status']) await db.schema.alterTable('agents').dropColumn(column).execute();
    },
  },
  '0017_h19_erasure_requests': {
    // A visitor's own erasure, confirmed by email (privacy/erasure.ts): the pending requests. Rows
    // go when used, when the person is erased, and a day after they expire.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('erasure_requests')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('site_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('email', 'varchar(254)', (c) => c.notNull())
        .addColumn('visitor_id', 'varchar(64)')
        .addColumn('lang', 'varchar(8)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('erasure_requests_site_time').on('erasure_requests').columns(['site_key', 'created_at']).execute();
      await db.schema.createIndex('erasure_requests_email').on('erasure_requests').columns(['site_key', 'email']).execute();
      await db.schema.createIndex('erasure_requests_visitor').on('erasure_requests').column('visitor_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('erasure_requests').ifExists().execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The migrator over these migrations (tests step it down and up). */
export function createMigrator(db: Kysely<unknown>, schema?: string): Migrator {
  return new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
}

export async function migrate(db: Kysely<unknown>, schema?: string): Promise<string[]> {
  const { error, results } = await createMigrator(db, schema).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
