// The bot's turns in a conversation. The default engine answers inside the visitor's write
// transaction: an acknowledged question always has its answer, even across a crash. A model (the
// LLM engine) takes seconds, so its answer never runs inside a transaction: the visitor's message
// is committed and acknowledged first, the model's tokens go out as drafts, and the answer is logged
// afterwards as its own event, exactly once (its cid derives from the question). Per conversation
// deferred answers run one at a time, in the order of the questions.
//
// The answer in progress lives in one process, so each one is also a durable job (`bot.answer`),
// committed with the question and due once the model's time-out (and a margin) has passed; the
// process cancels it when the answer is logged or dropped. If the process dies first, any instance
// (this one restarted, or another) runs the job: the question is answered again, once.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Logger } from '../core/logger.js';
import type { Jobs } from '../jobs/jobs.js';
import { feedbackTurn, type BotReply, type BotResponder, type DeferredBotReply } from '../bot/index.js';
import type { NewBotLabel } from '../learning/learning.js';
import type { ChangeStream } from './changes.js';
import { nothing, type Commit } from './commit.js';
import type { ConversationRepository, NewEvent } from './repository.js';
import { applyLifecycle } from './status-events.js';
import { parseData, type ConversationRow, type EventRow } from './views.js';

/** Deferred bot answers are logged as this sender: their cid makes them exactly-once. */
const BOT_ACTOR_KEY = 'b:bot';
/** The durable job that answers a question again if the process answering it died. */
const TAKE_OVER = 'bot.answer';

/**
 * The one rule for what the FAQ editor lists as unanswered: the bot was unsure, or handed over
 * because it could not answer (low confidence, or the model said so). Not a visitor asking for a
 * person, and not frustration: neither is a question the FAQ missed.
 */
export function countsAsUnanswered(reply: Pick<BotReply, 'kind' | 'handoffReason'>): boolean {
  return (
    reply.kind === 'unsure' ||
    (reply.kind === 'handoff' && (reply.handoffReason === 'low_confidence' || reply.handoffReason === 'llm_handoff'))
  );
}

/** A bot answer as a logged message. */
function botMessage(reply: BotReply, extra: Pick<NewEvent, 'cid' | 'actorKey'> & { streamId?: string } = {}): NewEvent {
  return {
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
      ...(extra.streamId ? { streamId: extra.streamId } : {}),
    },
    cid: extra.cid ?? null,
    actorKey: extra.actorKey ?? null,
  };
}

/** The take-over job's payload (its key is the question's message id). */
interface TakeOver {
  conversationId: string;
}

export interface DeferredJob {
  conversationId: string;
  visitorId: string;
  /** The visitor's message being answered: the answer's stream id and cid derive from it. */
  messageId: string;
  question: string;
  reply: DeferredBotReply;
}

/** A model's answer being written: `delta` appended to the draft; `done` without a logged answer drops it. */
export type DraftListener = (draft: { conversationId: string; visitorId: string; streamId: string; delta: string; done?: true }) => void;

/** The site's own calibration (learning/), as the bot's turns use it. */
export interface BotLearningHooks {
  /** The site's confidence threshold; read in the caller's transaction. */
  thresholdOf(siteKey: string, executor: Kysely<Database>): Promise<number>;
  /** Stores a label in the caller's transaction (false: the visitor had judged this message already). */
  record(executor: Kysely<Database>, label: NewBotLabel): Promise<boolean>;
}

export interface BotTurnsOptions {
  bots: BotResponder;
  learning?: BotLearningHooks | undefined;
  repo: ConversationRepository;
  commit: Commit;
  changes: ChangeStream;
  now: () => number;
  logger?: Logger | undefined;
  /** Durable jobs: a deferred answer lost with its process is answered by any instance. */
  jobs?: Pick<Jobs, 'schedule' | 'cancel' | 'handle'> | undefined;
  /** After how long a deferred answer not logged yet counts as lost (the model's time-out and a margin). */
  takeOverAfterMs?: number;
}

export type BotTurns = ReturnType<typeof createBotTurns>;

