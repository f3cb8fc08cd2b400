// The bot learning from its site (docs/bot-learning.md): agents label bot messages in a transcript
// (right, wrong, not covered by the FAQ); the FAQ editor reads the site's own calibration in plain
// figures, sets its one control ("answer more" ↔ "hand over sooner"), and reads what to fix in the
// FAQ (near-duplicate entries, entries no visitor reached).
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode, type BotLabelsResponse, type BotLearningResponse, type FaqDiagnosticsResponse } from '@servus/shared';
import type { Database } from '../../storage/schema.js';
import type { Conversations } from '../../conversations/index.js';
import { parseData } from '../../conversations/index.js';
import type { BotLearning } from '../../learning/learning.js';
import type { FaqDiagnostics } from '../../bot/index.js';
import { ServusError } from '../../core/errors.js';
import { agentSiteKey, parseJson, requireAdmin, type Env } from '../toolkit.js';

export interface BotLearningRoutesOptions {
  db: Kysely<Database>;
  conversations: Conversations;
  learning: BotLearning;
  /** The site's FAQ diagnostics as this instance's bot computed them at load (null: no FAQ). */
  diagnostics?: ((siteKey: string) => FaqDiagnostics | null) | undefined;
}

const labelBody = z.object({ label: z.enum(['right', 'wrong', 'not_covered']) });

/** Mounted under /api/conversations: labels of one conversation's bot messages. */
export function botLabelRoutes({ db, conversations, learning }: BotLearningRoutesOptions) {
  const app = new Hono<Env>();
  const labelsOf = async (conversationId: string): Promise<BotLabelsResponse> => ({
    labels: (await learning.labelsOfConversation(conversationId)).map((r) => ({
      messageId: r.message_id,
      label: r.label,
      source: r.source,
      agentId: r.agent_id,
      at: Number(r.created_at),
    })),
  });

  app.get('/:id/bot-labels', async (c) => {
    const conv = await conversations.agentConversation(c.get('agent'), c.req.param('id'));
    return c.json((await labelsOf(conv.id)) satisfies BotLabelsResponse);
  });

  app.put('/:id/bot-labels/:messageId', async (c) => {
    const agent = c.get('agent');
    const conv = await conversations.agentConversation(agent, c.req.param('id'));
    const body = await parseJson(c, labelBody);
    const turn = await conversations.botTurn(conv.id, c.req.param('messageId'));
    if (!turn) throw new ServusError(ErrorCode.NOT_FOUND, 'No bot message with this id in this conversation.', { path: 'messageId' });
    const data = parseData(turn.message);
    // Smalltalk and the bot's own replies to feedback judge nothing about the FAQ.
    const outcome = data.bot?.outcome;
    if ((outcome !== 'answer' && outcome !== 'unsure' && outcome !== 'handoff') || data.feedback) {
      throw new ServusError(ErrorCode.INVALID_STATE, 'Only the bot’s answers and unsure turns can be labelled.', { path: 'messageId' });
    }
    await learning.record(db, {
      messageId: turn.message.id,
      source: 'agent',
      siteKey: conv.site_key,
      conversationId: conv.id,
      label: body.label,
      question: turn.question,
      faqId: data.bot?.faqId ?? data.suggestions?.[0]?.id ?? null,
      confidence: data.bot?.confidence ?? 0,
      agentId: agent.id,
    });
    return c.json((await labelsOf(conv.id)) satisfies BotLabelsResponse);
  });

  app.delete('/:id/bot-labels/:messageId', async (c) => {
    const conv = await conversations.agentConversation(c.get('agent'), c.req.param('id'));
    await learning.remove(conv.site_key, conv.id, c.req.param('messageId'));
    return c.json((await labelsOf(conv.id)) satisfies BotLabelsResponse);
  });

  return app;
}

/** Mounted under /api/sites: the site's calibration, its control, and what to fix in its FAQ. */
export function siteBotRoutes({ db, learning, diagnostics }: BotLearningRoutesOptions) {
  const app = new Hono<Env>();

  app.get('/:key/bot/learning', async (c) => c.json((await learning.view(agentSiteKey(c))) satisfies BotLearningResponse));

  app.put('/:key/bot/learning', async (c) => {
    const key = agentSiteKey(c);
    requireAdmin(c, 'Only admins may change how the bot answers.');
    const body = await parseJson(c, z.object({ bias: z.number().min(-1).max(1) }));
    return c.json((await learning.setBias(key, body.bias)) satisfies BotLearningResponse);
  });

  app.get('/:key/bot/diagnostics', async (c) => {
    const key = agentSiteKey(c);
    const found = diagnostics?.(key) ?? null;
    if (!found) {
      return c.json({ loaded: false, entries: 0, checked: 0, nearDuplicates: [], unreached: [] } satisfies FaqDiagnosticsResponse);
    }
    const reached = await db.selectFrom('bot_reached').select('faq_id').where('site_key', '=', key).execute();
    const seen = new Set(reached.map((r) => r.faq_id));
    const question = new Map(found.entries.map((e) => [e.id, e.question]));
    return c.json({
      loaded: true,
      entries: found.entries.length,
      checked: found.checked,
      nearDuplicates: found.nearDuplicates.map((p) => ({
        a: { id: p.a, question: question.get(p.a) ?? p.a },
        b: { id: p.b, question: question.get(p.b) ?? p.b },
        confusions: p.confusions,
        examples: p.examples,
      })),
      unreached: found.entries.filter((e) => !seen.has(e.id)).map((e) => ({ id: e.id, question: e.question })),
    } satisfies FaqDiagnosticsResponse);
  });

  return app;
}
