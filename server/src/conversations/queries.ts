// The agents' read models of conversations: the queue snapshot, lists with search and filters, the
// detail with the visitor's context and earlier conversations, labels. Reads only (labels aside),
// outside the write queue; the write path's rows are repository.ts.
import type { ConversationView } from '@servus/shared';
import { sql } from 'kysely';
import type { AgentActor } from '../core/actors.js';
import type { ConversationRepository } from './repository.js';
import type { Queue } from './queue.js';
import { parseData, toView, type ConversationRow, type EventRow } from './views.js';

export interface ListFilter {
  status: 'queued' | 'assigned' | 'resolved' | 'bot' | 'all';
  /** Only the agent's own conversations. */
  mine?: boolean;
  /** Text in a message or note (case-insensitive). */
  q?: string | undefined;
  label?: string | undefined;
  limit: number;
  /** Only conversations updated before this time (paging). */
  before?: number | undefined;
}

/** A list row's last message; an attachment says so, with its name and type (the queue preview shows it). */
function lastMessageOf(l: { text: string; created_at: number; author_type: EventRow['author_type']; data: string | null }) {
  const last: NonNullable<ConversationView['lastMessage']> = { text: l.text.slice(0, 200), at: l.created_at, author: l.author_type };
  const attachment = l.data ? parseData(l as EventRow).attachment : undefined;
  if (attachment) last.attachment = { name: attachment.name, type: attachment.type };
  return last;
}

export type ConversationQueries = ReturnType<typeof createConversationQueries>;

