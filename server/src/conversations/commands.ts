// The conversation commands of visitors, agents and the system. Each becomes one write operation:
// the retry check (same sender, same cid: the stored ack), the conversation row locked, the
// lifecycle reducer, events with their seqs, and the bot's turn when the conversation is with the
// bot. What is written goes to the committed-change stream (commit.ts); nothing here sends a frame.
import { ErrorCode, type AckFrame, type AttachmentInfo } from '@servus/shared';
import type { AgentActor, IntegrationActor, VisitorActor } from '../core/actors.js';
import { ServusError, notFound } from '../core/errors.js';
import { identityHash, safeEqualHex } from '../core/ids.js';
import { verifyIdentityJwt } from '../auth/identity-token.js';
import type { BotTurns, DeferredJob } from './bot-turns.js';
import type { ChangeStream } from './changes.js';
import { nothing, type Commit, type OpResult } from './commit.js';
import type { HandoffReason, LifecycleAction } from './lifecycle.js';
import { actorKey, type ConversationRepository } from './repository.js';
import { applyLifecycle } from './status-events.js';
import { parseData, type ConversationRow, type EventData, type EventRow } from './views.js';
import type { BatchKeys } from '../storage/write-queue.js';

export interface CommandsOptions {
  repo: ConversationRepository;
  commit: Commit;
  bot: BotTurns;
  changes: ChangeStream;
  now: () => number;
  /** A visitor writing into a conversation resolved less than this long ago reopens it. */
  reopenWindowMs: number;
}

type Cid = { cid: string };
type InConversation = Cid & { conversationId: string };

export type Commands = ReturnType<typeof createCommands>;

