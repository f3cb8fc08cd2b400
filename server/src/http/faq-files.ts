// Editing a site's FAQ files (DATA_DIR/faq/SITE/*.md|yaml) from the console. An edit rewrites only
// the entry's own section (Markdown) or node (YAML), so the owner's comments and layout elsewhere
// stay; every written entry is parsed back and must come out as written, or nothing is saved.
// Files are written in place (not renamed over), so the hot-reload watcher keeps watching them.
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument, isMap, isSeq, type YAMLSeq } from 'yaml';
import { ErrorCode } from '@servus/shared';
import { parseFaq, langFromFile, slug, type FaqEntry, type FaqError } from '../bot/index.js';
import { ServusError } from '../core/errors.js';

const FAQ_FILE = /\.(md|ya?ml)$/i;
const SITE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

export interface FaqFileEntry extends FaqEntry {
  /** The file (name only) the entry lives in. */
  file: string;
}

export interface SiteFaq {
  entries: FaqFileEntry[];
  errors: FaqError[];
  files: string[];
  /** Changes with any file's size or mtime: a cache key for a bot built from these files. */
  signature: string;
}

export type FaqInput = Omit<FaqEntry, 'id'> & { id?: string };

const formatOf = (file: string): 'md' | 'yaml' => (/\.ya?ml$/i.test(file) ? 'yaml' : 'md');

function siteDir(faqDir: string, siteKey: string): string {
  // The key comes from the agent's own site list, but the path must never leave faqDir anyway.
  if (!SITE_KEY.test(siteKey)) throw new ServusError(ErrorCode.NOT_FOUND, 'No such site.');
  return join(faqDir, siteKey);
}

export async function readSiteFaq(faqDir: string, siteKey: string): Promise<SiteFaq> {
  const dir = siteDir(faqDir, siteKey);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((f) => FAQ_FILE.test(f)).sort();
  } catch {
    /* no FAQ folder yet */
  }
  const out: SiteFaq = { entries: [], errors: [], files: names, signature: '' };
  const ids = new Set<string>();
  const sig: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    sig.push(`${name}:${st.size}:${st.mtimeMs}`);
    const r = parseFaq(text, { format: formatOf(name), file: name });
    out.errors.push(...r.errors);
    for (const e of r.entries) {
      if (ids.has(e.id)) continue;
      ids.add(e.id);
      out.entries.push({ ...e, file: name });
    }
  }
  out.signature = sig.join('|');
  return out;
}

/** One line, no Markdown heading or list marker at the start: questions and phrasings. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

function markdownSection(entry: FaqEntry, fileLang: 'de' | 'en' | undefined): string {
  const lines = [`## ${oneLine(entry.question)}`, `id: ${entry.id}`];
  if (entry.tags?.length) lines.push(`tags: ${entry.tags.map(oneLine).join(', ')}`);
  if (entry.lang && entry.lang !== fileLang) lines.push(`lang: ${entry.lang}`);
  if (entry.variants.length) {
    lines.push((entry.lang ?? fileLang) === 'de' ? 'Auch:' : 'Also:');
    for (const v of entry.variants) lines.push(`- ${oneLine(v)}`);
  }
  lines.push('', entry.answer.trim(), '');
  return lines.join('\n');
}

function yamlObject(entry: FaqEntry): Record<string, unknown> {
  return {
    id: entry.id,
    question: oneLine(entry.question),
    ...(entry.variants.length ? { variants: entry.variants.map(oneLine) } : {}),
    answer: entry.answer.trim(),
    ...(entry.tags?.length ? { tags: entry.tags } : {}),
    ...(entry.lang ? { lang: entry.lang } : {}),
  };
}

const same = (a: FaqEntry, b: FaqEntry) =>
  a.id === b.id &&
  a.question === oneLine(b.question) &&
  a.answer === b.answer.trim() &&
  JSON.stringify(a.variants) === JSON.stringify(b.variants.map(oneLine)) &&
  JSON.stringify(a.tags ?? []) === JSON.stringify(b.tags ?? []);

/** Parses the new file text and checks the entry reads back exactly as intended. */
function verify(text: string, file: string, entry: FaqEntry): void {
  const r = parseFaq(text, { format: formatOf(file), file });
  const back = r.entries.find((e) => e.id === entry.id);
  if (!back || !same(back, entry)) {
    const why = r.errors[0]?.message ?? 'the entry would not read back as written';
    throw new ServusError(
      ErrorCode.BAD_FRAME,
      `Cannot store this entry: ${why}. (A line starting with "## " in an answer is not allowed.)`,
      {
        path: 'answer',
      },
    );
  }
}