export function createConversationQueries({ repo, queue }: { repo: ConversationRepository; queue: Queue }) {
  const { db, dialect } = repo;

  /** A conversation as one audience sees it now, with its assignee's name and queue place. */
  async function viewFor(conv: ConversationRow, audience: 'agent' | 'visitor'): Promise<ConversationView> {
    return toView(conv, audience, { assigneeName: await repo.agentName(conv.assignee_id), queue: await queue.infoFor(conv) });
  }

  /** List rows as agents see them: the last message, the visitor, the assignee's name. */
  async function views(rows: ConversationRow[]): Promise<ConversationView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const last = await db
      .selectFrom('events as e')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('events')
            .select((x) => ['conversation_id', x.fn.max('seq').as('s')])
            .where('conversation_id', 'in', ids)
            .where('kind', '=', 'message')
            .groupBy('conversation_id')
            .as('m'),
        (j) => j.onRef('m.conversation_id', '=', 'e.conversation_id').onRef('m.s', '=', 'e.seq'),
      )
      .select(['e.conversation_id', 'e.text', 'e.created_at', 'e.author_type', 'e.data'])
      .execute();
    const lastBy = new Map(last.map((l) => [l.conversation_id, l]));
    const visitors = await db
      .selectFrom('visitors')
      .select(['id', 'name', 'email', 'verified'])
      .where(
        'id',
        'in',
        rows.map((r) => r.visitor_id),
      )
      .execute();
    const visitorBy = new Map(visitors.map((v) => [v.id, v]));
    const agentRows = await db.selectFrom('agents').select(['id', 'name']).execute();
    const agentBy = new Map(agentRows.map((a) => [a.id, a.name]));
    return rows.map((row) => {
      const l = lastBy.get(row.id);
      const v = visitorBy.get(row.visitor_id);
      return toView(row, 'agent', {
        assigneeName: row.assignee_id ? (agentBy.get(row.assignee_id) ?? null) : null,
        lastMessage: l ? lastMessageOf(l) : null,
        visitor: {
          id: row.visitor_id,
          ...(v?.name ? { name: v.name } : {}),
          ...(v?.email ? { email: v.email } : {}),
          verified: v?.verified === 1,
        },
      });
    });
  }

  return {
    viewFor,

    /** The queue of the agent's sites, oldest first, then the agent's own open conversations. */
    async queueSnapshot(agent: AgentActor): Promise<ConversationView[]> {
      if (!agent.siteKeys.length) return [];
      const rows = await db
        .selectFrom('conversations')
        .selectAll()
        .where('site_key', 'in', agent.siteKeys)
        .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'assigned'), eb('assignee_id', '=', agent.id)])]))
        .orderBy('queued_at')
        .limit(500)
        .execute();
      const list: ConversationView[] = [];
      for (const row of rows) list.push(await viewFor(row, 'agent'));
      return list;
    },

    /** Conversations of the agent's sites, filtered and searched, newest first (the queue oldest first). */
    async list(agent: AgentActor, f: ListFilter): Promise<ConversationView[]> {
      if (!agent.siteKeys.length) return [];
      let q = db.selectFrom('conversations').selectAll('conversations').where('conversations.site_key', 'in', agent.siteKeys);
      if (f.status !== 'all') q = q.where('conversations.status', '=', f.status);
      if (f.mine) q = q.where('conversations.assignee_id', '=', agent.id);
      if (f.before !== undefined) q = q.where('conversations.updated_at', '<', f.before);
      const label = f.label;
      if (label)
        q = q.where((eb) =>
          eb.exists(
            eb
              .selectFrom('conversation_labels as l')
              .select('l.label')
              .whereRef('l.conversation_id', '=', 'conversations.id')
              .where('l.label', '=', label),
          ),
        );
      if (f.q?.trim()) {
        const pattern = `%${f.q.trim().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
        const op = dialect === 'postgres' ? 'ilike' : 'like';
        q = q.where((eb) =>
          eb.exists(
            eb
              .selectFrom('events as e')
              .select('e.id')
              .whereRef('e.conversation_id', '=', 'conversations.id')
              .where('e.kind', 'in', ['message', 'note'])
              .where(sql<boolean>`e.text ${sql.raw(op)} ${pattern} escape '\\'`),
          ),
        );
      }
      const order = f.status === 'queued' ? 'asc' : 'desc';
      const rows = await q
        .orderBy(f.status === 'queued' ? 'conversations.queued_at' : 'conversations.updated_at', order)
        .limit(f.limit)
        .execute();
      return views(rows);
    },

    /** One conversation for the agents' view: the visitor with their context, earlier conversations, labels. */
    async detail(conv: ConversationRow) {
      const visitor = await db.selectFrom('visitors').selectAll().where('id', '=', conv.visitor_id).executeTakeFirstOrThrow();
      const earlierRows = await db
        .selectFrom('conversations')
        .selectAll()
        .where('visitor_id', '=', conv.visitor_id)
        .where('id', '!=', conv.id)
        .orderBy('created_at', 'desc')
        .limit(20)
        .execute();
      const labels = await db
        .selectFrom('conversation_labels')
        .select('label')
        .where('conversation_id', '=', conv.id)
        .orderBy('label')
        .execute();
      let context: Record<string, unknown> = {};
      try {
        context = JSON.parse(visitor.context) as Record<string, unknown>;
      } catch {
        // Stored by us; kept empty if ever unreadable.
      }
      return {
        conversation: await viewFor(conv, 'agent'),
        visitor: {
          id: visitor.id,
          name: visitor.name,
          email: visitor.email,
          externalId: visitor.verified ? visitor.external_id : null,
          verified: visitor.verified === 1,
          context,
          createdAt: visitor.created_at,
          lastSeenAt: visitor.last_seen_at,
        },
        earlier: await views(earlierRows),
        labels: labels.map((l) => l.label),
      };
    },

    /** Replaces a conversation's labels; returns them sorted, without duplicates. */
    async setLabels(conv: ConversationRow, given: string[]): Promise<string[]> {
      const labels = [...new Set(given)].sort();
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('conversation_labels').where('conversation_id', '=', conv.id).execute();
        if (labels.length)
          await tx
            .insertInto('conversation_labels')
            .values(labels.map((l) => ({ conversation_id: conv.id, label: l })))
            .execute();
      });
      return labels;
    },
  };
}
