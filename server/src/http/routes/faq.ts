// The FAQ editor's REST API: list a site's entries, add and edit them (admins; written back to the
// site's FAQ files, which hot reload picks up), ask "what would the bot answer?" without storing
// anything, and turn an unanswered question into a phrasing or a new entry in one step.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { storableString } from '@servus/shared/schemas';
import type { Database } from '../../storage/schema.js';
import { createFaqBot, initialBotState, type FaqBot } from '../../bot/index.js';
import { notFound } from '../../core/errors.js';
import { createFaqFiles, type FaqFilesOptions, type FaqInput } from '../faq-files.js';
import { agentSiteKey, parseJson, requireAdmin, type Ctx, type Env } from '../toolkit.js';
import type { BotTestResponse, FaqEntryResponse, FaqListResponse, UnansweredHandledResponse, UnansweredListResponse } from '@servus/shared';

export interface FaqApiOptions {
  db: Kysely<Database>;
  /** DATA_DIR/faq: one folder per site. */
  faqDir: string;
  /** Several instances: edits alone across them, stored for all (faq/sync.ts). */
  shared?: FaqFilesOptions['shared'];
  /** Longest question the "what would the bot answer?" box takes. */
  maxTestChars?: number;
  /** The site's own threshold (learning/), so the box answers as the live bot does. */
  thresholdOf?: ((siteKey: string) => Promise<number>) | undefined;
}

const phrasing = storableString().trim().min(1).max(500);
const entryInput = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'letters, digits, _ or - (at most 64)')
    .optional(),
  question: phrasing,
  variants: z.array(phrasing).max(50).default([]),
  answer: storableString().trim().min(1).max(20_000),
  tags: z.array(storableString().trim().min(1).max(64)).max(20).optional(),
  lang: z.enum(['de', 'en']).optional(),
});

/** The same key the conversation service counts unanswered questions under. */
export const normalizeQuestion = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 300);

/** Mounted under /api/sites (agents of the site; admins edit). */
export function faqRoutes({ db, faqDir, shared, maxTestChars = 1000, thresholdOf }: FaqApiOptions) {
  const app = new Hono<Env>();
  const files = createFaqFiles({ faqDir, shared });
  // A bot built from the files as they are on disk now (cached until a file changes), so the test
  // box answers exactly like the live bot will once hot reload has picked up the latest save.
  const bots = new Map<string, { signature: string; bot: FaqBot }>();

  const site = (c: Ctx): string => agentSiteKey(c);
  const admin = (c: Ctx): string => {
    const key = site(c);
    requireAdmin(c, 'Only admins may edit the FAQ.');
    return key;
  };
  const input = (body: z.infer<typeof entryInput>): FaqInput => ({
    question: body.question,
    variants: body.variants,
    answer: body.answer,
    ...(body.id ? { id: body.id } : {}),
    ...(body.tags ? { tags: body.tags } : {}),
    ...(body.lang ? { lang: body.lang } : {}),
  });

  app.get('/:key/faq', async (c) => {
    const faq = await files.read(site(c));
    return c.json({ entries: faq.entries, errors: faq.errors, files: faq.files } satisfies FaqListResponse);
  });

  app.post('/:key/faq', async (c) => {
    const key = admin(c);
    const body = await parseJson(c, entryInput);
    return c.json({ entry: await files.create(key, input(body)) } satisfies FaqEntryResponse, 201);
  });

  app.put('/:key/faq/:id', async (c) => {
    const key = admin(c);
    const body = await parseJson(c, entryInput.omit({ id: true }));
    return c.json({ entry: await files.update(key, c.req.param('id'), input(body)) } satisfies FaqEntryResponse);
  });

  app.delete('/:key/faq/:id', async (c) => {
    const key = admin(c);
    await files.remove(key, c.req.param('id'));
    return c.json({ ok: true });
  });

  app.post('/:key/bot/test', async (c) => {
    const key = site(c);
    const body = await parseJson(
      c,
      z.object({ text: storableString().trim().min(1).max(maxTestChars), lang: z.enum(['de', 'en']).optional() }),
    );
    const faq = await files.read(key);
    let cached = bots.get(key);
    if (!cached || cached.signature !== faq.signature) {
      cached = { signature: faq.signature, bot: createFaqBot({ entries: faq.entries }) };
      bots.set(key, cached);
    }
    const threshold = thresholdOf ? await thresholdOf(key) : undefined;
    const turn = cached.bot.reply({
      text: body.text,
      ...(body.lang ? { lang: body.lang } : {}),
      state: initialBotState(),
      ...(threshold !== undefined ? { threshold } : {}),
    });
    const byId = new Map(faq.entries.map((e) => [e.id, e]));
    return c.json({
      reply: {
        kind: turn.kind,
        text: turn.text,
        lang: turn.lang,
        confidence: turn.confidence,
        faqId: turn.faqId ?? null,
        question: turn.faqId ? (byId.get(turn.faqId)?.question ?? null) : null,
        suggestions: turn.suggestions,
        handoffReason: turn.handoffReason ?? null,
        intent: turn.intent ?? null,
      },
    } satisfies BotTestResponse);
  });

  // What the bot could not answer, most asked first.
  app.get('/:key/bot/unanswered', async (c) => {
    const key = site(c);
    const rows = await db
      .selectFrom('unanswered_questions')
      .select(['text', 'lang', 'count', 'first_at', 'last_at', 'last_conversation_id'])
      .where('site_key', '=', key)
      .orderBy('count', 'desc')
      .orderBy('last_at', 'desc')
      .limit(200)
      .execute();
    return c.json({
      questions: rows.map((r) => ({
        text: r.text,
        lang: r.lang,
        count: r.count,
        firstAt: r.first_at,
        lastAt: r.last_at,
        lastConversationId: r.last_conversation_id,
      })),
    } satisfies UnansweredListResponse);
  });

  // One action per unanswered question: add it as a phrasing of an entry, as a new entry, or
  // dismiss it. Either way it leaves the list (if visitors keep asking and the bot still cannot
  // answer, it comes back with a fresh count).
  app.post('/:key/bot/unanswered/handle', async (c) => {
    const key = admin(c);
    const body = await parseJson(
      c,
      z.discriminatedUnion('action', [
        z.object({ action: z.literal('phrasing'), text: phrasing, entryId: z.string().min(1).max(64) }),
        z.object({ action: z.literal('entry'), text: phrasing, entry: entryInput.partial({ question: true }) }),
        z.object({ action: z.literal('dismiss'), text: storableString().min(1).max(1000) }),
      ]),
    );
    const normalized = normalizeQuestion(body.text);
    const row = await db
      .selectFrom('unanswered_questions')
      .select('text')
      .where('site_key', '=', key)
      .where('normalized', '=', normalized)
      .executeTakeFirst();
    if (!row) throw notFound('question');
    let entry = null;
    if (body.action === 'phrasing') entry = await files.addPhrasing(key, body.entryId, body.text);
    else if (body.action === 'entry') entry = await files.create(key, input({ ...body.entry, question: body.entry.question ?? body.text }));
    await db.deleteFrom('unanswered_questions').where('site_key', '=', key).where('normalized', '=', normalized).execute();
    return c.json({ ok: true, entry } satisfies UnansweredHandledResponse);
  });
  return app;
}
