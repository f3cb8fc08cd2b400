// The one place that reads and writes conversations and their event log on the write path: row
// locks, the exactly-once look-up of a (sender, cid), seq assignment, saving, replay rows and read
// markers. On SQLite the per-message statements run on the prepared hot path
// (storage/sqlite-statements.ts), inside a write-queue transaction only; on PostgreSQL (several
// processes) the write queue's batch locks every declared conversation and looks up every declared
// cid in one round trip, and writes what the batch saved in one more (storage/pg-batch.ts). The
// agents' read models (lists, search, detail) are in queries.ts.
import { ErrorCode, type AckFrame } from '@servus/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Database, NewWebhookDelivery } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import { CONVERSATION_UPDATE, type SqliteStatements } from '../storage/sqlite-statements.js';
import type { PgBatch } from '../storage/pg-batch.js';
import { ServusError, notFound } from '../core/errors.js';
import { eventId, randomId } from '../core/ids.js';
import type { ConversationRow, EventData, EventRow } from './views.js';
import type { Actor, AgentActor, VisitorActor } from '../core/actors.js';

export type Executor = Kysely<Database> | Transaction<Database>;

/** An event about to be logged; appendEvent gives it its seqs. */
export interface NewEvent {
  kind: EventRow['kind'];
  authorType: EventRow['author_type'];
  authorId?: string | null;
  authorName?: string | null;
  text: string;
  data?: EventData | null;
  cid?: string | null;
  actorKey?: string | null;
  /** Agents only (notes, internal status details). */
  internal?: boolean;
}

/** The key a sender's cids are unique under: `v:` visitors, `a:` agents, `i:` integrations (tokens), `b:bot` deferred bot answers. */
export const actorKey = (actor: Actor) => `${actor.kind === 'visitor' ? 'v' : actor.kind === 'agent' ? 'a' : 'i'}:${actor.id}`;

export interface ConversationRepositoryOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  /** SQLite only: prepared statements for the per-message hot path. */
  sqlite?: SqliteStatements | undefined;
  /** PostgreSQL only: the batched write path. */
  pg?: PgBatch | undefined;
}

export type ConversationRepository = ReturnType<typeof createConversationRepository>;

