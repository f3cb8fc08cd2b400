// Access and erasure (GDPR Art. 15 and 17) and retention (Art. 5): find a person by email, visitor
// id or conversation; export everything stored about them as one JSON document; erase them.
//
// Erasure removes every personal row (the visitor, labels, mail threads and link tokens, the mail
// log, the bot's unanswered-question texts, pending jobs about them, attachments) and strips the
// conversations to an anonymous skeleton that the service metrics are computed from: the times,
// status changes and rating scores stay, tied to a new random id that belongs to nobody; every text,
// name, email, context, client id and the visitor id are gone. Metrics for past periods thus keep
// their counts as anonymous aggregates (docs/privacy.md).
import type { Kysely, Transaction } from 'kysely';
import type { PrivacyPerson } from '@servus/shared';
import type { Database, EventsTable } from '../storage/schema.js';
import { hashToken, newToken, randomId } from '../core/ids.js';
import { notFound } from '../core/errors.js';

/** How a person is looked up: exactly one of these. */
export type PersonQuery = { email: string } | { visitorId: string } | { conversationId: string };

/**
 * The files in conversations (attachments/): listed in the export, deleted (bytes and rows) right
 * after the erasing transaction commits (their store has its own writes).
 */
export interface AttachmentStore {
  listForConversation(conversationId: string): Promise<unknown[]>;
  deleteForConversation(conversationIds: readonly string[]): Promise<number>;
}

export interface PrivacyOptions {
  db: Kysely<Database>;
  now?: () => number;
  attachments?: AttachmentStore | undefined;
  /**
   * Told after the commit of what was erased: open consoles drop the conversations, the erased
   * visitors' sockets are closed (on every instance: realtime/socket-server.ts).
   */
  onErased?: (erased: Erased) => void;
}

export type Privacy = ReturnType<typeof createPrivacy>;

/** What one erasure removed: conversations stripped to their skeleton, visitor records deleted. */
export interface Erased {
  conversations: { id: string; siteKey: string }[];
  visitorIds: string[];
}

/** Most conversations one person export or erasure handles (a bigger one is refused, not truncated). */
export const PERSON_MAX_CONVERSATIONS = 5000;
/** Conversations one retention transaction erases; a pass runs as many as it needs. */
const RETENTION_BATCH = 200;
/** Erased conversations hang off visitors whose ids start with this (never a real visitor's). */
export const ERASED_VISITOR_PREFIX = 'x';

const isErasedVisitor = (id: string) => id.startsWith(`${ERASED_VISITOR_PREFIX}_`);

