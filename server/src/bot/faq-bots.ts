// One FAQ bot per site, built from the files in DATA_DIR/faq/SITE and rebuilt when they change.
// The folders are watched too, so a site whose first FAQ file appears later (written by the
// console's FAQ editor or copied in by hand), a file added or removed, or a file replaced by an
// editor's save-by-rename reaches the running bot without a restart.
import { readdirSync, mkdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { createFaqBot, initialBotState, type BotState } from './bot.js';
import { loadFaqFiles, watchFaqFiles, type FaqEntry } from './faq.js';
import type { Config } from '../core/config.js';
import { createLlmEngine, type LlmEngineOptions } from './llm.js';
import { llmOptionsFromConfig } from './llm-config.js';
import { llmCallsOf, llmReply } from './llm-responder.js';
import type { BotReply, BotResponder } from './responder.js';
import { faqDiagnostics, type FaqDiagnostics } from './diagnostics.js';

type FaqBot = ReturnType<typeof createFaqBot>;

const FAQ_FILE = /\.(md|ya?ml)$/i;

export interface FaqBotsOptions {
  faqDir: string;
  logger: Logger;
  /** With OPENAI_API_KEY or OPENAI_BASE_URL set, the LLM engine answers on top of the FAQ bot. */
  config?: Config;
  /** LLM engine options given directly (tests); null: no LLM engine whatever the config says. */
  llm?: LlmEngineOptions | null;
  /** Quiet time after the last change in a site's folder or files before its bot is rebuilt. */
  reloadDebounceMs?: number;
  /** Called after a site's bot was built, rebuilt or dropped, with its number of entries (tests await it). */
  onLoad?: (siteKey: string, entries: number) => void;
}

export interface FaqBots extends BotResponder {
  /**
   * What the site's FAQ author should fix (near-duplicate entries, the list of entries), computed
   * from the FAQ after each load; null for a site without a FAQ.
   */
  diagnostics(siteKey: string): FaqDiagnostics | null;
  close(): void;
}

/** What is watched for one site: its folder (files coming and going) and its current files' contents. */
interface SiteWatch {
  dir: FSWatcher | null;
  /** The watched folder's inode: a folder deleted and created again must be watched again. */
  ino: number;
  contents: { close(): void } | null;
  timer: NodeJS.Timeout | null;
  /** A load is under way; a change seen meanwhile makes it run again afterwards. */
  loading: boolean;
  dirty: boolean;
}

export async function createFaqBots({ faqDir, logger, config, llm, reloadDebounceMs = 150, onLoad }: FaqBotsOptions): Promise<FaqBots> {
  mkdirSync(faqDir, { recursive: true });
  const bots = new Map<string, FaqBot>();
  // The LLM engine sees the retrieved entries themselves, so each site's entries are kept by id.
  const entries = new Map<string, Map<string, FaqEntry>>();
  const llmOptions = llm === undefined ? (config ? llmOptionsFromConfig(config) : null) : llm;
  const engine = llmOptions ? createLlmEngine(llmOptions) : null;
  if (llmOptions) logger.info({ model: llmOptions.model, baseURL: llmOptions.baseURL ?? 'https://api.openai.com/v1' }, 'LLM bot engine on');
  const sites = new Map<string, SiteWatch>();
  let closed = false;

  const faqFiles = (dir: string): string[] => {
    try {
      return readdirSync(dir)
        .filter((f) => FAQ_FILE.test(f))
        .sort()
        .map((f) => join(dir, f));
    } catch {
      return []; // no folder (yet)
    }
  };
  /** The folder's inode, or null if there is no folder. */
  const dirIno = (path: string): number | null => {
    try {
      const st = statSync(path);
      return st.isDirectory() ? st.ino : null;
    } catch {
      return null;
    }
  };
  // Diagnostics per site: computed just after a load (not delaying the bot), or when first asked.
  const diagnostics = new Map<string, { entries: FaqEntry[]; result: FaqDiagnostics | null }>();
  const diagnose = (site: string) => {
    const d = diagnostics.get(site);
    if (!d) return null;
    d.result ??= faqDiagnostics({ entries: d.entries });
    return d.result;
  };
  const use = (site: string, loaded: FaqEntry[]) => {
    bots.set(site, createFaqBot({ entries: loaded }));
    entries.set(site, new Map(loaded.map((e) => [e.id, e])));
    const pending = { entries: loaded, result: null };
    diagnostics.set(site, pending);
    setImmediate(() => {
      if (closed || diagnostics.get(site) !== pending) return;
      // Flagged on load: the pairs of entries the bot confuses, for the FAQ's author (the editor lists
      // them too). Advice, not a fault: info, so that a start with LOG_LEVEL=warn stays quiet.
      const found = diagnose(site);
      if (found?.nearDuplicates.length) {
        logger.info(
          {
            site,
            pairs: found.nearDuplicates.slice(0, 10).map((p) => `${p.a} ~ ${p.b} (${p.confusions})`),
            total: found.nearDuplicates.length,
          },
          'FAQ has near-duplicate entries: the bot confuses their phrasings (console: FAQ → What to fix)',
        );
      }
    });
    onLoad?.(site, loaded.length);
  };

  /** (Re)builds a site's bot from the files in its folder now, and watches those files' contents. */
  async function loadSite(site: string): Promise<void> {
    const w = sites.get(site);
    if (!w || closed) return;
    if (w.loading) {
      w.dirty = true;
      return;
    }
    w.loading = true;
    try {
      do {
        w.dirty = false;
        w.contents?.close();
        w.contents = null;
        const files = faqFiles(join(faqDir, site));
        if (!files.length) {
          if (bots.delete(site)) {
            entries.delete(site);
            diagnostics.delete(site);
            logger.info({ site }, 'FAQ removed: no FAQ file left');
            onLoad?.(site, 0);
          }
          continue;
        }
        const { entries: loaded, errors } = await loadFaqFiles(files);
        if (closed || sites.get(site) !== w) return;
        if (w.dirty) continue; // changed while reading: read again
        for (const e of errors) logger.warn({ site, ...e }, 'FAQ error');
        use(site, loaded);
        logger.info({ site, entries: loaded.length, files: files.length }, 'FAQ loaded');
        w.contents = watchFaqFiles(
          files,
          (result) => {
            for (const e of result.errors) logger.warn({ site, ...e }, 'FAQ error; keeping the last good version');
            use(site, result.entries);
            logger.info({ site, entries: result.entries.length }, 'FAQ reloaded');
          },
          { debounceMs: reloadDebounceMs },
        );
      } while (w.dirty && !closed);
    } catch (err) {
      logger.error({ err, site }, 'FAQ load failed');
    } finally {
      w.loading = false;
    }
  }

  const schedule = (site: string, w: SiteWatch) => {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = null;
      void loadSite(site);
    }, reloadDebounceMs);
  };

  /** Starts (or restarts, if the folder was replaced) watching a site's folder, then loads it. */
  function watchSite(site: string, ino: number): Promise<void> {
    const dir = join(faqDir, site);
    let w = sites.get(site);
    if (!w) {
      w = { dir: null, ino, contents: null, timer: null, loading: false, dirty: false };
      sites.set(site, w);
    }
    const current = w;
    current.dir?.close();
    current.dir = null;
    current.ino = ino;
    try {
      current.dir = watch(dir, (event, name) => {
        if (name && !FAQ_FILE.test(name)) return; // editors' swap and backup files
        // Content changes are the file watchers' job; files coming, going or being replaced by a
        // rename change the set of files. Any change during a load makes that load run again.
        if (current.loading) current.dirty = true;
        else if (event === 'rename') schedule(site, current);
      });
      current.dir.on('error', (err) => {
        logger.warn({ err, site }, 'FAQ folder watch failed; watching again when the folder changes');
        current.dir?.close();
        current.dir = null;
      });
    } catch (err) {
      logger.warn({ err, site }, 'cannot watch the FAQ folder');
    }
    // Listed after the watcher started: a file written in between is seen either way.
    return loadSite(site);
  }

  function dropSite(site: string): void {
    const w = sites.get(site);
    if (!w) return;
    sites.delete(site);
    if (w.timer) clearTimeout(w.timer);
    w.dir?.close();
    w.contents?.close();
    if (bots.delete(site)) {
      entries.delete(site);
      diagnostics.delete(site);
      logger.info({ site }, 'FAQ removed: the site folder is gone');
      onLoad?.(site, 0);
    }
  }

  // Site folders created (or removed) after the start: the FAQ editor creates DATA_DIR/faq/SITE on
  // a site's first save.
  const rootTimers = new Map<string, NodeJS.Timeout>();
  let root: FSWatcher | null = null;
  try {
    root = watch(faqDir, (_event, name) => {
      if (!name || closed) return;
      clearTimeout(rootTimers.get(name));
      rootTimers.set(
        name,
        setTimeout(() => {
          rootTimers.delete(name);
          if (closed) return;
          const ino = dirIno(join(faqDir, name));
          const w = sites.get(name);
          if (ino === null) dropSite(name);
          else if (!w || !w.dir || w.ino !== ino) void watchSite(name, ino);
        }, reloadDebounceMs),
      );
    });
    root.on('error', (err) => logger.warn({ err }, 'FAQ folder watch failed; new sites need a restart'));
  } catch (err) {
    logger.warn({ err, faqDir }, 'cannot watch the FAQ folder; new sites need a restart');
  }

  // Ready when the sites found at start are loaded (as before: the first question gets an answer).
  const found = readdirSync(faqDir, { withFileTypes: true }).filter((d) => d.isDirectory());
  await Promise.all(found.map((d) => watchSite(d.name, dirIno(join(faqDir, d.name)) ?? 0)));

  return {
    defers: engine !== null,
    diagnostics: diagnose,
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
      const turn = bot.reply({
        text: input.text,
        ...(lang ? { lang } : {}),
        state,
        ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      });
      if (engine) {
        const byId = entries.get(siteKey);
        const site = { siteKey, search: (text: string, l: typeof turn.lang) => bot.search(text, l), entry: (id: string) => byId?.get(id) };
        return llmReply(engine, site, logger, input.text, calls, turn);
      }
      return { ...turn, state: turn.state };
    },
    close() {
      closed = true;
      root?.close();
      for (const t of rootTimers.values()) clearTimeout(t);
      for (const site of [...sites.keys()]) {
        const w = sites.get(site)!;
        if (w.timer) clearTimeout(w.timer);
        w.dir?.close();
        w.contents?.close();
      }
      sites.clear();
    },
  };
}
