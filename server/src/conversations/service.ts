// Conversations: every command becomes one write operation in the group-commit queue; its
// events get their per-conversation seq inside the transaction and are published only after
// the commit. A retried command (same actor, same cid) returns the stored ack and changes nothing.
import { ErrorCode, type AckFrame, type ConversationChange, type ConversationView, type QueueInfo } from '@servus/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import { CONVERSATION_UPDATE, type SqliteStatements } from '../storage/sqlite-statements.js';
import type { ServerMetrics } from '../metrics/prometheus.js';
import type { WriteQueue } from '../storage/write-queue.js';
import { ServusError, notFound } from '../errors.js';
import { eventId, identityHash, randomId, safeEqualHex } from '../ids.js';
import type { Hub } from '../realtime/hub.js';
import { topics } from '../realtime/hub.js';
import { reduceConversation, type HandoffReason, type LifecycleAction, type LifecycleState } from './lifecycle.js';
import { messageCreatedJson, toMessage, toView, type ConversationRow, type EventData, type EventRow } from './views.js';
import type { BotReply, BotResponder, DeferredBotReply } from './bot-responder.js';
import type { Logger } from '../logger.js';

export interface VisitorActor {
  kind: 'visitor';
  id: string;
  siteKey: string;
  name?: string | null;
  /** The proactive rule named in this visit's hello (`context.proactiveRuleId`); a conversation it creates is attributed to it. */
  proactiveRuleId?: string | null;
}
export interface AgentActor {
  kind: 'agent';
  id: string;
  name: string;
  siteKeys: string[];
}
export type Actor = VisitorActor | AgentActor;

const actorKey = (actor: Actor) => `${actor.kind === 'visitor' ? 'v' : 'a'}:${actor.id}`;

interface NewEvent {
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

interface OpResult {
  ack: AckFrame | null;
  events: EventRow[];
  conversation: ConversationRow | null;
  change: ConversationChange | null;
  queueChanged: string | null;
  /** The agent message that was the conversation's first human reply. */
  firstHumanReplyId?: string;
  /** Filled inside the transaction, so publishing after the commit needs no further query. */
  assigneeName?: string | null;
  queue?: QueueInfo | null;
}

export interface ConversationServiceOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  writes: WriteQueue;
  hub: Hub;
  bots: BotResponder;
  now?: () => number;
  reopenWindowMs: number;
  defaultHandlingSeconds: number;
  /** How many agents are online for a site (presence). */
  agentsOnline?: (siteKey: string) => number;
  /** Called after every committed status change or queue change of a site (auto-assignment listens). */
  onSiteChanged?: (siteKey: string) => void;
  /**
   * Whether a site's team is open now (business hours); defaults to always open. Inside a write
   * transaction `executor` is that transaction: any read must go through it, because on SQLite the
   * outer connection waits for the transaction, which would wait for the read (a deadlock).
   */
  hoursNow?: (siteKey: string, executor?: Kysely<Database>) => Promise<{ open: boolean; opensAt: number | null }>;
  /** Prometheus instruments, when the server exposes /metrics. */
  metrics?: ServerMetrics | undefined;
  /** SQLite only: prepared statements for the per-message hot path. */
  sqlite?: SqliteStatements | undefined;
  /** For failures of work done after a command was answered (deferred bot answers). */
  logger?: Logger | undefined;
}

/** Deferred bot answers (LLM engine) are logged as this actor: their cid makes them exactly-once. */
const BOT_ACTOR_KEY = 'b:bot';

interface DeferredJob {
  conversationId: string;
  visitorId: string;
  /** The visitor's message being answered: the answer's stream id and cid derive from it. */
  messageId: string;
  question: string;
  reply: DeferredBotReply;
}

export type ConversationService = ReturnType<typeof createConversationService>;