export function createBotTurns({ bots, learning, repo, commit, changes, now, logger, jobs, takeOverAfterMs = 30_000 }: BotTurnsOptions) {
  const drafts = new Set<DraftListener>();
  const draft: DraftListener = (d) => {
    for (const listener of drafts) listener(d);
  };
  const answers = new Map<string, Promise<void>>();
  /** The model call running for a conversation, to cancel it when a person takes over. */
  const calls = new Map<string, AbortController>();

  // A conversation that left the bot while a model was writing its answer: stop the model.
  changes.subscribe('bot-turns', (change) => {
    if (calls.size && change.type === 'conversation' && change.conversation.status !== 'bot') calls.get(change.conversation.id)?.abort();
  });

  /**
   * The bot's turn on a visitor's message, inside its transaction (the conversation is with the bot).
   * Logs the answer, a handoff and an unanswered question; returns whether the queue changed and,
   * for a model, the job to run after the commit.
   */
  async function answer(
    tx: Transaction<Database>,
    conv: ConversationRow,
    message: EventRow,
    input: { text: string; lang: string | null },
    events: EventRow[],
    at: number,
  ): Promise<{ queueChanged: boolean; deferred: DeferredJob | null }> {
    const threshold = learning ? await learning.thresholdOf(conv.site_key, tx) : undefined;
    const turn = bots.reply(conv.site_key, {
      text: input.text,
      lang: conv.lang ?? input.lang,
      state: conv.bot_state,
      ...(threshold !== undefined ? { threshold } : {}),
    });
    if (!turn) return { queueChanged: false, deferred: null };
    conv.bot_state = JSON.stringify(turn.state);
    conv.lang = turn.lang;
    if (turn.deferred) {
      // Committed with the question: if this process dies before the answer is logged, another answers.
      await jobs?.schedule(TAKE_OVER, message.id, at + takeOverAfterMs, { conversationId: conv.id } satisfies TakeOver, tx);
      return {
        queueChanged: false,
        deferred: {
          conversationId: conv.id,
          visitorId: conv.visitor_id,
          messageId: message.id,
          question: input.text,
          reply: turn.deferred,
        },
      };
    }
    events.push(repo.appendEvent(conv, botMessage(turn), at));
    if (countsAsUnanswered(turn)) await repo.recordUnanswered(tx, conv, input.text, turn.lang, at);
    if (turn.kind === 'answer' && turn.faqId) await repo.recordReached(tx, conv.site_key, turn.faqId, at);
    const handedOff =
      turn.kind === 'handoff' &&
      turn.handoffReason &&
      applyLifecycle(repo, conv, { type: 'handoff', reason: turn.handoffReason, at }, events);
    return { queueChanged: Boolean(handedOff), deferred: null };
  }

  /**
   * A visitor's "did this answer your question?" on a bot answer, in their command's transaction:
   * the label for the site's calibration and, while the bot has the conversation, its reply (a no:
   * the answer's other suggestions and a person offered). Nothing is logged for a message the
   * visitor judged before. Returns the events to log.
   */
  async function feedback(
    tx: Transaction<Database>,
    conv: ConversationRow,
    turn: { message: EventRow; question: string },
    helpful: boolean,
    sender: Pick<NewEvent, 'cid' | 'actorKey'>,
    at: number,
  ): Promise<EventRow[]> {
    const data = parseData(turn.message);
    const fresh = learning
      ? await learning.record(tx, {
          messageId: turn.message.id,
          source: 'visitor',
          siteKey: conv.site_key,
          conversationId: conv.id,
          label: helpful ? 'right' : 'wrong',
          question: turn.question,
          faqId: data.bot?.faqId ?? data.suggestions?.[0]?.id ?? null,
          confidence: data.bot?.confidence ?? 0,
        })
      : true;
    if (!fresh || conv.status !== 'bot') return [];
    const suggestions = helpful ? [] : (data.suggestions ?? []);
    const lang = conv.lang === 'en' ? 'en' : 'de';
    const reply = feedbackTurn(helpful, conv.bot_state, lang, suggestions.length > 0);
    conv.bot_state = JSON.stringify(reply.state);
    conv.updated_at = at;
    const event = repo.appendEvent(
      conv,
      {
        kind: 'message',
        authorType: 'bot',
        authorName: turn.message.author_name,
        text: reply.text,
        data: {
          suggestions,
          bot: { confidence: 0, outcome: helpful ? 'smalltalk' : 'unsure', intent: 'feedback' },
          feedback: { messageId: turn.message.id, helpful },
        },
        cid: sender.cid ?? null,
        actorKey: sender.actorKey ?? null,
      },
      at,
    );
    return [event];
  }

  function answerLater(job: DeferredJob): void {
    const previous = answers.get(job.conversationId) ?? Promise.resolve();
    const done: Promise<void> = previous
      .then(() => deferredAnswer(job))
      .catch((err: unknown) => logger?.error({ err, conversationId: job.conversationId }, 'deferred bot answer failed'))
      .finally(() => {
        if (answers.get(job.conversationId) === done) answers.delete(job.conversationId);
      });
    answers.set(job.conversationId, done);
  }

  async function deferredAnswer(job: DeferredJob): Promise<void> {
    // Derived from the visitor's message, so a second run for the same question finds the first answer.
    const streamId = `bot_${job.messageId}`;
    const send = (delta: string, done?: true) =>
      draft({ conversationId: job.conversationId, visitorId: job.visitorId, streamId, delta, ...(done ? { done } : {}) });
    // Cancelled when the conversation leaves the bot meanwhile: no more drafts, no more tokens.
    const cancel = new AbortController();
    calls.set(job.conversationId, cancel);
    let reply: BotReply;
    try {
      reply = await job.reply.run((text) => {
        if (!cancel.signal.aborted) send(text);
      }, cancel.signal);
    } catch {
      reply = job.reply.fallback;
    } finally {
      calls.delete(job.conversationId);
    }
    // The logged message (same streamId) replaces the draft; without one the draft is abandoned.
    if (!(await saveDeferredAnswer(job, streamId, reply))) send('', true);
    await jobs?.cancel(TAKE_OVER, job.messageId);
  }

  /** The take-over job: the question is answered again unless its answer was logged meanwhile. */
  jobs?.handle<TakeOver>(TAKE_OVER, async ({ key: messageId, payload }) => {
    const question = await repo.questionForTheBot(payload.conversationId, messageId);
    if (!question || (await repo.botAnswerLoggedAnywhere(BOT_ACTOR_KEY, `bot_${messageId}`))) return;
    const threshold = learning ? await learning.thresholdOf(question.siteKey, repo.db) : undefined;
    const turn = bots.reply(question.siteKey, {
      text: question.text,
      lang: question.lang,
      state: question.botState,
      again: true,
      ...(threshold !== undefined ? { threshold } : {}),
    });
    if (!turn) return;
    answerLater({
      conversationId: payload.conversationId,
      visitorId: question.visitorId,
      messageId,
      question: question.text,
      reply: turn.deferred ?? { fallback: turn, run: () => Promise.resolve(turn) },
    });
    await answers.get(payload.conversationId);
  });

  /** Logs a deferred answer once; false when it was dropped (a person has the conversation now). */
  async function saveDeferredAnswer(job: DeferredJob, streamId: string, reply: BotReply): Promise<boolean> {
    let saved = false;
    await commit(
      async (tx) => {
        saved = false;
        if (await repo.botAnswerLogged(tx, BOT_ACTOR_KEY, streamId)) return nothing(null, { kind: 'bot' });
        const conv = await repo.lockConversation(tx, job.conversationId);
        // Queued or with an agent meanwhile (the visitor asked for a person): the bot is silent.
        if (!conv || conv.status !== 'bot') return nothing(null, { kind: 'bot' });
        const at = now();
        const events = [repo.appendEvent(conv, botMessage(reply, { streamId, cid: streamId, actorKey: BOT_ACTOR_KEY }), at)];
        conv.updated_at = at;
        if (countsAsUnanswered(reply)) await repo.recordUnanswered(tx, conv, job.question, reply.lang, at);
        if (reply.kind === 'answer' && reply.faqId) await repo.recordReached(tx, conv.site_key, reply.faqId, at);
        const handedOff =
          reply.kind === 'handoff' &&
          reply.handoffReason &&
          applyLifecycle(repo, conv, { type: 'handoff', reason: reply.handoffReason, at }, events);
        await repo.saveConversation(tx, conv, events, false);
        saved = true;
        return { ack: null, events, conversation: conv, change: null, queueChanged: Boolean(handedOff), cause: { kind: 'bot' } };
      },
      { conversations: [job.conversationId], cids: [[BOT_ACTOR_KEY, streamId]] },
    );
    return saved;
  }

  return {
    answer,
    feedback,
    answerLater,
    /** Listens to the drafts of model answers (realtime streams them as `message.delta`). */
    onDraft(listener: DraftListener): () => void {
      drafts.add(listener);
      return () => drafts.delete(listener);
    },
    /** Resolves when every deferred bot answer started so far is logged or dropped (shutdown, tests). */
    async settled(): Promise<void> {
      while (answers.size) await Promise.all(answers.values());
    },
  };
}