/** Splits Markdown into [preamble, ...sections], each section starting at a `## ` heading. */
function splitMarkdown(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const parts: string[][] = [[]];
  for (const line of lines) {
    if (/^##\s+/.test(line)) parts.push([]);
    parts[parts.length - 1]!.push(line);
  }
  return parts.map((p) => p.join('\n'));
}

function replaceInMarkdown(text: string, file: string, id: string, entry: FaqEntry | null): string | null {
  const parts = splitMarkdown(text);
  for (let i = 1; i < parts.length; i++) {
    const parsed = parseFaq(parts[i]!, { format: 'md', file });
    if (parsed.entries[0]?.id === id) {
      parts[i] = entry ? markdownSection(entry, langFromFile(file)) : '';
      return parts.join('\n').replace(/\n{3,}/g, '\n\n');
    }
  }
  return null;
}

function entriesSeq(doc: ReturnType<typeof parseDocument>): YAMLSeq | null {
  const contents = doc.contents;
  if (isSeq(contents)) return contents;
  if (isMap(contents)) {
    const list = contents.get('entries', true);
    if (isSeq(list)) return list;
  }
  return null;
}

function replaceInYaml(text: string, id: string, entry: FaqEntry | null): string | null {
  const doc = parseDocument(text);
  const seq = entriesSeq(doc);
  if (!seq) return null;
  const index = seq.items.findIndex((node) => {
    if (!isMap(node)) return false;
    const v = node.toJSON() as Record<string, unknown>;
    const own = typeof v.id === 'string' && v.id.trim() ? v.id.trim() : slug(typeof v.question === 'string' ? v.question : '');
    return own === id;
  });
  if (index < 0) return null;
  if (entry) seq.items[index] = doc.createNode(yamlObject(entry));
  else seq.items.splice(index, 1);
  return String(doc);
}

function appendTo(text: string, file: string, entry: FaqEntry): string {
  if (formatOf(file) === 'md') return `${text.replace(/\s*$/, '')}\n\n${markdownSection(entry, langFromFile(file))}`;
  const doc = parseDocument(text.trim() ? text : '[]');
  const seq = entriesSeq(doc);
  if (!seq) throw new ServusError(ErrorCode.INVALID_STATE, `${file} is not a list of entries; fix it first.`);
  seq.items.push(doc.createNode(yamlObject(entry)));
  return String(doc);
}

export interface FaqFilesOptions {
  faqDir: string;
  /**
   * Runs an edit alone across instances, on the latest files, and stores what it wrote
   * (faq/sync.ts); without it, alone in this process.
   */
  shared?: { exclusive<T>(siteKey: string, edit: () => Promise<T>): Promise<T> } | undefined;
}

/** Serialises writes per site, so two admins saving at once never lose one of the edits. */
export function createFaqFiles({ faqDir, shared }: FaqFilesOptions) {
  const chains = new Map<string, Promise<unknown>>();
  function exclusive<T>(siteKey: string, edit: () => Promise<T>): Promise<T> {
    const fn = shared ? () => shared.exclusive(siteKey, edit) : edit;
    const prev = chains.get(siteKey) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    chains.set(
      siteKey,
      next.catch(() => {}),
    );
    return next;
  }

  async function write(siteKey: string, file: string, text: string): Promise<void> {
    const dir = siteDir(faqDir, siteKey);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, file), text, 'utf8');
  }

  async function rewrite(siteKey: string, id: string, change: (current: FaqFileEntry) => FaqEntry | null): Promise<FaqFileEntry> {
    const faq = await readSiteFaq(faqDir, siteKey);
    const current = faq.entries.find((e) => e.id === id);
    if (!current) throw new ServusError(ErrorCode.NOT_FOUND, 'No such FAQ entry.');
    const entry = change(current);
    if (!entry) return current;
    const text = await readFile(join(siteDir(faqDir, siteKey), current.file), 'utf8');
    const next = formatOf(current.file) === 'md' ? replaceInMarkdown(text, current.file, id, entry) : replaceInYaml(text, id, entry);
    if (next === null) throw new ServusError(ErrorCode.NOT_FOUND, 'No such FAQ entry.');
    verify(next, current.file, entry);
    await write(siteKey, current.file, next);
    return { ...entry, file: current.file };
  }

  function normalise(input: FaqInput, id: string): FaqEntry {
    const variants = [...new Set(input.variants.map(oneLine).filter(Boolean))];
    return {
      id,
      question: oneLine(input.question),
      variants,
      answer: input.answer.trim(),
      ...(input.tags?.length ? { tags: [...new Set(input.tags.map(oneLine).filter(Boolean))] } : {}),
      ...(input.lang ? { lang: input.lang } : {}),
    };
  }

  return {
    read: (siteKey: string) => readSiteFaq(faqDir, siteKey),

    /** Adds an entry: to the file of its language if there is one, else the first file, else a new faq.md. */
    create(siteKey: string, input: FaqInput): Promise<FaqFileEntry> {
      return exclusive(siteKey, async () => {
        const faq = await readSiteFaq(faqDir, siteKey);
        const ids = new Set(faq.entries.map((e) => e.id));
        let id = input.id ?? slug(input.question);
        if (input.id && ids.has(id)) throw new ServusError(ErrorCode.CONFLICT, `The id "${id}" exists already.`, { path: 'id' });
        for (let n = 2; ids.has(id); n++) id = `${slug(input.question).slice(0, 56)}-${n}`;
        const entry = normalise(input, id);
        const file =
          faq.files.find((f) => entry.lang && langFromFile(f) === entry.lang) ??
          faq.files.find((f) => !entry.lang || !langFromFile(f)) ??
          faq.files[0] ??
          (entry.lang ? `faq.${entry.lang}.md` : 'faq.md');
        let text = '';
        try {
          text = await readFile(join(siteDir(faqDir, siteKey), file), 'utf8');
        } catch {
          /* a new file */
        }
        const next = appendTo(text, file, entry);
        verify(next, file, entry);
        await write(siteKey, file, next);
        return { ...entry, file };
      });
    },

    /** Replaces an entry in place (same file, same position). */
    update(siteKey: string, id: string, input: FaqInput): Promise<FaqFileEntry> {
      return exclusive(siteKey, async () => rewrite(siteKey, id, () => normalise(input, id)));
    },

    /** Adds a visitor's wording as another phrasing of an entry (nothing happens if it is there already). */
    addPhrasing(siteKey: string, id: string, phrasing: string): Promise<FaqFileEntry> {
      return exclusive(siteKey, async () =>
        rewrite(siteKey, id, (current) => {
          const known = [current.question, ...current.variants].map((v) => oneLine(v).toLowerCase());
          if (known.includes(oneLine(phrasing).toLowerCase())) return null;
          return normalise({ ...current, variants: [...current.variants, phrasing] }, id);
        }),
      );
    },

    remove(siteKey: string, id: string): Promise<void> {
      return exclusive(siteKey, async () => {
        const faq = await readSiteFaq(faqDir, siteKey);
        const current = faq.entries.find((e) => e.id === id);
        if (!current) throw new ServusError(ErrorCode.NOT_FOUND, 'No such FAQ entry.');
        const text = await readFile(join(siteDir(faqDir, siteKey), current.file), 'utf8');
        const next = formatOf(current.file) === 'md' ? replaceInMarkdown(text, current.file, id, null) : replaceInYaml(text, id, null);
        if (next === null) throw new ServusError(ErrorCode.NOT_FOUND, 'No such FAQ entry.');
        await write(siteKey, current.file, next);
      });
    },
  };
}

export type FaqFiles = ReturnType<typeof createFaqFiles>;