export function createConversationService(options: ConversationServiceOptions) {
  const { db, dialect, writes, hub, bots } = options;
  const fast = options.sqlite;
  /** True inside a write-queue transaction: only there may the SQLite hot path run. */
  const inTx = (tx: Transaction<Database> | Kysely<Database>): tx is Transaction<Database> => tx !== db;
  const now = options.now ?? Date.now;
  const agentsOnline = options.agentsOnline ?? (() => 0);
  const agentNames = new Map<string, string>();

  async function agentName(id: string | null, executor: Kysely<Database> | Transaction<Database> = db): Promise<string | null> {
    if (!id) return null;
    const cached = agentNames.get(id);
    if (cached) return cached;
    const row = await executor.selectFrom('agents').select('name').where('id', '=', id).executeTakeFirst();
    if (row) agentNames.set(id, row.name);
    return row?.name ?? null;
  }

  async function lockConversation(tx: Transaction<Database>, id: string): Promise<ConversationRow | undefined> {
    if (fast) return fast.conversation(id);
    const q = tx.selectFrom('conversations').selectAll().where('id', '=', id);
    return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  }

  /**
   * The stored ack of a command this actor already sent, if any. A cid names one command: reused
   * for another conversation or another kind of command it is an error, not a silent retry.
   */
  async function findDuplicate(
    tx: Transaction<Database> | Kysely<Database>,
    actor: Actor,
    cid: string,
    expected?: { conversationId?: string | undefined; kind: EventRow['kind'] | readonly EventRow['kind'][] },
  ): Promise<AckFrame | null> {
    const row =
      fast && inTx(tx)
        ? fast.duplicate(actorKey(actor), cid)
        : await tx
            .selectFrom('events')
            .select(['id', 'seq', 'visitor_seq', 'conversation_id', 'kind'])
            .where('actor_key', '=', actorKey(actor))
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

  function lifecycleOf(conv: ConversationRow): LifecycleState {
    return {
      status: conv.status,
      assigneeId: conv.assignee_id,
      handoffReason: conv.handoff_reason,
      queuedAt: conv.queued_at,
      assignedAt: conv.assigned_at,
      resolvedAt: conv.resolved_at,
    };
  }

  /** Applies a lifecycle action to the row and logs a status event when something changed. */
  function applyLifecycle(
    conv: ConversationRow,
    action: LifecycleAction,
    events: EventRow[],
    extra: { cid?: string; actor?: Actor; text?: string; assigneeName?: string | null } = {},
  ): ConversationChange | null {
    const { state, change } = reduceConversation(lifecycleOf(conv), action);
    if (!change) return null;
    const from = conv.status;
    conv.status = state.status;
    conv.assignee_id = state.assigneeId;
    conv.handoff_reason = state.handoffReason;
    conv.queued_at = state.queuedAt;
    conv.assigned_at = state.assignedAt;
    conv.resolved_at = state.resolvedAt;
    conv.updated_at = action.at;
    events.push(
      appendEvent(
        conv,
        {
          kind: 'status',
          authorType: extra.actor ? extra.actor.kind : 'system',
          authorId: extra.actor?.id ?? null,
          authorName: extra.actor?.kind === 'agent' ? extra.actor.name : null,
          text: extra.text ?? change,
          data: {
            change,
            status: conv.status,
            from,
            assignee: conv.assignee_id ? { id: conv.assignee_id, name: extra.assigneeName ?? 'Agent' } : null,
            reason: conv.handoff_reason,
          },
          cid: extra.cid ?? null,
          actorKey: extra.cid && extra.actor ? actorKey(extra.actor) : null,
        },
        action.at,
      ),
    );
    return change;
  }

  async function visitorConversation(
    tx: Transaction<Database> | Kysely<Database>,
    visitor: VisitorActor,
    conversationId: string,
  ): Promise<ConversationRow> {
    if (fast && inTx(tx)) {
      const found = fast.conversation(conversationId);
      if (!found || found.visitor_id !== visitor.id) throw notFound();
      return found;
    }
    const row = await tx
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversationId)
      .where('visitor_id', '=', visitor.id)
      .executeTakeFirst();
    // The same answer for someone else's conversation and a missing one.
    if (!row) throw notFound();
    return row;
  }

  async function agentConversation(
    tx: Transaction<Database> | Kysely<Database>,
    agent: AgentActor,
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

  async function currentConversation(
    tx: Transaction<Database> | Kysely<Database>,
    visitorId: string,
  ): Promise<ConversationRow | undefined> {
    if (fast && inTx(tx)) return fast.current(visitorId);
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

  /** The visitor's conversation to write into: the one named, the current one, or a new one. */
  async function conversationForVisitor(
    tx: Transaction<Database>,
    visitor: VisitorActor,
    conversationId: string | undefined,
    at: number,
    lang: string | null,
  ) {
    if (conversationId) {
      const row = await visitorConversation(tx, visitor, conversationId);
      return { conv: fast ? row : (await lockConversation(tx, row.id))!, isNew: false };
    }
    const current = await currentConversation(tx, visitor.id);
    if (current && !(current.status === 'resolved' && current.resolved_at !== null && at - current.resolved_at > options.reopenWindowMs)) {
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

  function ackFor(actor: Actor, cid: string, conv: ConversationRow, event: EventRow | undefined): AckFrame {
    const ack: AckFrame = { type: 'ack', cid, conversationId: conv.id };
    if (event) {
      ack.id = event.id;
      const seq = actor.kind === 'visitor' ? event.visitor_seq : event.seq;
      if (seq !== null) ack.seq = seq;
    }
    return ack;
  }

  // ------------------------------------------------------------------------------------------
  // Publishing (after commit)

  async function queueInfoFor(conv: ConversationRow, executor: Kysely<Database> | Transaction<Database> = db): Promise<QueueInfo | null> {
    if (conv.status !== 'queued' || conv.queued_at === null) return null;
    const ahead = await executor
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('site_key', '=', conv.site_key)
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('queued_at', '<', conv.queued_at), eb.and([eb('queued_at', '=', conv.queued_at), eb('id', '<', conv.id)])]))
      .executeTakeFirstOrThrow();
    const position = Number(ahead.n) + 1;
    const online = agentsOnline(conv.site_key);
    const hours = options.hoursNow ? await options.hoursNow(conv.site_key, executor) : { open: true, opensAt: null };
    if (!hours.open) return { position, expectedWaitSeconds: null, agentsOnline: online, closed: { opensAt: hours.opensAt } };
    return {
      position,
      expectedWaitSeconds: online > 0 ? await expectedWait(conv.site_key, position, online, executor) : null,
      agentsOnline: online,
    };
  }

  /** Average handling time of the site's last 50 resolved conversations (seconds). */
  async function handlingSeconds(siteKey: string, executor: Kysely<Database> | Transaction<Database> = db): Promise<number> {
    const recent = await executor
      .selectFrom('conversations')
      .select(['assigned_at', 'resolved_at'])
      .where('site_key', '=', siteKey)
      .where('status', '=', 'resolved')
      .where('assigned_at', 'is not', null)
      .orderBy('resolved_at', 'desc')
      .limit(50)
      .execute();
    const durations = recent.map((r) => ((r.resolved_at ?? 0) - (r.assigned_at ?? 0)) / 1000).filter((d) => d > 0);
    return durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : options.defaultHandlingSeconds;
  }

  /** Each online agent takes about three chats at once; the wait scales with the line ahead. */
  const estimateWait = (position: number, online: number, handling: number) =>
    Math.max(15, Math.round((position * handling) / (online * 3)));

  async function expectedWait(
    siteKey: string,
    position: number,
    online: number,
    executor: Kysely<Database> | Transaction<Database> = db,
  ): Promise<number> {
    return estimateWait(position, online, await handlingSeconds(siteKey, executor));
  }

  function observe(result: OpResult, conv: ConversationRow): void {
    const m = options.metrics;
    if (!m) return;
    for (const row of result.events) {
      if (row.kind === 'message') {
        messagesBy(m, row.author_type).inc();
        if (row.author_type === 'bot') {
          m.botOutcomes.inc({ outcome: (JSON.parse(row.data ?? '{}') as EventData).bot?.outcome ?? 'answer' });
        }
        if (row.id === result.firstHumanReplyId && conv.queued_at !== null) {
          m.firstResponseSeconds.observe(Math.max(0, (row.created_at - conv.queued_at) / 1000));
        }
      } else if (row.kind === 'status') {
        const data = JSON.parse(row.data ?? '{}') as EventData;
        if (data.change === 'handoff') m.handoffs.inc({ reason: data.reason ?? 'unknown' });
        if (data.change === 'assigned' && conv.queued_at !== null)
          m.waitSeconds.observe(Math.max(0, (row.created_at - conv.queued_at) / 1000));
      }
    }
  }

  /** The message counter's child per author, looked up once (inc with a label object hashes it every time). */
  const messageCounters = new Map<string, { inc(): void }>();
  const messagesBy = (m: ServerMetrics, author: string) => {
    let child = messageCounters.get(author);
    if (!child) messageCounters.set(author, (child = m.messages.labels({ author })));
    return child;
  };

  /** Synchronous on purpose: ops resolve in commit order, so frames reach the hub in seq order. */
  function publish(result: OpResult): void {
    const conv = result.conversation;
    if (!conv) return;
    observe(result, conv);
    const assigneeName = result.assigneeName ?? null;
    const queue = result.queue ?? null;
    for (const row of result.events) {
      if (row.kind === 'status' || row.kind === 'rating') {
        const data = JSON.parse(row.data ?? '{}') as EventData;
        const base = {
          type: 'conversation.updated' as const,
          conversationId: conv.id,
          change: (data.change ?? 'created') as ConversationChange,
          at: row.created_at,
        };
        const rating = row.kind === 'rating' ? { rating: data.rating ?? {} } : {};
        const agent = JSON.stringify({ ...base, seq: row.seq, ...rating, conversation: toView(conv, 'agent', { assigneeName, queue }) });
        const visitor =
          row.visitor_seq === null
            ? null
            : JSON.stringify({ ...base, seq: row.visitor_seq, ...rating, conversation: toView(conv, 'visitor', { assigneeName, queue }) });
        hub.publish([topics.conversation(conv.id), topics.visitor(conv.visitor_id), topics.site(conv.site_key)], {
          conversationId: conv.id,
          seq: row.seq,
          visitorSeq: row.visitor_seq,
          agent,
          visitor,
        });
      } else {
        const { agent, visitor } = messageCreatedJson(conv.id, row);
        hub.publish([topics.conversation(conv.id), topics.visitor(conv.visitor_id)], {
          conversationId: conv.id,
          seq: row.seq,
          visitorSeq: row.visitor_seq,
          agent,
          visitor,
        });
      }
    }
  }

  /** Tells every visitor still waiting in a site's queue their new place and wait. */
  // Queue updates are coalesced per site: while one pass runs, further changes only mark the site
  // dirty and cause one more pass. A visitor hears only when their place or wait changed.
  const queuePasses = new Map<string, { dirty: boolean; done: Promise<void> }>();
  const lastQueueInfo = new Map<string, string>();

  function publishQueuePositions(siteKey: string): Promise<void> {
    const running = queuePasses.get(siteKey);
    if (running) {
      running.dirty = true;
      return running.done;
    }
    const pass = { dirty: false, done: Promise.resolve() };
    pass.done = (async () => {
      try {
        do {
          pass.dirty = false;
          await queuePass(siteKey);
        } while (pass.dirty);
      } finally {
        queuePasses.delete(siteKey);
      }
    })();
    queuePasses.set(siteKey, pass);
    return pass.done;
  }

  async function queuePass(siteKey: string): Promise<void> {
    const queued = await db
      .selectFrom('conversations')
      .selectAll()
      .where('site_key', '=', siteKey)
      .where('status', '=', 'queued')
      .orderBy('queued_at')
      .orderBy('id')
      .limit(1000)
      .execute();
    const online = agentsOnline(siteKey);
    const hours = options.hoursNow ? await options.hoursNow(siteKey) : { open: true, opensAt: null };
    const handling = hours.open && online > 0 ? await handlingSeconds(siteKey) : 0;
    for (const [i, conv] of queued.entries()) {
      const queue: QueueInfo = !hours.open
        ? { position: i + 1, expectedWaitSeconds: null, agentsOnline: online, closed: { opensAt: hours.opensAt } }
        : { position: i + 1, expectedWaitSeconds: online > 0 ? estimateWait(i + 1, online, handling) : null, agentsOnline: online };
      const key = JSON.stringify(queue);
      if (lastQueueInfo.get(conv.id) === key) continue;
      if (lastQueueInfo.size > 50_000) lastQueueInfo.clear();
      lastQueueInfo.set(conv.id, key);
      const frame = {
        type: 'conversation.updated',
        conversationId: conv.id,
        change: 'queue',
        conversation: toView(conv, 'visitor', { queue }),
        at: now(),
      };
      hub.publish([topics.visitor(conv.visitor_id)], { conversationId: conv.id, agent: null, visitor: JSON.stringify(frame) });
    }
  }

  async function run(op: (tx: Transaction<Database>) => Promise<OpResult>): Promise<AckFrame | null> {
    const result = await writes.run(async (tx) => {
      const r = await op(tx);
      if (r.conversation && r.events.length) {
        // Without an await when nothing is to be read (a known agent, not queued): each await is a
        // promise and a microtask for every operation of the batch.
        const id = r.conversation.assignee_id;
        r.assigneeName = id ? (agentNames.get(id) ?? (await agentName(id, tx))) : null;
        r.queue = r.conversation.status === 'queued' ? await queueInfoFor(r.conversation, tx) : null;
      }
      return r;
    });
    publish(result);
    // A conversation that left the bot while a model was writing its answer: stop the model.
    if (botCalls.size && result.conversation && result.conversation.status !== 'bot') botCalls.get(result.conversation.id)?.abort();
    // Positions of the others are a courtesy update, never a reason to fail the command.
    if (result.queueChanged && result.conversation) void publishQueuePositions(result.queueChanged).catch(() => {});
    if (result.conversation && (result.queueChanged || result.change)) options.onSiteChanged?.(result.conversation.site_key);
    return result.ack;
  }

  const empty = (ack: AckFrame | null): OpResult => ({ ack, events: [], conversation: null, change: null, queueChanged: null });

  // ------------------------------------------------------------------------------------------
  // Visitor commands

  // Deferred bot answers (LLM engine). A model call takes seconds, so it never runs inside the write
  // transaction: the visitor's message is committed and acknowledged first, the model's tokens go out
  // as ephemeral `message.delta` frames, and the answer is logged afterwards as its own event.
  // Per conversation they run one at a time, in the order of the questions.
  const botAnswers = new Map<string, Promise<void>>();
  /** The model call running for a conversation, to cancel it when a person takes over. */
  const botCalls = new Map<string, AbortController>();

  function answerLater(job: DeferredJob): void {
    const previous = botAnswers.get(job.conversationId) ?? Promise.resolve();
    const done: Promise<void> = previous
      .then(() => deferredAnswer(job))
      .catch((err: unknown) => options.logger?.error({ err, conversationId: job.conversationId }, 'deferred bot answer failed'))
      .finally(() => {
        if (botAnswers.get(job.conversationId) === done) botAnswers.delete(job.conversationId);
      });
    botAnswers.set(job.conversationId, done);
  }

  async function deferredAnswer(job: DeferredJob): Promise<void> {
    // Derived from the visitor's message, so a second run for the same question finds the first answer.
    const streamId = `bot_${job.messageId}`;
    const delta = (text: string, done?: true) => {
      const json = JSON.stringify({
        type: 'message.delta',
        conversationId: job.conversationId,
        streamId,
        delta: text,
        ...(done ? { done } : {}),
      });
      hub.publish([topics.conversation(job.conversationId), topics.visitor(job.visitorId)], {
        conversationId: job.conversationId,
        agent: json,
        visitor: json,
      });
    };
    // Cancelled when the conversation leaves the bot meanwhile (see run): no more drafts, no more tokens.
    const cancel = new AbortController();
    botCalls.set(job.conversationId, cancel);
    let reply: BotReply;
    try {
      reply = await job.reply.run((text) => {
        if (!cancel.signal.aborted) delta(text);
      }, cancel.signal);
    } catch {
      reply = job.reply.fallback;
    } finally {
      botCalls.delete(job.conversationId);
    }
    // The logged message (same streamId) replaces the draft; without one the draft is abandoned.
    if (!(await saveDeferredAnswer(job, streamId, reply))) delta('', true);
  }

  /** Logs a deferred answer once; false when it was dropped (a person has the conversation now). */
  async function saveDeferredAnswer(job: DeferredJob, streamId: string, reply: BotReply): Promise<boolean> {
    let saved = false;
    await run(async (tx) => {
      saved = false;
      const existing = fast
        ? fast.duplicate(BOT_ACTOR_KEY, streamId)
        : await tx.selectFrom('events').select('id').where('actor_key', '=', BOT_ACTOR_KEY).where('cid', '=', streamId).executeTakeFirst();
      if (existing) return empty(null);
      const conv = await lockConversation(tx, job.conversationId);
      // Queued or with an agent meanwhile (the visitor asked for a person): the bot is silent.
      if (!conv || conv.status !== 'bot') return empty(null);
      const at = now();
      const events: EventRow[] = [
        appendEvent(
          conv,
          {
            kind: 'message',
            authorType: 'bot',
            authorName: reply.botName ?? null,
            text: reply.text,
            data: {
              suggestions: reply.suggestions,
              bot: {
                ...(reply.faqId ? { faqId: reply.faqId } : {}),
                confidence: reply.confidence,
                outcome: reply.kind,
                ...(reply.intent ? { intent: reply.intent } : {}),
              },
              streamId,
            },
            cid: streamId,
            actorKey: BOT_ACTOR_KEY,
          },
          at,
        ),
      ];
      conv.updated_at = at;
      let queueChanged: string | null = null;
      if (reply.kind === 'unsure' || (reply.kind === 'handoff' && reply.handoffReason !== 'visitor_request')) {
        await recordUnanswered(tx, conv, job.question, reply.lang, at);
      }
      if (reply.kind === 'handoff' && reply.handoffReason) {
        if (applyLifecycle(conv, { type: 'handoff', reason: reply.handoffReason, at }, events)) queueChanged = conv.site_key;
      }
      await saveConversation(tx, conv, events, false);
      saved = true;
      return { ack: null, events, conversation: conv, change: null, queueChanged };
    });
    return saved;
  }

  /** Resolves when every deferred bot answer started so far is logged or dropped (shutdown, tests). */
  async function botAnswersSettled(): Promise<void> {
    while (botAnswers.size) await Promise.all(botAnswers.values());
  }

  /**
   * At start: a deferred answer in progress dies with the process. Conversations still with the bot
   * whose last event is the visitor's message get that question answered again, through the same
   * exactly-once path. Returns how many were restarted.
   */
  async function recoverBotAnswers({ withinMs = 15 * 60_000, max = 200 }: { withinMs?: number; max?: number } = {}): Promise<number> {
    // Only an engine that defers answers can lose one; the time-ordered event ids bound the scan.
    if (!bots.defers) return 0;
    const rows = await db
      .selectFrom('events')
      .innerJoin('conversations', (join) =>
        join.onRef('conversations.id', '=', 'events.conversation_id').onRef('conversations.last_seq', '=', 'events.seq'),
      )
      .select(['conversations.id', 'conversations.visitor_id', 'conversations.site_key', 'conversations.lang', 'conversations.bot_state'])
      .select(['events.id as message_id', 'events.text'])
      // The prefix of eventId() for that moment (ids.ts): m_ and the time in base 36.
      .where('events.id', '>=', `m_${(now() - withinMs).toString(36).padStart(9, '0')}`)
      .where('conversations.status', '=', 'bot')
      .where('events.kind', '=', 'message')
      .where('events.author_type', '=', 'visitor')
      .limit(max)
      .execute();
    let restarted = 0;
    for (const row of rows) {
      const turn = bots.reply(row.site_key, { text: row.text, lang: row.lang, state: row.bot_state, again: true });
      if (!turn) continue;
      answerLater({
        conversationId: row.id,
        visitorId: row.visitor_id,
        messageId: row.message_id,
        question: row.text,
        reply: turn.deferred ?? { fallback: turn, run: () => Promise.resolve(turn) },
      });
      restarted += 1;
    }
    return restarted;
  }

  async function visitorMessage(
    visitor: VisitorActor,
    cmd: { cid: string; text: string; conversationId?: string | undefined; lang?: string | null },
  ): Promise<AckFrame> {
    const later: { job: DeferredJob | null } = { job: null };
    const ack = await run(async (tx) => {
      later.job = null;
      const dup = await findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
      if (dup) return empty(dup);
      const at = now();
      const { conv, isNew } = await conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null);
      const events: EventRow[] = [];
      const reopened = isNew ? null : applyLifecycle(conv, { type: 'visitor.wrote', at }, events);
      const message = appendEvent(
        conv,
        {
          kind: 'message',
          authorType: 'visitor',
          authorId: visitor.id,
          authorName: visitor.name ?? null,
          text: cmd.text,
          cid: cmd.cid,
          actorKey: actorKey(visitor),
        },
        at,
      );
      events.push(message);
      conv.updated_at = at;
      let queueChanged: string | null = reopened && conv.status === 'queued' ? conv.site_key : null;
      // The bot answers in the same transaction: an acknowledged question always has its answer.
      if (conv.status === 'bot') {
        const turn = bots.reply(conv.site_key, { text: cmd.text, lang: conv.lang ?? cmd.lang ?? null, state: conv.bot_state });
        if (turn?.deferred) {
          // A model answers (LLM engine): after the commit, see answerLater.
          conv.bot_state = JSON.stringify(turn.state);
          conv.lang = turn.lang;
          later.job = {
            conversationId: conv.id,
            visitorId: conv.visitor_id,
            messageId: message.id,
            question: cmd.text,
            reply: turn.deferred,
          };
        } else if (turn) {
          conv.bot_state = JSON.stringify(turn.state);
          conv.lang = turn.lang;
          events.push(
            appendEvent(
              conv,
              {
                kind: 'message',
                authorType: 'bot',
                authorName: turn.botName ?? null,
                text: turn.text,
                data: {
                  suggestions: turn.suggestions,
                  bot: {
                    ...(turn.faqId ? { faqId: turn.faqId } : {}),
                    confidence: turn.confidence,
                    outcome: turn.kind,
                    ...(turn.intent ? { intent: turn.intent } : {}),
                  },
                },
              },
              at,
            ),
          );
          if (turn.kind === 'unsure' || (turn.kind === 'handoff' && turn.handoffReason === 'low_confidence')) {
            await recordUnanswered(tx, conv, cmd.text, turn.lang, at);
          }
          if (turn.handoffReason && turn.kind === 'handoff') {
            if (applyLifecycle(conv, { type: 'handoff', reason: turn.handoffReason, at }, events)) queueChanged = conv.site_key;
          }
        }
      }
      await saveConversation(tx, conv, events, isNew);
      return { ack: ackFor(visitor, cmd.cid, conv, message), events, conversation: conv, change: isNew ? 'created' : null, queueChanged };
    });
    if (later.job) answerLater(later.job);
    return ack!;
  }

  async function requestHandoff(
    visitor: VisitorActor,
    cmd: { cid: string; conversationId?: string | undefined; lang?: string | null },
  ): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
      if (dup) return empty(dup);
      const at = now();
      const { conv, isNew } = await conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null);
      const events: EventRow[] = [];
      const reason: HandoffReason = conv.status === 'resolved' ? 'reopened' : 'visitor_request';
      if (conv.status === 'resolved') applyLifecycle(conv, { type: 'visitor.wrote', at }, events);
      const change = applyLifecycle(conv, { type: 'handoff', reason, at }, events, { cid: cmd.cid, actor: visitor });
      if (!change) {
        // Already with the people: nothing to log, but the command is answered all the same.
        await saveConversation(tx, conv, events, isNew);
        return { ack: ackFor(visitor, cmd.cid, conv, undefined), events, conversation: conv, change: null, queueChanged: null };
      }
      await saveConversation(tx, conv, events, isNew);
      return { ack: ackFor(visitor, cmd.cid, conv, events.at(-1)), events, conversation: conv, change, queueChanged: conv.site_key };
    }))!;
  }

  async function rate(
    visitor: VisitorActor,
    cmd: {
      cid: string;
      conversationId: string;
      csat?: number | undefined;
      nps?: number | undefined;
      ces?: number | undefined;
      comment?: string | undefined;
    },
  ): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'rating' });
      if (dup) return empty(dup);
      const found = await visitorConversation(tx, visitor, cmd.conversationId);
      const conv = fast ? found : (await lockConversation(tx, found.id))!;
      const at = now();
      const rating: NonNullable<EventData['rating']> = {};
      if (cmd.csat !== undefined) rating.csat = cmd.csat;
      if (cmd.nps !== undefined) rating.nps = cmd.nps;
      if (cmd.ces !== undefined) rating.ces = cmd.ces;
      if (cmd.comment) rating.comment = cmd.comment;
      const event = appendEvent(
        conv,
        {
          kind: 'rating',
          authorType: 'visitor',
          authorId: visitor.id,
          text: 'rated',
          data: { change: 'rated', rating },
          cid: cmd.cid,
          actorKey: actorKey(visitor),
        },
        at,
      );
      conv.updated_at = at;
      await saveConversation(tx, conv, [event], false);
      return { ack: ackFor(visitor, cmd.cid, conv, event), events: [event], conversation: conv, change: 'rated', queueChanged: null };
    }))!;
  }

  async function closeByVisitor(visitor: VisitorActor, cmd: { cid: string; conversationId: string }): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
      if (dup) return empty(dup);
      const found = await visitorConversation(tx, visitor, cmd.conversationId);
      const conv = fast ? found : (await lockConversation(tx, found.id))!;
      const events: EventRow[] = [];
      const wasQueued = conv.status === 'queued';
      applyLifecycle(conv, { type: 'resolve', at: now() }, events, { cid: cmd.cid, actor: visitor });
      await saveConversation(tx, conv, events, false);
      return {
        ack: ackFor(visitor, cmd.cid, conv, events[0]),
        events,
        conversation: conv,
        change: 'resolved',
        queueChanged: wasQueued ? conv.site_key : null,
      };
    }))!;
  }

  // ------------------------------------------------------------------------------------------
  // Agent commands

  async function agentMessage(
    agent: AgentActor,
    cmd: { cid: string; conversationId: string; text: string },
    kind: 'message' | 'note' = 'message',
  ): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, agent, cmd.cid, { conversationId: cmd.conversationId, kind });
      if (dup) return empty(dup);
      const conv = await agentConversation(tx, agent, cmd.conversationId, true);
      const at = now();
      const events: EventRow[] = [];
      let queueChanged: string | null = null;
      if (kind === 'message') {
        if (conv.status === 'resolved') throw new ServusError(ErrorCode.INVALID_STATE, 'This conversation is resolved; reopen it first.');
        if (conv.status === 'assigned' && conv.assignee_id !== agent.id) {
          throw new ServusError(ErrorCode.CONFLICT, 'Another agent has this conversation.');
        }
        // Answering a waiting or bot conversation takes it.
        if (conv.status !== 'assigned') {
          if (conv.status === 'queued') queueChanged = conv.site_key;
          applyLifecycle(conv, { type: 'claim', agentId: agent.id, at }, events, { actor: agent, assigneeName: agent.name });
        }
      }
      const firstReply = kind === 'message' && conv.first_human_reply_at === null;
      if (firstReply) conv.first_human_reply_at = at;
      const message = appendEvent(
        conv,
        { kind, authorType: 'agent', authorId: agent.id, authorName: agent.name, text: cmd.text, cid: cmd.cid, actorKey: actorKey(agent) },
        at,
      );
      events.push(message);
      conv.updated_at = at;
      await saveConversation(tx, conv, events, false);
      return {
        ack: ackFor(agent, cmd.cid, conv, message),
        events,
        conversation: conv,
        change: null,
        queueChanged,
        ...(firstReply ? { firstHumanReplyId: message.id } : {}),
      };
    }))!;
  }

  async function agentLifecycle(
    agent: AgentActor,
    cmd: { cid: string; conversationId: string },
    action: (at: number) => LifecycleAction,
    assigneeName?: string,
  ): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, agent, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
      if (dup) return empty(dup);
      const conv = await agentConversation(tx, agent, cmd.conversationId, true);
      const wasQueued = conv.status === 'queued';
      const events: EventRow[] = [];
      const change = applyLifecycle(conv, action(now()), events, { cid: cmd.cid, actor: agent, assigneeName: assigneeName ?? agent.name });
      await saveConversation(tx, conv, events, false);
      const queueChanged = wasQueued || conv.status === 'queued' ? conv.site_key : null;
      return { ack: ackFor(agent, cmd.cid, conv, events[0]), events, conversation: conv, change, queueChanged };
    }))!;
  }

  const claim = (agent: AgentActor, cmd: { cid: string; conversationId: string }) =>
    agentLifecycle(agent, cmd, (at) => ({ type: 'claim', agentId: agent.id, at }));
  const resolve = (agent: AgentActor, cmd: { cid: string; conversationId: string }) =>
    agentLifecycle(agent, cmd, (at) => ({ type: 'resolve', at }));
  const reopen = (agent: AgentActor, cmd: { cid: string; conversationId: string }) =>
    agentLifecycle(agent, cmd, (at) => ({ type: 'reopen', agentId: agent.id, at }));
  const release = (agent: AgentActor, cmd: { cid: string; conversationId: string }) =>
    agentLifecycle(agent, cmd, (at) => ({ type: 'release', at }));
  async function transfer(agent: AgentActor, cmd: { cid: string; conversationId: string; agentId: string }): Promise<AckFrame> {
    const target = await db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select(['agents.id', 'agents.name', 'agent_sites.site_key'])
      .where('agents.id', '=', cmd.agentId)
      .execute();
    if (!target.length) throw notFound('agent');
    const conv = await agentConversation(db, agent, cmd.conversationId);
    if (!target.some((t) => t.site_key === conv.site_key)) throw notFound('agent');
    return agentLifecycle(agent, cmd, (at) => ({ type: 'transfer', agentId: cmd.agentId, at }), target[0]!.name);
  }

  // ------------------------------------------------------------------------------------------
  // Reads, replay, typing

  async function markRead(actor: Actor, conversationId: string, seq: number): Promise<void> {
    const conv =
      actor.kind === 'visitor' ? await visitorConversation(db, actor, conversationId) : await agentConversation(db, actor, conversationId);
    if (actor.kind === 'visitor') {
      const upTo = Math.min(seq, conv.last_visitor_seq);
      // The newest event the visitor has seen: walks the (conversation_id, seq) index back from the
      // end (visitor_seq has no index; it rises with seq).
      const row = await db
        .selectFrom('events')
        .select('seq as s')
        .where('conversation_id', '=', conv.id)
        .where('visitor_seq', '<=', upTo)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const full = Number(row?.s ?? 0);
      if (full <= conv.visitor_read_seq) return;
      await db
        .updateTable('conversations')
        .set({ visitor_read_seq: full })
        .where('id', '=', conv.id)
        .where('visitor_read_seq', '<', full)
        .execute();
      hub.publish([topics.conversation(conv.id)], {
        conversationId: conv.id,
        agent: JSON.stringify({ type: 'read', conversationId: conv.id, by: 'visitor', seq: full }),
        visitor: null,
      });
    } else {
      const upTo = Math.min(seq, conv.last_seq);
      const row = await db
        .selectFrom('events')
        .select((eb) => eb.fn.max('visitor_seq').as('s'))
        .where('conversation_id', '=', conv.id)
        .where('seq', '<=', upTo)
        .executeTakeFirst();
      const vseq = Number(row?.s ?? 0);
      await db
        .updateTable('conversations')
        .set({ agent_read_seq: vseq })
        .where('id', '=', conv.id)
        .where('agent_read_seq', '<', vseq)
        .execute();
      hub.publish([topics.visitor(conv.visitor_id)], {
        conversationId: conv.id,
        agent: null,
        visitor: JSON.stringify({ type: 'read', conversationId: conv.id, by: 'agent', seq: vseq }),
      });
      hub.publish([topics.conversation(conv.id)], {
        conversationId: conv.id,
        agent: JSON.stringify({ type: 'read', conversationId: conv.id, by: 'agent', seq: upTo }),
        visitor: null,
      });
    }
  }

  /** Logged frames after `afterSeq` for one audience, oldest first. */
  async function replay(
    conv: ConversationRow,
    audience: 'agent' | 'visitor',
    afterSeq: number,
    limit: number,
  ): Promise<{ frames: { seq: number; json: string }[]; more: boolean }> {
    // Both audiences read the (conversation_id, seq) index. A visitor's seq is visitor_seq, which
    // rises with seq and never exceeds it, so its events after afterSeq all have seq > afterSeq and
    // come in the same order; only events hidden from visitors (notes) in between are skipped.
    let query = db.selectFrom('events').selectAll().where('conversation_id', '=', conv.id).where('seq', '>', afterSeq);
    if (audience === 'visitor') query = query.where('visitor_seq', '>', afterSeq);
    const rows = await query
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const assigneeName = await agentName(conv.assignee_id);
    const frames = rows.slice(0, limit).map((row) => {
      const seq = audience === 'agent' ? row.seq : row.visitor_seq!;
      if (row.kind === 'status' || row.kind === 'rating') {
        const data = JSON.parse(row.data ?? '{}') as EventData;
        // Replayed status frames carry the state as it was then, not as it is now.
        const then: ConversationRow = {
          ...conv,
          status: (data.status ?? conv.status) as ConversationRow['status'],
          assignee_id: data.assignee?.id ?? null,
        };
        const frame = {
          type: 'conversation.updated',
          conversationId: conv.id,
          seq,
          change: data.change,
          ...(row.kind === 'rating' ? { rating: data.rating ?? {} } : {}),
          conversation: toView(row.kind === 'rating' ? conv : then, audience, { assigneeName: data.assignee?.name ?? assigneeName }),
          at: row.created_at,
        };
        return { seq, json: JSON.stringify(frame) };
      }
      return { seq, json: JSON.stringify({ type: 'message.created', conversationId: conv.id, seq, message: toMessage(row, audience) }) };
    });
    return { frames, more };
  }

  async function viewFor(conv: ConversationRow, audience: 'agent' | 'visitor'): Promise<ConversationView> {
    return toView(conv, audience, { assigneeName: await agentName(conv.assignee_id), queue: await queueInfoFor(conv) });
  }

  function publishTyping(actor: Actor, conv: ConversationRow, active: boolean, origin: string): void {
    const frame = (audience: 'agent' | 'visitor') =>
      JSON.stringify({
        type: 'typing',
        conversationId: conv.id,
        author: actor.kind === 'agent' ? { type: 'agent', id: actor.id, name: actor.name } : { type: 'visitor' },
        active,
        ...(audience === 'agent' ? {} : {}),
      });
    if (actor.kind === 'visitor')
      hub.publish([topics.conversation(conv.id)], { conversationId: conv.id, agent: frame('agent'), visitor: null, origin });
    else {
      hub.publish([topics.visitor(conv.visitor_id)], { conversationId: conv.id, agent: null, visitor: frame('visitor'), origin });
      hub.publish([topics.conversation(conv.id)], { conversationId: conv.id, agent: frame('agent'), visitor: null, origin });
    }
  }

  /** Verifies HMAC-SHA256(id, site secret) before trusting who the visitor says they are. */
  async function identify(
    visitor: VisitorActor,
    cmd: { cid: string; id: string; name?: string | undefined; email?: string | undefined; hash: string },
    secret: string | null,
  ): Promise<AckFrame> {
    if (!secret || !safeEqualHex(identityHash(cmd.id, secret), cmd.hash)) {
      throw new ServusError(ErrorCode.FORBIDDEN, 'The identity hash does not match.', { path: 'hash' });
    }
    await db
      .updateTable('visitors')
      .set({ external_id: cmd.id, name: cmd.name ?? null, email: cmd.email ?? null, verified: 1, last_seen_at: now() })
      .where('id', '=', visitor.id)
      .execute();
    visitor.name = cmd.name ?? null;
    return { type: 'ack', cid: cmd.cid };
  }

  /** Auto-assignment: gives a still-queued conversation to an agent; false when someone was faster. */
  async function assignQueued(agent: AgentActor, conversationId: string): Promise<boolean> {
    let assigned = false;
    await run(async (tx) => {
      const conv = await lockConversation(tx, conversationId);
      if (!conv || conv.status !== 'queued' || !agent.siteKeys.includes(conv.site_key)) return empty(null);
      const events: EventRow[] = [];
      const change = applyLifecycle(conv, { type: 'claim', agentId: agent.id, at: now() }, events, {
        assigneeName: agent.name,
        text: 'assigned',
      });
      await saveConversation(tx, conv, events, false);
      assigned = change !== null;
      return { ack: null, events, conversation: conv, change, queueChanged: conv.site_key };
    });
    return assigned;
  }

  /** An agent who left (or was removed): their open conversations go back to the front of the queue. */
  async function returnToQueue(agentId: string): Promise<number> {
    const rows = await db
      .selectFrom('conversations')
      .select('id')
      .where('assignee_id', '=', agentId)
      .where('status', '=', 'assigned')
      .execute();
    for (const { id } of rows) {
      await run(async (tx) => {
        const conv = await lockConversation(tx, id);
        if (!conv || conv.status !== 'assigned' || conv.assignee_id !== agentId) return empty(null);
        const events: EventRow[] = [];
        const change = applyLifecycle(conv, { type: 'release', at: now() }, events, { text: 'released' });
        await saveConversation(tx, conv, events, false);
        return { ack: null, events, conversation: conv, change, queueChanged: conv.site_key };
      });
    }
    return rows.length;
  }

  /** A returning visitor: where they are now (page, language, browser) for the agents' context panel. */
  async function touchVisitor(visitorId: string, context: string): Promise<void> {
    await db.updateTable('visitors').set({ context, last_seen_at: now() }).where('id', '=', visitorId).execute();
  }

  /** Pre-chat form data: stored on the visitor, marked unverified unless an identify vouched for it. */
  async function setProfile(
    visitor: VisitorActor,
    cmd: { cid: string; name?: string | undefined; email?: string | undefined },
  ): Promise<AckFrame> {
    const set: { name?: string; email?: string; last_seen_at: number } = { last_seen_at: now() };
    if (cmd.name !== undefined) set.name = cmd.name;
    if (cmd.email !== undefined) set.email = cmd.email;
    await db.updateTable('visitors').set(set).where('id', '=', visitor.id).where('verified', '=', 0).execute();
    if (cmd.name !== undefined) visitor.name = cmd.name;
    return { type: 'ack', cid: cmd.cid };
  }

  /**
   * Offline form: the message goes into the conversation (queued, so it waits as a ticket for the
   * agents) and the email is kept on the visitor for the answer.
   */
  async function submitOffline(
    visitor: VisitorActor,
    cmd: { cid: string; conversationId?: string | undefined; email: string; message: string; lang?: string | null },
  ): Promise<AckFrame> {
    return (await run(async (tx) => {
      const dup = await findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
      if (dup) return empty(dup);
      const at = now();
      const { conv, isNew } = await conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null);
      // Only now that the command is accepted, and in its transaction: a refused command stores nothing.
      await tx.updateTable('visitors').set({ email: cmd.email, last_seen_at: at }).where('id', '=', visitor.id).where('verified', '=', 0).execute();
      const events: EventRow[] = [];
      if (conv.status === 'resolved') applyLifecycle(conv, { type: 'visitor.wrote', at }, events);
      const wasQueued = conv.status === 'queued';
      applyLifecycle(conv, { type: 'handoff', reason: 'offline_message', at }, events);
      const message = appendEvent(
        conv,
        {
          kind: 'message',
          authorType: 'visitor',
          authorId: visitor.id,
          authorName: visitor.name ?? null,
          text: cmd.message,
          data: { offline: { email: cmd.email } },
          cid: cmd.cid,
          actorKey: actorKey(visitor),
        },
        at,
      );
      events.push(message);
      conv.updated_at = at;
      await saveConversation(tx, conv, events, isNew);
      return {
        ack: ackFor(visitor, cmd.cid, conv, message),
        events,
        conversation: conv,
        change: null,
        queueChanged: wasQueued ? null : conv.site_key,
      };
    }))!;
  }

  /** The queue of the agent's sites, oldest first, then the agent's own open conversations. */
  async function listForAgent(agent: AgentActor): Promise<ConversationView[]> {
    if (!agent.siteKeys.length) return [];
    const rows = await db
      .selectFrom('conversations')
      .selectAll()
      .where('site_key', 'in', agent.siteKeys)
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'assigned'), eb('assignee_id', '=', agent.id)])]))
      .orderBy('queued_at')
      .limit(500)
      .execute();
    const views: ConversationView[] = [];
    for (const row of rows) views.push(await viewFor(row, 'agent'));
    return views;
  }

  return {
    touchVisitor,
    assignQueued,
    returnToQueue,
    identify,
    setProfile,
    submitOffline,
    listForAgent,
    visitorMessage,
    requestHandoff,
    rate,
    closeByVisitor,
    agentMessage,
    addNote: (agent: AgentActor, cmd: { cid: string; conversationId: string; text: string }) => agentMessage(agent, cmd, 'note'),
    claim,
    transfer,
    resolve,
    reopen,
    release,
    markRead,
    replay,
    viewFor,
    publishTyping,
    publishQueuePositions,
    visitorConversation: (visitor: VisitorActor, id: string) => visitorConversation(db, visitor, id),
    agentConversation: (agent: AgentActor, id: string) => agentConversation(db, agent, id),
    conversationById: (id: string) => db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst(),
    currentConversation: (visitorId: string) => currentConversation(db, visitorId),
    findDuplicate: (actor: Actor, cid: string) => findDuplicate(db, actor, cid),
    botAnswersSettled,
    recoverBotAnswers,
  };
}