export function createPrivacy({ db, now = Date.now, attachments, onErased }: PrivacyOptions) {
  /** The visitors a query names, within the given sites. */
  async function findVisitorIds(siteKeys: string[], query: PersonQuery, executor: Kysely<Database> = db): Promise<string[]> {
    if (!siteKeys.length) return [];
    if ('visitorId' in query) {
      const row = await executor
        .selectFrom('visitors')
        .select('id')
        .where('id', '=', query.visitorId)
        .where('site_key', 'in', siteKeys)
        .executeTakeFirst();
      return row && !isErasedVisitor(row.id) ? [row.id] : [];
    }
    if ('conversationId' in query) {
      const row = await executor
        .selectFrom('conversations')
        .select('visitor_id')
        .where('id', '=', query.conversationId)
        .where('site_key', 'in', siteKeys)
        .executeTakeFirst();
      return row && !isErasedVisitor(row.visitor_id) ? [row.visitor_id] : [];
    }
    const email = query.email.trim().toLowerCase();
    const byVisitor = await executor
      .selectFrom('visitors')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('site_key', 'in', siteKeys)
      .execute();
    // A conversation that goes on by email knows the address too (mail_threads).
    const byThread = await executor
      .selectFrom('mail_threads')
      .innerJoin('conversations', 'conversations.id', 'mail_threads.conversation_id')
      .select('conversations.visitor_id')
      .where((eb) => eb(eb.fn('lower', ['mail_threads.email']), '=', email))
      .where('conversations.site_key', 'in', siteKeys)
      .execute();
    return [...new Set([...byVisitor.map((r) => r.id), ...byThread.map((r) => r.visitor_id)])].filter((id) => !isErasedVisitor(id));
  }

  async function conversationsOf(visitorIds: string[], executor: Kysely<Database> = db) {
    if (!visitorIds.length) return [];
    const rows = await executor
      .selectFrom('conversations')
      .selectAll()
      .where('visitor_id', 'in', visitorIds)
      .orderBy('created_at')
      .limit(PERSON_MAX_CONVERSATIONS + 1)
      .execute();
    if (rows.length > PERSON_MAX_CONVERSATIONS) throw new Error(`more than ${PERSON_MAX_CONVERSATIONS} conversations for one person`);
    return rows;
  }

  async function find(siteKeys: string[], query: PersonQuery): Promise<PrivacyPerson> {
    const ids = await findVisitorIds(siteKeys, query);
    const visitors = ids.length ? await db.selectFrom('visitors').selectAll().where('id', 'in', ids).orderBy('created_at').execute() : [];
    const conversations = await conversationsOf(ids);
    return {
      visitors: visitors.map((v) => ({
        id: v.id,
        siteKey: v.site_key,
        name: v.name,
        email: v.email,
        externalId: v.external_id,
        createdAt: v.created_at,
        lastSeenAt: v.last_seen_at,
      })),
      conversations: conversations.map((c) => ({
        id: c.id,
        siteKey: c.site_key,
        visitorId: c.visitor_id,
        status: c.status,
        createdAt: c.created_at,
        updatedAt: c.updated_at,
      })),
    };
  }

  const json = (text: string | null): unknown => {
    if (text === null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };

  /** Everything stored about the person, as one machine-readable document (format `servus.person-export/1`). */
  async function exportPerson(siteKeys: string[], query: PersonQuery) {
    const ids = await findVisitorIds(siteKeys, query);
    if (!ids.length) throw notFound('person');
    const visitors = await db.selectFrom('visitors').selectAll().where('id', 'in', ids).orderBy('created_at').execute();
    const convs = await conversationsOf(ids);
    const convIds = convs.map((c) => c.id);
    const inConvs = <T>(q: () => Promise<T[]>) => (convIds.length ? q() : Promise.resolve([] as T[]));
    const [events, labels, threads, mailLog, unanswered] = await Promise.all([
      inConvs(() =>
        db.selectFrom('events').selectAll().where('conversation_id', 'in', convIds).orderBy('conversation_id').orderBy('seq').execute(),
      ),
      inConvs(() => db.selectFrom('conversation_labels').selectAll().where('conversation_id', 'in', convIds).execute()),
      inConvs(() =>
        db
          .selectFrom('mail_threads')
          .select(['conversation_id', 'email', 'created_at', 'stopped_at'])
          .where('conversation_id', 'in', convIds)
          .execute(),
      ),
      inConvs(() =>
        db
          .selectFrom('mail_log')
          .select(['conversation_id', 'direction', 'outcome', 'created_at'])
          .where('conversation_id', 'in', convIds)
          .execute(),
      ),
      inConvs(() =>
        db
          .selectFrom('unanswered_questions')
          .select(['text', 'lang', 'first_at', 'last_at', 'last_conversation_id'])
          .where('last_conversation_id', 'in', convIds)
          .execute(),
      ),
    ]);
    const files = new Map<string, unknown[]>();
    if (attachments) for (const id of convIds) files.set(id, await attachments.listForConversation(id));
    return {
      format: 'servus.person-export/1',
      exportedAt: new Date(now()).toISOString(),
      query: 'email' in query ? { email: query.email } : query,
      visitors: visitors.map((v) => ({
        id: v.id,
        siteKey: v.site_key,
        externalId: v.external_id,
        name: v.name,
        email: v.email,
        identityVerified: v.verified === 1,
        context: json(v.context),
        createdAt: new Date(v.created_at).toISOString(),
        lastSeenAt: new Date(v.last_seen_at).toISOString(),
      })),
      conversations: convs.map((c) => ({
        id: c.id,
        siteKey: c.site_key,
        visitorId: c.visitor_id,
        status: c.status,
        language: c.lang,
        handoffReason: c.handoff_reason,
        createdAt: new Date(c.created_at).toISOString(),
        updatedAt: new Date(c.updated_at).toISOString(),
        resolvedAt: c.resolved_at === null ? null : new Date(c.resolved_at).toISOString(),
        labels: labels.filter((l) => l.conversation_id === c.id).map((l) => l.label),
        email:
          threads
            .filter((t) => t.conversation_id === c.id)
            .map((t) => ({ address: t.email, since: new Date(t.created_at).toISOString(), stopped: t.stopped_at !== null }))[0] ?? null,
        mails: mailLog
          .filter((m) => m.conversation_id === c.id)
          .map((m) => ({ direction: m.direction, outcome: m.outcome, at: new Date(m.created_at).toISOString() })),
        attachments: files.get(c.id) ?? [],
        events: events
          .filter((e) => e.conversation_id === c.id)
          .map((e) => ({
            seq: e.seq,
            kind: e.kind,
            /** Notes are the agents' internal notes about the conversation, never shown to the visitor. */
            internalNote: e.kind === 'note',
            author: { type: e.author_type, id: e.author_id, name: e.author_name },
            text: e.text,
            data: json(e.data),
            at: new Date(e.created_at).toISOString(),
          })),
      })),
      unansweredQuestions: unanswered.map((u) => ({
        text: u.text,
        lang: u.lang,
        conversationId: u.last_conversation_id,
        firstAt: new Date(u.first_at).toISOString(),
        lastAt: new Date(u.last_at).toISOString(),
      })),
    };
  }

  /** The event kept in an erased conversation: what the metrics read, nothing anyone wrote. */
  function skeletonData(row: Pick<EventsTable, 'kind' | 'data'>): string | null {
    const data = json(row.data) as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return null;
    if (row.kind === 'status') {
      const assignee = data.assignee as { id?: unknown } | null | undefined;
      return JSON.stringify({
        ...(data.change !== undefined ? { change: data.change } : {}),
        ...(data.status !== undefined ? { status: data.status } : {}),
        ...(data.reason !== undefined ? { reason: data.reason } : {}),
        ...(assignee !== undefined ? { assignee: assignee && typeof assignee.id === 'string' ? { id: assignee.id, name: '' } : null } : {}),
      });
    }
    if (row.kind === 'rating') {
      const rating = (data.rating ?? {}) as Record<string, unknown>;
      const scores = Object.fromEntries(['csat', 'nps', 'ces'].filter((k) => typeof rating[k] === 'number').map((k) => [k, rating[k]]));
      return JSON.stringify({ rating: scores });
    }
    if (row.kind === 'message' && data.bot && typeof data.bot === 'object') {
      // The bot's outcome (answered, handed over) counts towards containment; the FAQ entry and texts do not.
      const bot = data.bot as Record<string, unknown>;
      return JSON.stringify({ bot: { ...(typeof bot.outcome === 'string' ? { outcome: bot.outcome } : {}) } });
    }
    return null;
  }

  /** Strips conversations to their anonymous skeleton and removes everything personal about them. */
  async function eraseConversations(tx: Transaction<Database>, convIds: string[]): Promise<number> {
    if (!convIds.length) return 0;
    const convs = await tx.selectFrom('conversations').select(['id', 'site_key']).where('id', 'in', convIds).execute();
    // The texts a visitor wrote may also be in the bot's list of unanswered questions.
    const texts = await tx
      .selectFrom('events')
      .select(['text', 'conversation_id'])
      .where('conversation_id', 'in', convIds)
      .where('author_type', '=', 'visitor')
      .where('kind', '=', 'message')
      .execute();
    let events = 0;
    for (const c of convs) {
      const anon = randomId(ERASED_VISITOR_PREFIX);
      await tx
        .insertInto('visitors')
        .values({
          id: anon,
          site_key: c.site_key,
          token_hash: hashToken(newToken()),
          external_id: null,
          name: null,
          email: null,
          verified: 0,
          context: '{}',
          created_at: 0,
          last_seen_at: 0,
        })
        .execute();
      await tx.updateTable('conversations').set({ visitor_id: anon, bot_state: '{}' }).where('id', '=', c.id).execute();
      // An open conversation ends with its erasure: out of the queue, no longer holding an agent's capacity.
      await tx
        .updateTable('conversations')
        .set({ status: 'resolved', resolved_at: now() })
        .where('id', '=', c.id)
        .where('status', '!=', 'resolved')
        .execute();
      await tx.deleteFrom('events').where('conversation_id', '=', c.id).where('kind', '=', 'note').execute();
      const rows = await tx.selectFrom('events').select(['id', 'kind', 'data']).where('conversation_id', '=', c.id).execute();
      events += rows.length;
      await tx
        .updateTable('events')
        .set({ text: '', author_name: null, data: null, cid: null, actor_key: null })
        .where('conversation_id', '=', c.id)
        .execute();
      await tx
        .updateTable('events')
        .set({ author_id: null })
        .where('conversation_id', '=', c.id)
        .where('author_type', '=', 'visitor')
        .execute();
      for (const row of rows) {
        const data = skeletonData(row);
        if (data !== null) await tx.updateTable('events').set({ data }).where('id', '=', row.id).execute();
      }
      await tx.deleteFrom('conversation_labels').where('conversation_id', '=', c.id).execute();
      // The bot's labels keep the visitor's question (docs/bot-learning.md).
      await tx.deleteFrom('bot_labels').where('conversation_id', '=', c.id).execute();
      await tx.deleteFrom('mail_threads').where('conversation_id', '=', c.id).execute();
      await tx.deleteFrom('mail_link_tokens').where('conversation_id', '=', c.id).execute();
      await tx.deleteFrom('mail_log').where('conversation_id', '=', c.id).execute();
      await tx.deleteFrom('jobs').where('key', 'like', `%${c.id}%`).execute();
      await tx.deleteFrom('unanswered_questions').where('last_conversation_id', '=', c.id).execute();
      const own = texts.filter((t) => t.conversation_id === c.id).map((t) => t.text);
      for (let i = 0; i < own.length; i += 200)
        await tx
          .deleteFrom('unanswered_questions')
          .where('site_key', '=', c.site_key)
          .where('text', 'in', own.slice(i, i + 200))
          .execute();
    }
    return events;
  }

  async function eraseVisitors(tx: Transaction<Database>, visitorIds: string[]): Promise<void> {
    if (!visitorIds.length) return;
    await tx
      .deleteFrom('jobs')
      .where((eb) => eb.or(visitorIds.map((id) => eb('key', 'like', `%${id}%`))))
      .execute();
    await tx.deleteFrom('erasure_requests').where('visitor_id', 'in', visitorIds).execute();
    await tx.deleteFrom('visitors').where('id', 'in', visitorIds).execute();
  }

  /** Erases visitors completely: every conversation of theirs (to its skeleton) and their records. */
  async function eraseVisitorsWithConversations(visitorIds: string[], tx: Transaction<Database>) {
    const convs = await conversationsOf(visitorIds, tx);
    const events = await eraseConversations(
      tx,
      convs.map((c) => c.id),
    );
    await eraseVisitors(tx, visitorIds);
    return {
      visitors: visitorIds.length,
      conversations: convs.length,
      events,
      erasedConversations: convs.map((c) => ({ id: c.id, siteKey: c.site_key })),
      visitorIds,
    };
  }

  /** After the commit: the files, then everyone who shows the erased data is told. */
  async function afterErasure(result: Awaited<ReturnType<typeof eraseVisitorsWithConversations>>) {
    const files = attachments ? await attachments.deleteForConversation(result.erasedConversations.map((c) => c.id)) : 0;
    onErased?.({ conversations: result.erasedConversations, visitorIds: result.visitorIds });
    return { visitors: result.visitors, conversations: result.conversations, events: result.events, files };
  }

  /** Erases a person: every conversation of theirs (to its skeleton) and their visitor records. */
  async function erasePerson(siteKeys: string[], query: PersonQuery) {
    const result = await db.transaction().execute(async (tx) => {
      const ids = await findVisitorIds(siteKeys, query, tx);
      if (!ids.length) throw notFound('person');
      await tx
        .deleteFrom('erasure_requests')
        .where((eb) =>
          eb.or([eb('visitor_id', 'in', ids), ...('email' in query ? [eb('email', '=', query.email.trim().toLowerCase())] : [])]),
        )
        .where('site_key', 'in', siteKeys)
        .execute();
      return eraseVisitorsWithConversations(ids, tx);
    });
    return afterErasure(result);
  }

  /**
   * A visitor's own erasure request, confirmed from the email address they named (erasure.ts):
   * everyone with that address in the site, and the visitor who asked. Null when the request is
   * unknown, used or expired; the request is used up in the same transaction.
   */
  async function eraseByRequest(tokenHash: string) {
    const result = await db.transaction().execute(async (tx) => {
      const request = await tx
        .selectFrom('erasure_requests')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now())
        .executeTakeFirst();
      if (!request) return null;
      // Single use: whoever deletes the row first erases; a second confirmation finds nothing.
      const taken = await tx.deleteFrom('erasure_requests').where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!Number(taken.numDeletedRows)) return null;
      const byEmail = await findVisitorIds([request.site_key], { email: request.email }, tx);
      const asker = request.visitor_id ? await findVisitorIds([request.site_key], { visitorId: request.visitor_id }, tx) : [];
      const ids = [...new Set([...byEmail, ...asker])];
      // Their other open requests hold the address too.
      await tx
        .deleteFrom('erasure_requests')
        .where('site_key', '=', request.site_key)
        .where((eb) => eb.or([eb('email', '=', request.email), ...(ids.length ? [eb('visitor_id', 'in', ids)] : [])]))
        .execute();
      return { request, erased: await eraseVisitorsWithConversations(ids, tx) };
    });
    if (!result) return null;
    return {
      siteKey: result.request.site_key,
      email: result.request.email,
      lang: result.request.lang,
      erased: await afterErasure(result.erased),
    };
  }

  /**
   * One retention pass for a site: conversations with no activity for `days` days are erased (to
   * their skeleton), then visitors not seen for that long who have no conversation left.
   */
  async function retentionPass(siteKey: string, days: number) {
    const cutoff = now() - days * 86_400_000;
    let conversations = 0;
    for (;;) {
      const batch = await db.transaction().execute(async (tx) => {
        const rows = await tx
          .selectFrom('conversations')
          .select(['id', 'site_key'])
          .where('site_key', '=', siteKey)
          .where('updated_at', '<', cutoff)
          .where('visitor_id', 'not like', `${ERASED_VISITOR_PREFIX}_%`)
          .limit(RETENTION_BATCH)
          .execute();
        await eraseConversations(
          tx,
          rows.map((r) => r.id),
        );
        return rows;
      });
      conversations += batch.length;
      if (batch.length && attachments) await attachments.deleteForConversation(batch.map((r) => r.id));
      if (batch.length) onErased?.({ conversations: batch.map((r) => ({ id: r.id, siteKey: r.site_key })), visitorIds: [] });
      if (batch.length < RETENTION_BATCH) break;
    }
    const visitors = await db.transaction().execute(async (tx) => {
      const stale = await tx
        .selectFrom('visitors')
        .select('id')
        .where('site_key', '=', siteKey)
        .where('last_seen_at', '<', cutoff)
        .where('id', 'not like', `${ERASED_VISITOR_PREFIX}_%`)
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom('conversations').select('id').whereRef('conversations.visitor_id', '=', 'visitors.id'))),
        )
        .execute();
      await eraseVisitors(
        tx,
        stale.map((v) => v.id),
      );
      return stale.map((v) => v.id);
    });
    if (visitors.length) onErased?.({ conversations: [], visitorIds: visitors });
    // Mails logged longer ago than the period (their conversations may be younger).
    await db.deleteFrom('mail_log').where('site_key', '=', siteKey).where('created_at', '<', cutoff).execute();
    return { conversations, visitors: visitors.length, cutoff };
  }

  /**
   * A visitor's own request ("delete my conversation", by their token): that conversation, and
   * the visitor record too when it was their last. False when it is not theirs.
   */
  async function eraseOwnConversation(visitorId: string, siteKey: string, conversationId: string): Promise<boolean> {
    const done = await db.transaction().execute(async (tx) => {
      const conv = await tx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .where('visitor_id', '=', visitorId)
        .where('site_key', '=', siteKey)
        .executeTakeFirst();
      if (!conv) return null;
      await eraseConversations(tx, [conv.id]);
      const left = await tx.selectFrom('conversations').select('id').where('visitor_id', '=', visitorId).limit(1).executeTakeFirst();
      if (!left) await eraseVisitors(tx, [visitorId]);
      return { visitorErased: !left };
    });
    if (!done) return false;
    if (attachments) await attachments.deleteForConversation([conversationId]);
    onErased?.({ conversations: [{ id: conversationId, siteKey }], visitorIds: done.visitorErased ? [visitorId] : [] });
    return true;
  }

  /** Erasure requests that expired before `before` (never confirmed): the address they hold goes. */
  async function dropExpiredRequests(before: number): Promise<number> {
    const res = await db.deleteFrom('erasure_requests').where('expires_at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  return {
    find,
    exportPerson,
    erasePerson,
    eraseByRequest,
    eraseOwnConversation,
    retentionPass,
    findVisitorIds,
    dropExpiredRequests,
  };
}