export function createConversationRepository({ db, dialect, sqlite: fast, pg: batch }: ConversationRepositoryOptions) {
  /** True inside a write-queue transaction: only there may the SQLite hot path run. */
  const inTx = (tx: Executor): tx is Transaction<Database> => tx !== db;
  const agentNames = new Map<string, string>();

  /** An agent's display name (cached: names change rarely, and a message needs it on the hot path). */
  async function agentName(id: string | null, executor: Executor = db): Promise<string | null> {
    if (!id) return null;
    const cached = agentNames.get(id);
    if (cached) return cached;
    const row = await executor.selectFrom('agents').select('name').where('id', '=', id).executeTakeFirst();
    if (row) agentNames.set(id, row.name);
    return row?.name ?? null;
  }

  async function lockConversation(tx: Transaction<Database>, id: string): Promise<ConversationRow | undefined> {
    if (fast) return fast.conversation(id);
    if (batch) {
      const known = batch.conversation(id);
      if (known !== 'unknown') return known;
      // Not declared by its operation: locked now, after the batch's others (rare; a deadlock
      // this could cause is retried by the write queue).
      return batch.locked(await tx.selectFrom('conversations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst(), id);
    }
    const q = tx.selectFrom('conversations').selectAll().where('id', '=', id);
    return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  }

  /** The stored event of a (sender, cid), when the batch looked it up already ('unknown' otherwise). */
  const batchDuplicate = (tx: Executor, key: string, cid: string) => (batch && inTx(tx) ? batch.duplicate(key, cid) : 'unknown');

  /**
   * The stored ack of a command this actor already sent, if any. A cid names one command: reused
   * for another conversation or another kind of command it is an error, not a silent retry.
   */
  async function findDuplicate(
    tx: Executor,
    actor: Actor,
    cid: string,
    expected?: { conversationId?: string | undefined; kind: EventRow['kind'] | readonly EventRow['kind'][] },
  ): Promise<AckFrame | null> {
    const key = actorKey(actor);
    const known = batchDuplicate(tx, key, cid);
    const row =
      known !== 'unknown'
        ? (known ?? undefined)
        : fast && inTx(tx)
          ? fast.duplicate(key, cid)
          : await tx
              .selectFrom('events')
              .select(['id', 'seq', 'visitor_seq', 'conversation_id', 'kind'])
              .where('actor_key', '=', key)
              .where('cid', '=', cid)
              .executeTakeFirst();
    if (!row) return null;
    if (expected) {
      const kinds: readonly string[] = typeof expected.kind === 'string' ? [expected.kind] : expected.kind;
      if ((expected.conversationId !== undefined && expected.conversationId !== row.conversation_id) || !kinds.includes(row.kind)) {
        throw new ServusError(ErrorCode.CID_REUSED, 'This cid was already used for another command; send each command with a new cid.', {
          path: 'cid',
        });
      }
    }
    const seq = actor.kind === 'visitor' ? (row.visitor_seq ?? undefined) : row.seq;
    return { type: 'ack', cid, conversationId: row.conversation_id, id: row.id, ...(seq !== undefined ? { seq } : {}), duplicate: true };
  }

  /** Whether a deferred bot answer with this cid is logged already (its cid derives from the question). */
  async function botAnswerLogged(tx: Transaction<Database>, botActorKey: string, cid: string): Promise<boolean> {
    if (fast) return fast.duplicate(botActorKey, cid) !== undefined;
    const known = batchDuplicate(tx, botActorKey, cid);
    if (known !== 'unknown') return known !== null;
    return (
      (await tx.selectFrom('events').select('id').where('actor_key', '=', botActorKey).where('cid', '=', cid).executeTakeFirst()) !==
      undefined
    );
  }

  /** The next event of a conversation: the next seq, and the next visitor seq unless visitors may not see it. */
  function appendEvent(conv: ConversationRow, e: NewEvent, at: number): EventRow {
    conv.last_seq += 1;
    const visible = !e.internal && e.kind !== 'note';
    if (visible) conv.last_visitor_seq += 1;
    return {
      id: eventId(at),
      conversation_id: conv.id,
      seq: conv.last_seq,
      visitor_seq: visible ? conv.last_visitor_seq : null,
      kind: e.kind,
      author_type: e.authorType,
      author_id: e.authorId ?? null,
      author_name: e.authorName ?? null,
      text: e.text,
      data: e.data ? JSON.stringify(e.data) : null,
      actor_key: e.actorKey ?? null,
      cid: e.cid ?? null,
      created_at: at,
    };
  }

  async function saveConversation(tx: Transaction<Database>, conv: ConversationRow, events: EventRow[], isNew: boolean): Promise<void> {
    if (isNew) await tx.insertInto('conversations').values(conv).execute();
    if (batch) {
      if (isNew) batch.inserted(conv);
      for (const e of events) batch.insertEvent(e);
      if (!isNew) batch.updateConversation(conv);
      return;
    }
    if (fast) {
      for (const e of events) fast.insertEvent(e);
      if (!isNew) fast.updateConversation(conv);
      return;
    }
    if (events.length) await tx.insertInto('events').values(events).execute();
    if (!isNew) {
      const changes: Partial<ConversationRow> = {};
      for (const column of CONVERSATION_UPDATE) (changes as Record<string, unknown>)[column] = conv[column];
      await tx.updateTable('conversations').set(changes).where('id', '=', conv.id).execute();
    }
  }

  /**
   * Webhook outbox rows, in the transaction of the events they describe (so none is written for a
   * write that rolls back, and none is lost when the process dies right after the commit). On
   * PostgreSQL they go with the batch's events in its one write statement.
   */
  async function saveOutbox(tx: Transaction<Database>, rows: readonly NewWebhookDelivery[]): Promise<void> {
    if (!rows.length) return;
    if (batch) batch.insertDeliveries(rows);
    else if (fast) fast.insertDeliveries(rows);
    else
      await tx
        .insertInto('webhook_deliveries')
        .values([...rows])
        .execute();
  }

  /**
   * A conversation the visitor may read and write: their own, or one of the same verified user on
   * another device (continued here). Anyone else's gets the same answer as a missing one.
   */
  async function visitorConversation(tx: Executor, visitor: VisitorActor, conversationId: string): Promise<ConversationRow> {
    const row =
      (fast || batch) && inTx(tx)
        ? await lockConversation(tx, conversationId)
        : await tx.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
    // Another visitor's: only the same verified identity (one more read, on this rare path only).
    if (!row || (row.visitor_id !== visitor.id && !(await linkedVisitors(tx, visitor.id)).includes(row.visitor_id))) throw notFound();
    return row;
  }

  /** For reading (history): the visitor's own conversation or one of the same verified user on another device. */
  const visitorHistoryConversation = (visitor: VisitorActor, conversationId: string) => visitorConversation(db, visitor, conversationId);

  /**
   * The newest conversation of a verified visitor's identity, on any of its devices (the one a new
   * device continues); undefined when the visitor is not verified or the identity has none.
   */
  async function identityConversationId(tx: Executor, visitorId: string): Promise<string | undefined> {
    const row = await tx
      .selectFrom('conversations as c')
      .innerJoin('visitors as v', 'v.id', 'c.visitor_id')
      .innerJoin('visitors as me', (join) => join.onRef('me.site_key', '=', 'v.site_key').onRef('me.external_id', '=', 'v.external_id'))
      .select('c.id')
      .where('me.id', '=', visitorId)
      .where('me.verified', '=', 1)
      .where('v.verified', '=', 1)
      .orderBy('c.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * The conversation a visitor's message without a conversation id goes to: their latest; for a
   * verified visitor the identity's newest on any device (locked inside a transaction).
   */
  async function visitorCurrent(tx: Executor, visitor: VisitorActor): Promise<ConversationRow | undefined> {
    const own = await currentConversation(tx, visitor.id);
    if (!visitor.verified) return own;
    const id = await identityConversationId(tx, visitor.id);
    if (!id || id === own?.id) return own;
    if (inTx(tx)) return lockConversation(tx, id);
    return tx.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * The visitors that are one person with this one: this one, and when its identity was verified (an
   * identify with a valid hash or JWT), every verified visitor of the site with the same user id.
   * An unverified identity (a pre-chat email, a refused identify) links nothing.
   */
  async function linkedVisitors(tx: Executor, visitorId: string): Promise<string[]> {
    const me = await tx
      .selectFrom('visitors')
      .select(['site_key', 'external_id', 'verified'])
      .where('id', '=', visitorId)
      .executeTakeFirst();
    if (!me || me.verified !== 1 || !me.external_id) return [visitorId];
    const rows = await tx
      .selectFrom('visitors')
      .select('id')
      .where('site_key', '=', me.site_key)
      .where('external_id', '=', me.external_id)
      .where('verified', '=', 1)
      .execute();
    return rows.map((r) => r.id);
  }

  /** A conversation of one of the agent's sites (locked when asked inside a transaction). */
  async function agentConversation(
    tx: Executor,
    agent: Pick<AgentActor, 'siteKeys'>,
    conversationId: string,
    lock = false,
  ): Promise<ConversationRow> {
    const row =
      lock && inTx(tx)
        ? await lockConversation(tx, conversationId)
        : await tx.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
    if (!row || !agent.siteKeys.includes(row.site_key)) throw notFound();
    return row;
  }

  /** The visitor's latest conversation. */
  async function currentConversation(tx: Executor, visitorId: string): Promise<ConversationRow | undefined> {
    if (fast && inTx(tx)) return fast.current(visitorId);
    if (batch && inTx(tx)) {
      const known = batch.current(visitorId);
      if (known !== 'unknown') return known;
    }
    return tx
      .selectFrom('conversations')
      .selectAll()
      .where('visitor_id', '=', visitorId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  function newConversation(visitor: VisitorActor, at: number, lang: string | null): ConversationRow {
    return {
      id: randomId('c'),
      site_key: visitor.siteKey,
      visitor_id: visitor.id,
      status: 'bot',
      assignee_id: null,
      last_seq: 0,
      last_visitor_seq: 0,
      visitor_read_seq: 0,
      agent_read_seq: 0,
      bot_state: '{}',
      handoff_reason: null,
      lang,
      queued_at: null,
      assigned_at: null,
      resolved_at: null,
      first_human_reply_at: null,
      proactive_rule_id: visitor.proactiveRuleId ?? null,
      created_at: at,
      updated_at: at,
    };
  }

  /**
   * The visitor's conversation to write into, locked: the one named, the current one, or a new one
   * (none yet, or the current one was resolved longer than `reopenWindowMs` ago).
   */
  async function conversationForVisitor(
    tx: Transaction<Database>,
    visitor: VisitorActor,
    conversationId: string | undefined,
    at: number,
    lang: string | null,
    reopenWindowMs: number,
  ): Promise<{ conv: ConversationRow; isNew: boolean }> {
    if (conversationId) {
      const row = await visitorConversation(tx, visitor, conversationId);
      return { conv: fast || batch ? row : (await lockConversation(tx, row.id))!, isNew: false };
    }
    const current = await visitorCurrent(tx, visitor);
    if (current && !(current.status === 'resolved' && current.resolved_at !== null && at - current.resolved_at > reopenWindowMs)) {
      // On PostgreSQL the batch has it locked already when the operation declared the visitor.
      return { conv: fast ? current : (await lockConversation(tx, current.id))!, isNew: false };
    }
    return { conv: newConversation(visitor, at, lang), isNew: true };
  }

  /** Counts a question the bot could not answer (same wording, case and spacing aside, counts once). */
  async function recordUnanswered(tx: Transaction<Database>, conv: ConversationRow, text: string, lang: string, at: number): Promise<void> {
    const normalized = text.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 300);
    if (!normalized) return;
    await tx
      .insertInto('unanswered_questions')
      .values({
        site_key: conv.site_key,
        normalized,
        text: text.slice(0, 1000),
        lang,
        count: 1,
        last_conversation_id: conv.id,
        first_at: at,
        last_at: at,
      })
      .onConflict((oc) =>
        oc.columns(['site_key', 'normalized']).doUpdateSet((eb) => ({
          count: eb('unanswered_questions.count', '+', 1),
          last_at: at,
          last_conversation_id: conv.id,
        })),
      )
      .execute();
  }

  /** Counts an FAQ entry a visitor reached (the bot answered with it), for "entries no visitor reached". */
  async function recordReached(tx: Transaction<Database>, siteKey: string, faqId: string, at: number): Promise<void> {
    await tx
      .insertInto('bot_reached')
      .values({ site_key: siteKey, faq_id: faqId.slice(0, 200), count: 1, last_at: at })
      .onConflict((oc) => oc.columns(['site_key', 'faq_id']).doUpdateSet((eb) => ({ count: eb('bot_reached.count', '+', 1), last_at: at })))
      .execute();
  }

  /**
   * A bot message of a conversation and the visitor's question it answered (the visitor's last
   * message before it); null when the id names no bot message of this conversation.
   */
  async function botTurn(tx: Executor, conversationId: string, messageId: string): Promise<{ message: EventRow; question: string } | null> {
    const message = await tx
      .selectFrom('events')
      .selectAll()
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    if (!message || message.kind !== 'message' || message.author_type !== 'bot') return null;
    const asked = await tx
      .selectFrom('events')
      .select('text')
      .where('conversation_id', '=', conversationId)
      .where('seq', '<', message.seq)
      .where('kind', '=', 'message')
      .where('author_type', '=', 'visitor')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return { message, question: asked?.text ?? '' };
  }

  /**
   * Logged events after `afterSeq` for one audience, oldest first, at most `limit` (and whether more
   * follow). Both audiences read the (conversation_id, seq) index: a visitor's seq is visitor_seq,
   * which rises with seq and never exceeds it, so its events after afterSeq all have seq > afterSeq
   * and come in the same order; only events hidden from visitors (notes) in between are skipped.
   */
  async function eventsAfter(
    conv: ConversationRow,
    audience: 'agent' | 'visitor',
    afterSeq: number,
    limit: number,
  ): Promise<{ rows: EventRow[]; more: boolean }> {
    let query = db.selectFrom('events').selectAll().where('conversation_id', '=', conv.id).where('seq', '>', afterSeq);
    if (audience === 'visitor') query = query.where('visitor_seq', '>', afterSeq);
    const rows = await query
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  /**
   * Moves the visitor's read marker up to `seq` (their sequence). Returns the marker in the agents'
   * sequence, or null when it did not move.
   */
  async function markVisitorRead(conv: ConversationRow, seq: number): Promise<number | null> {
    const upTo = Math.min(seq, conv.last_visitor_seq);
    // The newest event the visitor has seen: walks the (conversation_id, seq) index back from the
    // end (visitor_seq has no index of its own; it rises with seq).
    const row = await db
      .selectFrom('events')
      .select('seq as s')
      .where('conversation_id', '=', conv.id)
      .where('visitor_seq', '<=', upTo)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const full = Number(row?.s ?? 0);
    if (full <= conv.visitor_read_seq) return null;
    await db
      .updateTable('conversations')
      .set({ visitor_read_seq: full })
      .where('id', '=', conv.id)
      .where('visitor_read_seq', '<', full)
      .execute();
    return full;
  }

  /** Moves the agents' read marker up to `seq` (their sequence); returns it in both sequences. */
  async function markAgentRead(conv: ConversationRow, seq: number): Promise<{ agentSeq: number; visitorSeq: number }> {
    const upTo = Math.min(seq, conv.last_seq);
    const row = await db
      .selectFrom('events')
      .select((eb) => eb.fn.max('visitor_seq').as('s'))
      .where('conversation_id', '=', conv.id)
      .where('seq', '<=', upTo)
      .executeTakeFirst();
    const visitorSeq = Number(row?.s ?? 0);
    await db
      .updateTable('conversations')
      .set({ agent_read_seq: visitorSeq })
      .where('id', '=', conv.id)
      .where('agent_read_seq', '<', visitorSeq)
      .execute();
    return { agentSeq: upTo, visitorSeq };
  }

  /**
   * Conversations still with the bot whose last event is a visitor's message written since
   * `sinceMs` (a deferred answer lost in a restart). The time-ordered event ids bound the scan.
   */
  /** A visitor's question whose bot answer was lost, if its conversation is still with the bot. */
  async function questionForTheBot(conversationId: string, messageId: string) {
    const row = await db
      .selectFrom('events')
      .innerJoin('conversations', 'conversations.id', 'events.conversation_id')
      .select(['conversations.visitor_id', 'conversations.site_key', 'conversations.lang', 'conversations.bot_state'])
      .select(['events.text'])
      .where('events.id', '=', messageId)
      .where('conversations.id', '=', conversationId)
      .where('conversations.status', '=', 'bot')
      .executeTakeFirst();
    return row ? { visitorId: row.visitor_id, siteKey: row.site_key, lang: row.lang, botState: row.bot_state, text: row.text } : null;
  }

  /** Whether a deferred bot answer is logged, read outside the write path. */
  async function botAnswerLoggedAnywhere(botActorKey: string, cid: string): Promise<boolean> {
    const row = await db.selectFrom('events').select('id').where('actor_key', '=', botActorKey).where('cid', '=', cid).executeTakeFirst();
    return row !== undefined;
  }

  /** Files committed in a conversation (uploads still being written do not count). */
  async function attachmentCount(tx: Transaction<Database>, conversationId: string): Promise<number> {
    const row = await tx
      .selectFrom('attachments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('conversation_id', '=', conversationId)
      .where('status', '=', 'stored')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Marks an upload as committed with the event that shows it; an upload swept meanwhile is an error. */
  async function bindAttachment(tx: Transaction<Database>, attachmentId: string, conversationId: string, eventId: string): Promise<void> {
    const result = await tx
      .updateTable('attachments')
      .set({ status: 'stored', conversation_id: conversationId, event_id: eventId })
      .where('id', '=', attachmentId)
      .where('status', '=', 'uploading')
      .executeTakeFirst();
    if (!Number(result.numUpdatedRows)) throw new ServusError(ErrorCode.CONFLICT, 'The upload is gone; send the file again.');
  }

  /** Conversations assigned to an agent (to hand back when they leave). */
  async function assignedTo(agentId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('conversations')
      .select('id')
      .where('assignee_id', '=', agentId)
      .where('status', '=', 'assigned')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Visitor rows: what they said in the pre-chat form or the offline form, their context. */
  const visitors = {
    touch: (visitorId: string, context: string, at: number) =>
      db.updateTable('visitors').set({ context, last_seen_at: at }).where('id', '=', visitorId).execute(),
    /** Pre-chat details, kept unless an identify vouched for the visitor. */
    setProfile: (visitorId: string, set: { name?: string; email?: string }, at: number) =>
      db
        .updateTable('visitors')
        .set({ ...set, last_seen_at: at })
        .where('id', '=', visitorId)
        .where('verified', '=', 0)
        .execute(),
    setEmail: (tx: Transaction<Database>, visitorId: string, email: string, at: number) =>
      tx.updateTable('visitors').set({ email, last_seen_at: at }).where('id', '=', visitorId).where('verified', '=', 0).execute(),
    identify: (visitorId: string, who: { externalId: string; name: string | null; email: string | null }, at: number) =>
      db
        .updateTable('visitors')
        .set({ external_id: who.externalId, name: who.name, email: who.email, verified: 1, last_seen_at: at })
        .where('id', '=', visitorId)
        .execute(),
    email: async (visitorId: string) =>
      (await db.selectFrom('visitors').select('email').where('id', '=', visitorId).executeTakeFirst())?.email ?? null,
  };

  return {
    db,
    dialect,
    /**
     * Whether a write transaction's rows come from memory, already locked: the SQLite hot path or
     * the PostgreSQL batch.
     */
    fast: fast !== undefined || batch !== undefined,
    agentName,
    /** The cached name, without a read: null when unknown (publishing needs no await). */
    cachedAgentName: (id: string) => agentNames.get(id) ?? null,
    lockConversation,
    findDuplicate,
    botAnswerLogged,
    appendEvent,
    saveConversation,
    saveOutbox,
    visitorConversation,
    agentConversation,
    currentConversation,
    conversationForVisitor,
    newConversation,
    linkedVisitors,
    visitorHistoryConversation,
    visitorCurrent,
    recordUnanswered,
    recordReached,
    botTurn,
    eventsAfter,
    markVisitorRead,
    markAgentRead,
    assignedTo,
    questionForTheBot,
    botAnswerLoggedAnywhere,
    attachmentCount,
    bindAttachment,
    visitors,
    conversationById: (id: string) => db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst(),
    conversationsById: async (ids: string[]): Promise<ConversationRow[]> =>
      ids.length ? db.selectFrom('conversations').selectAll().where('id', 'in', ids).execute() : [],
  };
}
