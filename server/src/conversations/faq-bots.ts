// One FAQ bot per site, built from the files in DATA_DIR/faq/SITE and rebuilt when they change.
import { readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { createFaqBot, initialBotState, loadFaqFiles, watchFaqFiles, type BotState } from '../bot/index.js';
import type { BotReply, BotResponder } from './bot-responder.js';

type FaqBot = ReturnType<typeof createFaqBot>;

const FAQ_FILE = /\.(md|ya?ml)$/i;

export async function createFaqBots({ faqDir, logger }: { faqDir: string; logger: Logger }): Promise<BotResponder & { close(): void }> {
  mkdirSync(faqDir, { recursive: true });
  const bots = new Map<string, FaqBot>();
  const watchers: { close(): void }[] = [];

  for (const site of readdirSync(faqDir, { withFileTypes: true })) {
    if (!site.isDirectory()) continue;
    const dir = join(faqDir, site.name);
    const files = readdirSync(dir)
      .filter((f) => FAQ_FILE.test(f))
      .map((f) => join(dir, f));
    if (!files.length) continue;
    const { entries, errors } = await loadFaqFiles(files);
    for (const e of errors) logger.warn({ site: site.name, ...e }, 'FAQ error');
    bots.set(site.name, createFaqBot({ entries }));
    logger.info({ site: site.name, entries: entries.length }, 'FAQ loaded');
    watchers.push(
      watchFaqFiles(files, (result) => {
        for (const e of result.errors) logger.warn({ site: site.name, ...e }, 'FAQ error; keeping the last good version');
        bots.set(site.name, createFaqBot({ entries: result.entries }));
        logger.info({ site: site.name, entries: result.entries.length }, 'FAQ reloaded');
      }),
    );
  }

  return {
    reply(siteKey, input): BotReply | null {
      const bot = bots.get(siteKey);
      if (!bot) return null;
      let state: BotState;
      try {
        const parsed = JSON.parse(input.state) as Partial<BotState>;
        state = typeof parsed.misses === 'number' && Array.isArray(parsed.recent) ? (parsed as BotState) : initialBotState();
      } catch {
        state = initialBotState();
      }
      const lang = input.lang === 'de' || input.lang === 'en' ? input.lang : undefined;
      const turn = bot.reply({ text: input.text, ...(lang ? { lang } : {}), state });
      return { ...turn, state: turn.state };
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}
