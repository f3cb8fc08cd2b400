// The bot learning from its site's traffic (docs/bot-learning.md). People judge bot turns: a
// visitor's "did this answer your question?", an agent's right / wrong / not covered in the
// transcript. Each label is stored per site in the write that made it, together with a durable job
// that refits the site's threshold from its labels (bot/site-calibration.ts: its own threshold from
// MIN_LABELS labels on, moved by the site's one control, "answer more" ↔ "hand over sooner").
// The result is stored per site and announced over the hub: every instance's bot reads the site's
// threshold through a small cache that the announcement (or, for a lost message, a short TTL) empties.
import type { Kysely } from 'kysely';
import type { BotLabelKind, BotLearningResponse } from '@servus/shared';
import type { Database } from '../storage/schema.js';
import type { Hub } from '../pubsub/hub.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Logger } from '../core/logger.js';
import { DEFAULT_THRESHOLD, MIN_LABELS, siteCalibration, type SiteLabel } from '../bot/index.js';

/** A label as the conversation service or the console's REST route hands it over. */
export interface NewBotLabel {
  messageId: string;
  source: 'visitor' | 'agent';
  siteKey: string;
  conversationId: string;
  label: BotLabelKind;
  question: string;
  faqId: string | null;
  confidence: number;
  agentId?: string | null;
}

export interface BotLearningOptions {
  db: Kysely<Database>;
  jobs: Jobs;
  hub?: Hub | undefined;
  logger?: Logger | undefined;
  now?: () => number;
  /** The longest a cached threshold is trusted without news (a lost announcement costs at most this). */
  ttlMs?: number;
  /** Labels arriving within this time are refitted in one run (the job is scheduled again, not twice). */
  refitDelayMs?: number;
  /** The newest labels a refit reads per site. */
  maxLabels?: number;
  /** Labels needed before a site's own threshold replaces the default. */
  minLabels?: number;
}

export type BotLearning = ReturnType<typeof createBotLearning>;

const CHANNEL = 'bot-learning';
export const REFIT_JOB = 'bot.refit';

type Counts = BotLearningResponse['counts'];
type Stored = Omit<BotLearningResponse, 'bias' | 'threshold' | 'updatedAt'>;

