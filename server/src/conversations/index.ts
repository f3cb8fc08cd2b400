// Conversations: commands that write (commands.ts) through one repository (repository.ts) in the
// group-commit queue (commit.ts), the bot's turns (bot-turns.ts), the queue (queue.ts), the agents'
// read models (queries.ts), and the stream of committed changes every side effect subscribes to
// (changes.ts). Nothing in here builds a frame or knows a socket (docs/architecture.md).
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import type { SqliteStatements } from '../storage/sqlite-statements.js';
import type { PgBatch } from '../storage/pg-batch.js';
import type { WriteQueue } from '../storage/write-queue.js';
import type { Logger } from '../core/logger.js';
import type { BotResponder } from '../bot/index.js';
import { createBotTurns, type BotLearningHooks, type BotTurnsOptions } from './bot-turns.js';
import { createChangeStream } from './changes.js';
import { createCommands } from './commands.js';
import { createCommit, type OutboxRows } from './commit.js';
import { createConversationQueries } from './queries.js';
import { createQueue, type QueueOptions } from './queue.js';
import { createConversationRepository } from './repository.js';

export interface ConversationsOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  writes: WriteQueue;
  bots: BotResponder;
  /** The sites' own bot calibration and its labels (learning/); without it the bot's default threshold. */
  learning?: BotLearningHooks | undefined;
  now?: () => number;
  /** A visitor writing into a conversation resolved less than this long ago reopens it. */
  reopenWindowMs: number;
  defaultHandlingSeconds: number;
  /** How many agents are online for a site (presence). */
  agentsOnline?: (siteKey: string) => number;
  /** Whether a site's team is open now (business hours); always open without it. */
  hoursNow?: QueueOptions['hoursNow'];
  /** SQLite only: prepared statements for the per-message hot path. */
  sqlite?: SqliteStatements | undefined;
  /** PostgreSQL only: the batched write path. */
  pg?: PgBatch | undefined;
  logger?: Logger | undefined;
  /** Durable jobs: deferred (model) answers lost with their process are taken over. */
  jobs?: BotTurnsOptions['jobs'];
  /** After how long a deferred answer not logged yet is taken over (the model's time-out and a margin). */
  botTakeOverAfterMs?: number;
  /** The webhook outbox rows of a change, written in its transaction (webhooks/subscriptions.ts). */
  outbox?: OutboxRows | undefined;
}

export type Conversations = ReturnType<typeof createConversations>;

export function createConversations(options: ConversationsOptions) {
  const { db, dialect, writes, bots, reopenWindowMs, defaultHandlingSeconds, logger } = options;
  const now = options.now ?? Date.now;
  const changes = createChangeStream({ logger });
  const repo = createConversationRepository({ db, dialect, sqlite: options.sqlite, pg: options.pg });
  const queue = createQueue({
    db,
    agentsOnline: options.agentsOnline ?? (() => 0),
    hoursNow: options.hoursNow,
    defaultHandlingSeconds,
    now,
  });
  const commit = createCommit({ writes, repo, queue, changes, outbox: options.outbox });
  const bot = createBotTurns({
    bots,
    learning: options.learning,
    repo,
    commit,
    changes,
    now,
    logger,
    jobs: options.jobs,
    ...(options.botTakeOverAfterMs ? { takeOverAfterMs: options.botTakeOverAfterMs } : {}),
  });
  const commands = createCommands({ repo, commit, bot, changes, now, reopenWindowMs });
  const queries = createConversationQueries({ repo, queue });

  return {
    changes,
    commands,
    queries,
    queue,
    /** The bot's deferred (model) answers: drafts as they are written, shutdown. */
    bot: { onDraft: bot.onDraft, settled: bot.settled },
    /** Reads of single conversations and their log (access rules included). */
    visitorConversation: (visitor: Parameters<typeof repo.visitorConversation>[1], id: string) => repo.visitorConversation(db, visitor, id),
    /** Reading only: the visitor's conversation or one of the same verified user on another device. */
    visitorHistoryConversation: repo.visitorHistoryConversation,
    /** The visitors that are one verified user with this one (itself alone when unverified). */
    linkedVisitors: (visitorId: string) => repo.linkedVisitors(db, visitorId),
    /** The visitor's conversations on every device of the same verified user, newest first. */
    async visitorHistory(visitorId: string, limit = 50) {
      const ids = await repo.linkedVisitors(db, visitorId);
      const rows = await db
        .selectFrom('conversations')
        .selectAll()
        .where('visitor_id', 'in', ids)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return Promise.all(rows.map((row) => queries.viewFor(row, 'visitor')));
    },
    agentConversation: (agent: Parameters<typeof repo.agentConversation>[1], id: string) => repo.agentConversation(db, agent, id),
    conversationById: repo.conversationById,
    conversationsById: repo.conversationsById,
    currentConversation: (visitorId: string) => repo.currentConversation(db, visitorId),
    /** The visitor's latest conversation; a verified visitor's: the identity's newest on any device. */
    visitorCurrent: (visitor: Parameters<typeof repo.visitorCurrent>[1]) => repo.visitorCurrent(db, visitor),
    eventsAfter: repo.eventsAfter,
    agentName: (id: string | null) => repo.agentName(id),
    visitorEmail: repo.visitors.email,
    /** A bot message of a conversation and the visitor's question it answered (agents' labels). */
    botTurn: (conversationId: string, messageId: string) => repo.botTurn(db, conversationId, messageId),
  };
}

export type { OutboxRows } from './commit.js';
export type { ChangeCause, ChangeListener, ChangeStream, CommittedChange, ConversationCommitted, ReadCommitted } from './changes.js';
export type { ListFilter } from './queries.js';
export type { DraftListener, BotLearningHooks } from './bot-turns.js';
export { countsAsUnanswered } from './bot-turns.js';
export { toMessage, toView, parseData } from './views.js';
export type { ConversationRow, EventRow, EventData } from './views.js';
export { createAssigner } from './assigner.js';
export type { BotReply, BotResponder, DeferredBotReply } from '../bot/index.js';
export { silentBot } from '../bot/index.js';
