// One FAQ bot per site, built from the files in DATA_DIR/faq/SITE and rebuilt when they change.
import { readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { createFaqBot, initialBotState, loadFaqFiles, watchFaqFiles, type BotState, type FaqEntry } from '../bot/index.js';
import type { Config } from '../config.js';
import { createLlmEngine, type LlmEngineOptions } from '../bot/llm.js';
import { llmOptionsFromConfig } from '../bot/llm-config.js';
import { llmCallsOf, llmReply } from '../bot/llm-responder.js';
import type { BotReply, BotResponder } from './bot-responder.js';

type FaqBot = ReturnType<typeof createFaqBot>;

const FAQ_FILE = /\.(md|ya?ml)$/i;

export interface FaqBotsOptions {
  faqDir: string;
  logger: Logger;
  /** With OPENAI_API_KEY or OPENAI_BASE_URL set, the LLM engine answers on top of the FAQ bot. */
  config?: Config;
  /** LLM engine options given directly (tests); null: no LLM engine whatever the config says. */
  llm?: LlmEngineOptions | null;
}

export async function createFaqBots({ faqDir, logger, config, llm }: FaqBotsOptions): Promise<BotResponder & { close(): void }> {
  mkdirSync(faqDir, { recursive: true });
  const bots = new Map<string, FaqBot>();
  // The LLM engine sees the retrieved entries themselves, so each site's entries are kept by id.
  const entries = new Map<string, Map<string, FaqEntry>>();
  const llmOptions = llm === undefined ? (config ? llmOptionsFromConfig(config) : null) : llm;
  const engine = llmOptions ? createLlmEngine(llmOptions) : null;
  if (llmOptions) logger.info({ model: llmOptions.model, baseURL: llmOptions.baseURL ?? 'https://api.openai.com/v1' }, 'LLM bot engine on');
  const watchers: { close(): void }[] = [];

  for (const site of readdirSync(faqDir, { withFileTypes: true })) {
    if (!site.isDirectory()) continue;
    const dir = join(faqDir, site.name);
    const files = readdirSync(dir)
      .filter((f) => FAQ_FILE.test(f))
      .map((f) => join(dir, f));
    if (!files.length) continue;
    const { entries: loaded, errors } = await loadFaqFiles(files);
    for (const e of errors) logger.warn({ site: site.name, ...e }, 'FAQ error');
    bots.set(site.name, createFaqBot({ entries: loaded }));
    entries.set(site.name, new Map(loaded.map((e) => [e.id, e])));
    logger.info({ site: site.name, entries: loaded.length }, 'FAQ loaded');
    watchers.push(
      watchFaqFiles(files, (result) => {
        for (const e of result.errors) logger.warn({ site: site.name, ...e }, 'FAQ error; keeping the last good version');
        bots.set(site.name, createFaqBot({ entries: result.entries }));
        entries.set(site.name, new Map(result.entries.map((e) => [e.id, e])));
        logger.info({ site: site.name, entries: result.entries.length }, 'FAQ reloaded');
      }),
    );
  }

  return {
    defers: engine !== null,
    reply(siteKey, input): BotReply | null {
      const bot = bots.get(siteKey);
      if (!bot) return null;
      let state: BotState;
      let parsed: Partial<BotState> | null = null;
      try {
        parsed = JSON.parse(input.state) as Partial<BotState>;
        state = typeof parsed.misses === 'number' && Array.isArray(parsed.recent) ? (parsed as BotState) : initialBotState();
      } catch {
        state = initialBotState();
      }
      let calls = llmCallsOf(parsed);
      if (input.again) {
        // Undo what this message already counted: a miss (answers reset misses, so a non-zero count
        // includes it), its place in `recent` (else it looks repeated: frustration) and its model call.
        const recent = state.recent.at(-1) === input.text ? state.recent.slice(0, -1) : state.recent;
        state = { ...state, misses: Math.max(0, state.misses - 1), recent };
        calls = Math.max(0, calls - 1);
      }
      const lang = input.lang === 'de' || input.lang === 'en' ? input.lang : undefined;
      const turn = bot.reply({ text: input.text, ...(lang ? { lang } : {}), state });
      if (engine) {
        const byId = entries.get(siteKey);
        const site = { siteKey, search: (text: string, l: typeof turn.lang) => bot.search(text, l), entry: (id: string) => byId?.get(id) };
        return llmReply(engine, site, logger, input.text, calls, turn);
      }
      return { ...turn, state: turn.state };
    },
    close() {
      for (const w of watchers) w.close();
    },
  };
}