export function createBotLearning({
  db,
  jobs,
  hub,
  logger,
  now = Date.now,
  ttlMs = 5_000,
  refitDelayMs = 1_000,
  maxLabels = 5_000,
  minLabels = MIN_LABELS,
}: BotLearningOptions) {
  const cache = new Map<string, { threshold: number; at: number }>();
  const listeners = new Set<(siteKey: string) => void>();
  const changed = (site: string) => {
    cache.delete(site);
    for (const listener of listeners) listener(site);
  };
  hub?.onBroadcast(CHANNEL, (data) => changed(String((data as { site?: unknown }).site ?? '')));
  hub?.onResync(() => {
    for (const site of [...cache.keys()]) changed(site);
  });
  const announce = (site: string) => (hub ? hub.broadcast(CHANNEL, { site }) : changed(site));

  jobs.handle<{ site: string }>(REFIT_JOB, async (job) => {
    await refit(job.payload.site);
  });

  /** The site's labels, one per bot message (an agent's over the visitor's), newest first. */
  async function labelsOf(site: string): Promise<{ labels: SiteLabel[]; counts: Counts }> {
    const rows = await db
      .selectFrom('bot_labels')
      .select(['message_id', 'source', 'label', 'question', 'faq_id', 'confidence'])
      .where('site_key', '=', site)
      .orderBy('created_at', 'desc')
      .limit(maxLabels * 2)
      .execute();
    const byMessage = new Map<string, (typeof rows)[number]>();
    const counts: Counts = { right: 0, wrong: 0, notCovered: 0, visitorYes: 0, visitorNo: 0 };
    for (const r of rows) {
      if (r.source === 'visitor') counts[r.label === 'right' ? 'visitorYes' : 'visitorNo'] += 1;
      const had = byMessage.get(r.message_id);
      if (!had || (had.source === 'visitor' && r.source === 'agent')) byMessage.set(r.message_id, r);
    }
    const labels = [...byMessage.values()].slice(0, maxLabels).map((r) => {
      counts[r.label === 'not_covered' ? 'notCovered' : r.label] += 1;
      return { question: r.question, faqId: r.faq_id, confidence: Number(r.confidence), label: r.label };
    });
    return { labels, counts };
  }

  /** Fits the site's calibration from its labels at its bias, stores it, and tells every instance. */
  async function refit(site: string): Promise<BotLearningResponse> {
    const { labels, counts } = await labelsOf(site);
    const row = await db.selectFrom('bot_sites').select('bias').where('site_key', '=', site).executeTakeFirst();
    const bias = row ? Number(row.bias) : 0;
    const cal = siteCalibration(labels, bias, { minLabels });
    const stored: Stored = {
      labels: cal.labels,
      minLabels,
      fitted: cal.fitted,
      defaultThreshold: DEFAULT_THRESHOLD,
      current: cal.current,
      curve: cal.curve,
      counts,
    };
    const at = now();
    const values = {
      bias,
      threshold: cal.current.threshold,
      fitted: cal.fitted ? 1 : 0,
      labels: cal.labels,
      figures: JSON.stringify(stored),
      updated_at: at,
    };
    await db
      .insertInto('bot_sites')
      .values({ site_key: site, ...values })
      .onConflict((oc) => oc.column('site_key').doUpdateSet(values))
      .execute();
    logger?.info({ site, labels: cal.labels, fitted: cal.fitted, threshold: values.threshold, bias }, 'bot calibration refitted');
    announce(site);
    return { ...stored, bias, threshold: values.threshold, updatedAt: at };
  }

  return {
    /** Told on every instance when a site's calibration changed anywhere. */
    onChange(listener: (siteKey: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /**
     * The confidence below which the site's bot is unsure. `executor`: the transaction the caller
     * runs in (on SQLite, reading beside it would wait for it).
     */
    async thresholdOf(site: string, executor: Kysely<Database> = db): Promise<number> {
      const hit = cache.get(site);
      if (hit && now() - hit.at < ttlMs) return hit.threshold;
      const row = await executor.selectFrom('bot_sites').select('threshold').where('site_key', '=', site).executeTakeFirst();
      const threshold = row ? Number(row.threshold) : DEFAULT_THRESHOLD;
      cache.set(site, { threshold, at: now() });
      return threshold;
    },

    /**
     * Stores a label in the caller's write (`executor`) and schedules the site's refit with it, so
     * that a committed label is always refitted, on whichever instance claims the job. A visitor's
     * second label for the same message is ignored (false); an agent's replaces their earlier one.
     */
    async record(executor: Kysely<Database>, label: NewBotLabel): Promise<boolean> {
      const values = {
        message_id: label.messageId,
        source: label.source,
        site_key: label.siteKey,
        conversation_id: label.conversationId,
        label: label.label,
        question: label.question.slice(0, 1000),
        faq_id: label.faqId,
        confidence: label.confidence,
        agent_id: label.agentId ?? null,
        created_at: now(),
      };
      const insert = executor.insertInto('bot_labels').values(values);
      const result = await (
        label.source === 'agent'
          ? insert.onConflict((oc) =>
              oc
                .columns(['message_id', 'source'])
                .doUpdateSet({ label: values.label, agent_id: values.agent_id, created_at: values.created_at }),
            )
          : insert.onConflict((oc) => oc.columns(['message_id', 'source']).doNothing())
      ).executeTakeFirst();
      const stored = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
      if (stored) await jobs.schedule(REFIT_JOB, label.siteKey, now() + refitDelayMs, { site: label.siteKey }, executor);
      return stored;
    },

    /** An agent takes their label of a message back. */
    async remove(site: string, conversationId: string, messageId: string): Promise<void> {
      await db
        .deleteFrom('bot_labels')
        .where('message_id', '=', messageId)
        .where('conversation_id', '=', conversationId)
        .where('source', '=', 'agent')
        .execute();
      await jobs.schedule(REFIT_JOB, site, now() + refitDelayMs, { site });
    },

    /** The labels of one conversation's bot messages. */
    labelsOfConversation(conversationId: string) {
      return db
        .selectFrom('bot_labels')
        .select(['message_id', 'source', 'label', 'agent_id', 'created_at'])
        .where('conversation_id', '=', conversationId)
        .orderBy('created_at')
        .execute();
    },

    /** The site's calibration as last fitted (computed now, without storing, if it never was). */
    async view(site: string): Promise<BotLearningResponse> {
      const row = await db.selectFrom('bot_sites').selectAll().where('site_key', '=', site).executeTakeFirst();
      if (row && row.labels >= 0 && row.figures.startsWith('{"')) {
        const stored = JSON.parse(row.figures) as Stored;
        return { ...stored, bias: Number(row.bias), threshold: Number(row.threshold), updatedAt: Number(row.updated_at) };
      }
      const { labels, counts } = await labelsOf(site);
      const cal = siteCalibration(labels, 0, { minLabels });
      return {
        labels: cal.labels,
        minLabels,
        fitted: cal.fitted,
        defaultThreshold: DEFAULT_THRESHOLD,
        current: cal.current,
        curve: cal.curve,
        counts,
        bias: 0,
        threshold: cal.current.threshold,
        updatedAt: null,
      };
    },

    /** Sets the site's control and refits at once (the editor shows the new figures). */
    async setBias(site: string, bias: number): Promise<BotLearningResponse> {
      const b = Math.max(-1, Math.min(1, bias));
      await db
        .insertInto('bot_sites')
        .values({ site_key: site, bias: b, threshold: DEFAULT_THRESHOLD, fitted: 0, labels: 0, figures: '{}', updated_at: now() })
        .onConflict((oc) => oc.column('site_key').doUpdateSet({ bias: b }))
        .execute();
      return refit(site);
    },

    refit,
  };
}