export function createCommands({ repo, commit, bot, changes, now, reopenWindowMs }: CommandsOptions) {
  const visitorCause = (visitor: VisitorActor) => ({ kind: 'visitor', id: visitor.id }) as const;
  // What a command locks and looks up, for PostgreSQL's batches (SQLite has one writer and its own
  // hot path: nothing to declare there).
  const declare = repo.dialect === 'postgres';
  /** A visitor's command: the conversation named, or the visitor's latest, and the cid. */
  const visitorKeys = (visitor: VisitorActor, cmd: Cid & { conversationId?: string | undefined }): BatchKeys | undefined =>
    declare
      ? {
          cids: [[actorKey(visitor), cmd.cid]],
          ...(cmd.conversationId ? { conversations: [cmd.conversationId] } : { visitors: [visitor.id] }),
        }
      : undefined;
  const agentKeys = (agent: AgentActor | IntegrationActor, cmd: InConversation): BatchKeys | undefined =>
    declare ? { cids: [[actorKey(agent), cmd.cid]], conversations: [cmd.conversationId] } : undefined;
  const causeOf = (by: AgentActor | IntegrationActor) => ({ kind: by.kind, id: by.id, name: by.name }) as const;
  /**
   * What a command wrote: its ack (with the id and seq of `acked` in the sender's sequence, when it
   * logged one) and the change for the stream.
   */
  function written(
    sender: 'visitor' | 'agent',
    cid: string,
    conv: ConversationRow,
    acked: EventRow | undefined,
    events: EventRow[],
    rest: Pick<OpResult, 'change' | 'queueChanged' | 'cause' | 'firstHumanReplyId'>,
  ): OpResult {
    const ack: AckFrame = { type: 'ack', cid, conversationId: conv.id };
    if (acked) {
      ack.id = acked.id;
      const seq = sender === 'visitor' ? acked.visitor_seq : acked.seq;
      if (seq !== null) ack.seq = seq;
    }
    return { ack, events, conversation: conv, ...rest };
  }

  // ------------------------------------------------------------------------------------------
  // Visitors

  async function visitorMessage(
    visitor: VisitorActor,
    cmd: Cid & { text: string; conversationId?: string | undefined; lang?: string | null },
  ): Promise<AckFrame> {
    const later: { job: DeferredJob | null } = { job: null };
    const ack = await commit(
      async (tx) => {
        later.job = null;
        const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
        if (dup) return nothing(dup, visitorCause(visitor));
        const at = now();
        const { conv, isNew } = await repo.conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null, reopenWindowMs);
        const events: EventRow[] = [];
        const reopened = isNew ? null : applyLifecycle(repo, conv, { type: 'visitor.wrote', at }, events);
        const message = repo.appendEvent(
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
        let queueChanged = reopened !== null && conv.status === 'queued';
        if (conv.status === 'bot') {
          const turn = await bot.answer(tx, conv, message, { text: cmd.text, lang: cmd.lang ?? null }, events, at);
          later.job = turn.deferred;
          queueChanged ||= turn.queueChanged;
        }
        await repo.saveConversation(tx, conv, events, isNew);
        return written('visitor', cmd.cid, conv, message, events, {
          change: isNew ? 'created' : null,
          queueChanged,
          cause: visitorCause(visitor),
        });
      },
      visitorKeys(visitor, cmd),
    );
    if (later.job) bot.answerLater(later.job);
    return ack!;
  }

  async function requestHandoff(
    visitor: VisitorActor,
    cmd: Cid & { conversationId?: string | undefined; lang?: string | null },
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
        if (dup) return nothing(dup, visitorCause(visitor));
        const at = now();
        const { conv, isNew } = await repo.conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null, reopenWindowMs);
        const events: EventRow[] = [];
        const reason: HandoffReason = conv.status === 'resolved' ? 'reopened' : 'visitor_request';
        const reopened = conv.status === 'resolved' ? applyLifecycle(repo, conv, { type: 'visitor.wrote', at }, events) : null;
        const change = applyLifecycle(repo, conv, { type: 'handoff', reason, at }, events, { cid: cmd.cid, actor: visitor });
        await repo.saveConversation(tx, conv, events, isNew);
        // Already with the people: nothing more to log, but the command is answered all the same
        // (a conversation reopened into the queue on the way still moved the queue).
        return written('visitor', cmd.cid, conv, change ? events.at(-1) : undefined, events, {
          change: change ?? reopened,
          queueChanged: change !== null || (reopened !== null && conv.status === 'queued'),
          cause: visitorCause(visitor),
        });
      },
      visitorKeys(visitor, cmd),
    ))!;
  }

  async function rate(
    visitor: VisitorActor,
    cmd: InConversation & { csat?: number | undefined; nps?: number | undefined; ces?: number | undefined; comment?: string | undefined },
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'rating' });
        if (dup) return nothing(dup, visitorCause(visitor));
        const found = await repo.visitorConversation(tx, visitor, cmd.conversationId);
        const conv = repo.fast ? found : (await repo.lockConversation(tx, found.id))!;
        const at = now();
        const rating: NonNullable<EventData['rating']> = {};
        if (cmd.csat !== undefined) rating.csat = cmd.csat;
        if (cmd.nps !== undefined) rating.nps = cmd.nps;
        if (cmd.ces !== undefined) rating.ces = cmd.ces;
        if (cmd.comment) rating.comment = cmd.comment;
        const event = repo.appendEvent(
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
        await repo.saveConversation(tx, conv, [event], false);
        return written('visitor', cmd.cid, conv, event, [event], { change: 'rated', queueChanged: false, cause: visitorCause(visitor) });
      },
      visitorKeys(visitor, cmd),
    ))!;
  }

  /**
   * "Did this answer your question?" on a bot answer: labelled for the site's calibration, and
   * while the bot has the conversation, answered by the bot (bot-turns.ts `feedback`).
   */
  async function answerFeedback(visitor: VisitorActor, cmd: InConversation & { messageId: string; helpful: boolean }): Promise<AckFrame> {
    return (await commit(async (tx) => {
      const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
      if (dup) return nothing(dup, visitorCause(visitor));
      const found = await repo.visitorConversation(tx, visitor, cmd.conversationId);
      const conv = repo.fast ? found : (await repo.lockConversation(tx, found.id))!;
      const turn = await repo.botTurn(tx, conv.id, cmd.messageId);
      const data = turn ? parseData(turn.message) : null;
      if (!turn || data?.bot?.outcome !== 'answer') {
        throw new ServusError(ErrorCode.NOT_FOUND, 'No bot answer with this id in this conversation.', { path: 'messageId' });
      }
      const events = await bot.feedback(tx, conv, turn, cmd.helpful, { cid: cmd.cid, actorKey: actorKey(visitor) }, now());
      if (!events.length) return nothing({ type: 'ack', cid: cmd.cid, conversationId: conv.id }, visitorCause(visitor));
      await repo.saveConversation(tx, conv, events, false);
      return written('visitor', cmd.cid, conv, events[0], events, { change: null, queueChanged: false, cause: visitorCause(visitor) });
    }))!;
  }

  async function closeByVisitor(visitor: VisitorActor, cmd: InConversation): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
        if (dup) return nothing(dup, visitorCause(visitor));
        const found = await repo.visitorConversation(tx, visitor, cmd.conversationId);
        const conv = repo.fast ? found : (await repo.lockConversation(tx, found.id))!;
        const events: EventRow[] = [];
        const wasQueued = conv.status === 'queued';
        applyLifecycle(repo, conv, { type: 'resolve', at: now() }, events, { cid: cmd.cid, actor: visitor });
        await repo.saveConversation(tx, conv, events, false);
        return written('visitor', cmd.cid, conv, events[0], events, {
          change: 'resolved',
          queueChanged: wasQueued,
          cause: visitorCause(visitor),
        });
      },
      visitorKeys(visitor, cmd),
    ))!;
  }

  /**
   * Offline form: the message goes into the conversation (queued, so it waits as a ticket for the
   * agents) and the email is kept on the visitor for the answer.
   */
  async function submitOffline(
    visitor: VisitorActor,
    cmd: Cid & { conversationId?: string | undefined; email: string; message: string; lang?: string | null },
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, visitor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
        if (dup) return nothing(dup, visitorCause(visitor));
        const at = now();
        const { conv, isNew } = await repo.conversationForVisitor(tx, visitor, cmd.conversationId, at, cmd.lang ?? null, reopenWindowMs);
        // Only now that the command is accepted, and in its transaction: a refused command stores nothing.
        await repo.visitors.setEmail(tx, visitor.id, cmd.email, at);
        const events: EventRow[] = [];
        if (conv.status === 'resolved') applyLifecycle(repo, conv, { type: 'visitor.wrote', at }, events);
        const wasQueued = conv.status === 'queued';
        applyLifecycle(repo, conv, { type: 'handoff', reason: 'offline_message', at }, events);
        const message = repo.appendEvent(
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
        await repo.saveConversation(tx, conv, events, isNew);
        return written('visitor', cmd.cid, conv, message, events, {
          change: null,
          queueChanged: !wasQueued,
          cause: visitorCause(visitor),
        });
      },
      visitorKeys(visitor, cmd),
    ))!;
  }

  /** Pre-chat form data: stored on the visitor, marked unverified unless an identify vouched for it. */
  async function setProfile(
    visitor: VisitorActor,
    cmd: Cid & { name?: string | undefined; email?: string | undefined },
  ): Promise<AckFrame> {
    const set: { name?: string; email?: string } = {};
    if (cmd.name !== undefined) set.name = cmd.name;
    if (cmd.email !== undefined) set.email = cmd.email;
    await repo.visitors.setProfile(visitor.id, set, now());
    if (cmd.name !== undefined) visitor.name = cmd.name;
    return { type: 'ack', cid: cmd.cid };
  }

  /**
   * Verifies HMAC-SHA256(id, site secret), or a JWT signed with the site secret (auth/identity-token.ts),
   * before trusting who the visitor says they are. A verified identity links the visitor to the same
   * user's visitors on other devices (their conversations become one history); a refused one stores nothing.
   */
  async function identify(
    visitor: VisitorActor,
    cmd: Cid & {
      id?: string | undefined;
      name?: string | undefined;
      email?: string | undefined;
      hash?: string | undefined;
      jwt?: string | undefined;
    },
    secret: string | null,
  ): Promise<AckFrame> {
    let who: { externalId: string; name: string | null; email: string | null };
    if (cmd.jwt !== undefined) {
      const verified = verifyIdentityJwt(cmd.jwt, secret, now());
      who = { externalId: verified.id, name: verified.name, email: verified.email };
    } else {
      if (!secret || !cmd.id || !cmd.hash || !safeEqualHex(identityHash(cmd.id, secret), cmd.hash)) {
        throw new ServusError(ErrorCode.FORBIDDEN, 'The identity hash does not match.', { path: 'hash' });
      }
      who = { externalId: cmd.id, name: cmd.name ?? null, email: cmd.email ?? null };
    }
    await repo.visitors.identify(visitor.id, who, now());
    visitor.name = who.name;
    visitor.verified = true;
    // The identity's newest conversation, when another device has it open: this device continues it.
    const continued = await repo.visitorCurrent(repo.db, visitor);
    if (continued && continued.visitor_id !== visitor.id && continued.status !== 'resolved')
      return { type: 'ack', cid: cmd.cid, conversationId: continued.id };
    return { type: 'ack', cid: cmd.cid };
  }

  // ------------------------------------------------------------------------------------------
  // Agents

  async function agentMessage(
    agent: AgentActor,
    cmd: InConversation & { text: string },
    kind: 'message' | 'note' = 'message',
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, agent, cmd.cid, { conversationId: cmd.conversationId, kind });
        if (dup) return nothing(dup, causeOf(agent));
        const conv = await repo.agentConversation(tx, agent, cmd.conversationId, true);
        const at = now();
        const events: EventRow[] = [];
        let queueChanged = false;
        if (kind === 'message') {
          if (conv.status === 'resolved') throw new ServusError(ErrorCode.INVALID_STATE, 'This conversation is resolved; reopen it first.');
          if (conv.status === 'assigned' && conv.assignee_id !== agent.id) {
            throw new ServusError(ErrorCode.CONFLICT, 'Another agent has this conversation.');
          }
          // Answering a waiting or bot conversation takes it.
          if (conv.status !== 'assigned') {
            queueChanged = conv.status === 'queued';
            applyLifecycle(repo, conv, { type: 'claim', agentId: agent.id, at }, events, { actor: agent, assigneeName: agent.name });
          }
        }
        const firstReply = kind === 'message' && conv.first_human_reply_at === null;
        if (firstReply) conv.first_human_reply_at = at;
        const message = repo.appendEvent(
          conv,
          {
            kind,
            authorType: 'agent',
            authorId: agent.id,
            authorName: agent.name,
            text: cmd.text,
            cid: cmd.cid,
            actorKey: actorKey(agent),
          },
          at,
        );
        events.push(message);
        conv.updated_at = at;
        await repo.saveConversation(tx, conv, events, false);
        return written('agent', cmd.cid, conv, message, events, {
          change: null,
          queueChanged,
          cause: causeOf(agent),
          ...(firstReply ? { firstHumanReplyId: message.id } : {}),
        });
      },
      agentKeys(agent, cmd),
    ))!;
  }

  async function agentLifecycle(
    agent: AgentActor | IntegrationActor,
    cmd: InConversation,
    action: (at: number) => LifecycleAction,
    assigneeName?: string,
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, agent, cmd.cid, { conversationId: cmd.conversationId, kind: 'status' });
        if (dup) return nothing(dup, causeOf(agent));
        const conv = await repo.agentConversation(tx, agent, cmd.conversationId, true);
        const wasQueued = conv.status === 'queued';
        const events: EventRow[] = [];
        const change = applyLifecycle(repo, conv, action(now()), events, {
          cid: cmd.cid,
          actor: agent,
          assigneeName: assigneeName ?? agent.name,
        });
        await repo.saveConversation(tx, conv, events, false);
        return written('agent', cmd.cid, conv, events[0], events, {
          change,
          queueChanged: wasQueued || conv.status === 'queued',
          cause: causeOf(agent),
        });
      },
      agentKeys(agent, cmd),
    ))!;
  }

  async function transfer(agent: AgentActor | IntegrationActor, cmd: InConversation & { agentId: string }): Promise<AckFrame> {
    const target = await repo.db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select(['agents.id', 'agents.name', 'agent_sites.site_key'])
      .where('agents.id', '=', cmd.agentId)
      .execute();
    if (!target.length) throw notFound('agent');
    const conv = await repo.agentConversation(repo.db, agent, cmd.conversationId);
    if (!target.some((t) => t.site_key === conv.site_key)) throw notFound('agent');
    return agentLifecycle(agent, cmd, (at) => ({ type: 'transfer', agentId: cmd.agentId, at }), target[0]!.name);
  }

  // ------------------------------------------------------------------------------------------
  // Attachments: the bytes are stored already (attachments/); the command logs the message event
  // that shows them and marks the upload as committed, in one transaction and once per cid.

  async function sendAttachment(
    actor: VisitorActor | AgentActor,
    cmd: Cid & { conversationId?: string | undefined; lang?: string | null; attachment: AttachmentInfo; maxPerConversation: number },
  ): Promise<AckFrame> {
    const cause = actor.kind === 'visitor' ? visitorCause(actor) : causeOf(actor);
    return (await commit(async (tx) => {
      const dup = await repo.findDuplicate(tx, actor, cmd.cid, { conversationId: cmd.conversationId, kind: 'message' });
      if (dup) return nothing(dup, cause);
      const at = now();
      const events: EventRow[] = [];
      let conv: ConversationRow;
      let isNew = false;
      let queueChanged = false;
      let firstReply = false;
      if (actor.kind === 'visitor') {
        ({ conv, isNew } = await repo.conversationForVisitor(tx, actor, cmd.conversationId, at, cmd.lang ?? null, reopenWindowMs));
        const reopened = isNew ? null : applyLifecycle(repo, conv, { type: 'visitor.wrote', at }, events);
        queueChanged = reopened !== null && conv.status === 'queued';
      } else {
        conv = await repo.agentConversation(tx, actor, cmd.conversationId ?? '', true);
        if (conv.status === 'resolved') throw new ServusError(ErrorCode.INVALID_STATE, 'This conversation is resolved; reopen it first.');
        if (conv.status === 'assigned' && conv.assignee_id !== actor.id)
          throw new ServusError(ErrorCode.CONFLICT, 'Another agent has this conversation.');
        if (conv.status !== 'assigned') {
          queueChanged = conv.status === 'queued';
          applyLifecycle(repo, conv, { type: 'claim', agentId: actor.id, at }, events, { actor, assigneeName: actor.name });
        }
        firstReply = conv.first_human_reply_at === null;
        if (firstReply) conv.first_human_reply_at = at;
      }
      if (!isNew && (await repo.attachmentCount(tx, conv.id)) >= cmd.maxPerConversation) {
        throw new ServusError(ErrorCode.LIMIT_REACHED, `A conversation holds at most ${cmd.maxPerConversation} files.`);
      }
      const message = repo.appendEvent(
        conv,
        {
          kind: 'message',
          authorType: actor.kind,
          authorId: actor.id,
          authorName: actor.name ?? null,
          // The name is the message's text: search, previews and transcripts find it there.
          text: cmd.attachment.name,
          data: { attachment: cmd.attachment },
          cid: cmd.cid,
          actorKey: actorKey(actor),
        },
        at,
      );
      events.push(message);
      conv.updated_at = at;
      await repo.saveConversation(tx, conv, events, isNew);
      await repo.bindAttachment(tx, cmd.attachment.id, conv.id, message.id);
      return written(actor.kind, cmd.cid, conv, message, events, {
        change: isNew ? 'created' : null,
        queueChanged,
        cause,
        ...(firstReply ? { firstHumanReplyId: message.id } : {}),
      });
    }))!;
  }

  // ------------------------------------------------------------------------------------------
  // Read markers (no event is logged: the row's marker moves, and the other side is told)

  async function markRead(actor: VisitorActor | AgentActor, conversationId: string, seq: number): Promise<void> {
    if (actor.kind === 'visitor') {
      const conv = await repo.visitorConversation(repo.db, actor, conversationId);
      const full = await repo.markVisitorRead(conv, seq);
      if (full !== null)
        changes.emit({ type: 'read', conversation: conv, by: 'visitor', agentSeq: full, visitorSeq: Math.min(seq, conv.last_visitor_seq) });
    } else {
      const conv = await repo.agentConversation(repo.db, actor, conversationId);
      const marker = await repo.markAgentRead(conv, seq);
      changes.emit({ type: 'read', conversation: conv, by: 'agent', ...marker });
    }
  }

  // ------------------------------------------------------------------------------------------
  // The system

  /** Auto-assignment: gives a still-queued conversation to an agent; false when someone was faster. */
  async function assignQueued(agent: AgentActor, conversationId: string): Promise<boolean> {
    let assigned = false;
    await commit(
      async (tx) => {
        assigned = false;
        const conv = await repo.lockConversation(tx, conversationId);
        if (!conv || conv.status !== 'queued' || !agent.siteKeys.includes(conv.site_key)) return nothing(null, { kind: 'system' });
        const events: EventRow[] = [];
        const change = applyLifecycle(repo, conv, { type: 'claim', agentId: agent.id, at: now() }, events, {
          assigneeName: agent.name,
          text: 'assigned',
        });
        await repo.saveConversation(tx, conv, events, false);
        assigned = change !== null;
        return { ack: null, events, conversation: conv, change, queueChanged: true, cause: { kind: 'system' } };
      },
      { conversations: [conversationId] },
    );
    return assigned;
  }

  /** An agent who left (or was removed): their open conversations go back to the front of the queue. */
  async function returnToQueue(agentId: string): Promise<number> {
    const ids = await repo.assignedTo(agentId);
    for (const id of ids) {
      await commit(
        async (tx) => {
          const conv = await repo.lockConversation(tx, id);
          if (!conv || conv.status !== 'assigned' || conv.assignee_id !== agentId) return nothing(null, { kind: 'system' });
          const events: EventRow[] = [];
          const change = applyLifecycle(repo, conv, { type: 'release', at: now() }, events, { text: 'released' });
          await repo.saveConversation(tx, conv, events, false);
          return { ack: null, events, conversation: conv, change, queueChanged: true, cause: { kind: 'system' } };
        },
        { conversations: [id] },
      );
    }
    return ids.length;
  }

  // ------------------------------------------------------------------------------------------
  // Integrations (REST API v1, with a token)

  /**
   * A message from an integration, authored as the bot under the integration's name: it changes no
   * status (a conversation with the bot stays with it, a queued one stays queued).
   */
  async function integrationMessage(
    by: IntegrationActor,
    cmd: InConversation & { text: string; name?: string | undefined },
    kind: 'message' | 'note' = 'message',
  ): Promise<AckFrame> {
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, by, cmd.cid, { conversationId: cmd.conversationId, kind });
        if (dup) return nothing(dup, causeOf(by));
        const conv = await repo.agentConversation(tx, by, cmd.conversationId, true);
        if (kind === 'message' && conv.status === 'resolved')
          throw new ServusError(ErrorCode.INVALID_STATE, 'This conversation is resolved; reopen it first.');
        const at = now();
        const message = repo.appendEvent(
          conv,
          {
            kind,
            authorType: 'bot',
            authorId: by.id,
            authorName: cmd.name ?? by.name,
            text: cmd.text,
            cid: cmd.cid,
            actorKey: actorKey(by),
          },
          at,
        );
        conv.updated_at = at;
        await repo.saveConversation(tx, conv, [message], false);
        return written('agent', cmd.cid, conv, message, [message], { change: null, queueChanged: false, cause: causeOf(by) });
      },
      // Locked with the batch's other conversations, in one order (PostgreSQL), like an agent's command.
      agentKeys(by, cmd),
    ))!;
  }

  /**
   * A conversation opened from the server side for a known visitor, with a first message from an
   * agent (who then has it) or an integration (the bot keeps it). A visitor with an open
   * conversation gets no second one: CONFLICT.
   */
  async function openConversation(
    by: AgentActor | IntegrationActor,
    cmd: Cid & { visitorId: string; text: string; name?: string | undefined },
  ): Promise<AckFrame> {
    const cause = causeOf(by);
    return (await commit(
      async (tx) => {
        const dup = await repo.findDuplicate(tx, by, cmd.cid, { kind: 'message' });
        if (dup) return nothing(dup, cause);
        const visitor = await tx
          .selectFrom('visitors')
          .select(['id', 'site_key', 'name'])
          .where('id', '=', cmd.visitorId)
          .executeTakeFirst();
        if (!visitor || !by.siteKeys.includes(visitor.site_key)) throw notFound('visitor');
        const current = await repo.currentConversation(tx, visitor.id);
        if (current && current.status !== 'resolved') {
          throw new ServusError(ErrorCode.CONFLICT, 'The visitor has an open conversation; write into it.', { path: 'visitorId' });
        }
        const at = now();
        const conv = repo.newConversation({ kind: 'visitor', id: visitor.id, siteKey: visitor.site_key, name: visitor.name }, at, null);
        const events: EventRow[] = [];
        if (by.kind === 'agent') {
          applyLifecycle(repo, conv, { type: 'claim', agentId: by.id, at }, events, { actor: by, assigneeName: by.name });
        }
        const message = repo.appendEvent(
          conv,
          {
            kind: 'message',
            authorType: by.kind === 'agent' ? 'agent' : 'bot',
            authorId: by.id,
            authorName: by.kind === 'agent' ? by.name : (cmd.name ?? by.name),
            text: cmd.text,
            cid: cmd.cid,
            actorKey: actorKey(by),
          },
          at,
        );
        events.push(message);
        await repo.saveConversation(tx, conv, events, true);
        return written('agent', cmd.cid, conv, message, events, { change: 'created', queueChanged: false, cause });
      },
      declare ? { cids: [[actorKey(by), cmd.cid]], visitors: [cmd.visitorId] } : undefined,
    ))!;
  }

  return {
    visitorMessage,
    requestHandoff,
    rate,
    answerFeedback,
    closeByVisitor,
    submitOffline,
    setProfile,
    identify,
    /** A returning visitor: where they are now (page, language, browser) for the agents' context panel. */
    touchVisitor: (visitorId: string, context: string) => repo.visitors.touch(visitorId, context, now()),
    agentMessage,
    sendAttachment,
    addNote: (agent: AgentActor, cmd: InConversation & { text: string }) => agentMessage(agent, cmd, 'note'),
    claim: (agent: AgentActor, cmd: InConversation) => agentLifecycle(agent, cmd, (at) => ({ type: 'claim', agentId: agent.id, at })),
    resolve: (agent: AgentActor | IntegrationActor, cmd: InConversation) => agentLifecycle(agent, cmd, (at) => ({ type: 'resolve', at })),
    reopen: (agent: AgentActor, cmd: InConversation) => agentLifecycle(agent, cmd, (at) => ({ type: 'reopen', agentId: agent.id, at })),
    release: (agent: AgentActor, cmd: InConversation) => agentLifecycle(agent, cmd, (at) => ({ type: 'release', at })),
    transfer,
    markRead,
    assignQueued,
    returnToQueue,
    integrationMessage,
    openConversation,
  };
}
