// The FAQ a site owner writes: Markdown (a `## ` heading per question, alternative phrasings under
// `Also:`/`Auch:`, then the answer) or YAML. Errors carry line numbers; hot reload keeps the last
// good version of a file that has become invalid. Format: docs/faq.md.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { parseDocument, isSeq, isMap, LineCounter } from 'yaml';
import { cleanText } from '@servus/shared';
import { fold } from './text.js';

export interface FaqEntry {
  id: string;
  question: string;
  variants: string[];
  answer: string;
  tags?: string[];
  lang?: 'de' | 'en';
}

export interface FaqError {
  file?: string;
  line: number;
  message: string;
}

export interface FaqParseResult {
  entries: FaqEntry[];
  errors: FaqError[];
}

const LIMITS = { entries: 5000, question: 500, answer: 20_000, variants: 50 } as const;

export function slug(text: string): string {
  return (
    fold(text)
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'entry'
  );
}

/** Language from a file name like `shop.de.md`. */
export function langFromFile(file: string | undefined): 'de' | 'en' | undefined {
  const m = file ? /\.(de|en)\.(md|ya?ml)$/i.exec(basename(file)) : null;
  return m ? (m[1]!.toLowerCase() as 'de' | 'en') : undefined;
}

export function parseFaq(text: string, { format, file }: { format: 'md' | 'yaml'; file?: string }): FaqParseResult {
  // A file may hold what no database can store (NUL and other controls): answers end up in events.
  const clean = cleanText(text);
  const result = format === 'md' ? parseMarkdown(clean, file) : parseYaml(clean, file);
  // Ids: derived from the question when absent; duplicates are errors.
  const seen = new Map<string, number>();
  const entries: FaqEntry[] = [];
  for (const { entry, line } of result.entries) {
    if (seen.has(entry.id)) {
      result.errors.push({ ...(file ? { file } : {}), line, message: `duplicate id "${entry.id}" (first on line ${seen.get(entry.id)})` });
      continue;
    }
    seen.set(entry.id, line);
    entries.push(entry);
  }
  if (entries.length > LIMITS.entries)
    result.errors.push({ ...(file ? { file } : {}), line: 1, message: `at most ${LIMITS.entries} entries per file` });
  return { entries: entries.slice(0, LIMITS.entries), errors: result.errors };
}

interface Located {
  entry: FaqEntry;
  line: number;
}

function check(entry: FaqEntry, line: number, file: string | undefined, errors: FaqError[]): boolean {
  const at = { ...(file ? { file } : {}), line };
  if (!entry.question.trim()) errors.push({ ...at, message: 'the question is empty' });
  else if (!entry.answer.trim()) errors.push({ ...at, message: `"${entry.question.slice(0, 60)}" has no answer` });
  else if (entry.question.length > LIMITS.question)
    errors.push({ ...at, message: `the question is longer than ${LIMITS.question} characters` });
  else if (entry.answer.length > LIMITS.answer) errors.push({ ...at, message: `the answer is longer than ${LIMITS.answer} characters` });
  else if (entry.variants.length > LIMITS.variants) errors.push({ ...at, message: `more than ${LIMITS.variants} phrasings` });
  else if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(entry.id))
    errors.push({ ...at, message: `id "${entry.id}" must be letters, digits, _ or - (at most 64)` });
  else return true;
  return false;
}

const META = /^(id|lang|tags|sprache|schlagworte):\s*(.*)$/i;
const ALSO = /^(also|auch|alternativ(?:e|en)?|variants|varianten)\s*:\s*$/i;

function parseMarkdown(text: string, file?: string): { entries: Located[]; errors: FaqError[] } {
  const errors: FaqError[] = [];
  const entries: Located[] = [];
  const fileLang = langFromFile(file);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let current: {
    line: number;
    question: string;
    meta: Record<string, string>;
    variants: string[];
    answer: string[];
    phase: 'meta' | 'also' | 'answer';
  } | null = null;
  const flush = () => {
    if (!current) return;
    const lang = (current.meta.lang ?? current.meta.sprache ?? fileLang)?.toLowerCase();
    if (lang && lang !== 'de' && lang !== 'en') {
      errors.push({ ...(file ? { file } : {}), line: current.line, message: `lang must be de or en, not "${lang}"` });
      current = null;
      return;
    }
    const tags = (current.meta.tags ?? current.meta.schlagworte ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const entry: FaqEntry = {
      id: current.meta.id?.trim() || slug(current.question),
      question: current.question.trim(),
      variants: current.variants,
      answer: current.answer.join('\n').trim(),
      ...(tags.length ? { tags } : {}),
      ...(lang ? { lang: lang as 'de' | 'en' } : {}),
    };
    if (check(entry, current.line, file, errors)) entries.push({ entry, line: current.line });
    current = null;
  };
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      current = { line: i + 1, question: heading[1]!.replace(/\s+#+\s*$/, ''), meta: {}, variants: [], answer: [], phase: 'meta' };
      return;
    }
    if (!current) {
      if (line.trim() && !/^#\s/.test(line) && !/^<!--.*-->$/.test(line.trim())) {
        errors.push({ ...(file ? { file } : {}), line: i + 1, message: 'text before the first "## question" heading' });
      }
      return;
    }
    const c = current as NonNullable<typeof current>;
    if (c.phase === 'meta') {
      const meta = META.exec(line.trim());
      if (meta) {
        c.meta[meta[1]!.toLowerCase()] = meta[2]!;
        return;
      }
      if (ALSO.test(line.trim())) {
        c.phase = 'also';
        return;
      }
      if (!line.trim()) return;
      c.phase = 'answer';
    }
    if (c.phase === 'also') {
      const item = /^\s*[-*+]\s+(.*)$/.exec(line);
      if (item) {
        if (item[1]!.trim()) c.variants.push(item[1]!.trim());
        return;
      }
      if (!line.trim()) return;
      c.phase = 'answer';
    }
    c.answer.push(raw);
  });
  flush();
  return { entries, errors };
}

function parseYaml(text: string, file?: string): { entries: Located[]; errors: FaqError[] } {
  const errors: FaqError[] = [];
  const entries: Located[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => ({
    ...(file ? { file } : {}),
    line: offset === undefined ? 1 : lineCounter.linePos(offset).line,
  });
  for (const err of doc.errors) errors.push({ ...at(err.pos[0]), message: err.message.split('\n')[0]! });
  if (errors.length) return { entries, errors };
  let fileLang = langFromFile(file);
  let list: unknown = doc.contents;
  if (isMap(list)) {
    const lang: unknown = list.get('lang');
    if (lang === 'de' || lang === 'en') fileLang = lang;
    list = list.get('entries', true);
  }
  if (!isSeq(list)) {
    errors.push({ ...at(0), message: 'expected a list of entries (or { lang, entries: [...] })' });
    return { entries, errors };
  }
  for (const node of list.items) {
    const offset = (node as { range?: [number, number, number] }).range?.[0];
    if (!isMap(node)) {
      errors.push({ ...at(offset), message: 'each entry is a mapping with question and answer' });
      continue;
    }
    const v = node.toJSON() as Record<string, unknown>;
    const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : typeof v[k] === 'number' ? String(v[k]) : '');
    const variants = Array.isArray(v.variants) ? v.variants.filter((x): x is string => typeof x === 'string').map((s) => s.trim()) : [];
    if (v.variants !== undefined && !Array.isArray(v.variants))
      errors.push({ ...at(offset), message: 'variants must be a list of phrasings' });
    const tags = Array.isArray(v.tags) ? v.tags.filter((x): x is string => typeof x === 'string') : [];
    const lang = str('lang') || fileLang;
    if (lang && lang !== 'de' && lang !== 'en') {
      errors.push({ ...at(offset), message: `lang must be de or en, not "${lang}"` });
      continue;
    }
    const entry: FaqEntry = {
      id: str('id').trim() || slug(str('question')),
      question: str('question').trim(),
      variants,
      answer: str('answer').trim(),
      ...(tags.length ? { tags } : {}),
      ...(lang ? { lang: lang as 'de' | 'en' } : {}),
    };
    if (check(entry, at(offset).line, file, errors)) entries.push({ entry, line: at(offset).line });
  }
  return { entries, errors };
}

const formatOf = (path: string): 'md' | 'yaml' => (/\.ya?ml$/i.test(path) ? 'yaml' : 'md');

/** Loads and merges FAQ files; later files' duplicate ids are errors. */
export async function loadFaqFiles(paths: string[]): Promise<FaqParseResult> {
  const out: FaqParseResult = { entries: [], errors: [] };
  const ids = new Set<string>();
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      out.errors.push({ file: path, line: 1, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const r = parseFaq(text, { format: formatOf(path), file: path });
    out.errors.push(...r.errors);
    for (const e of r.entries) {
      if (ids.has(e.id)) {
        out.errors.push({ file: path, line: 1, message: `duplicate id "${e.id}" across files` });
        continue;
      }
      ids.add(e.id);
      out.entries.push(e);
    }
  }
  return out;
}

/**
 * Watches FAQ files and reports a new merged result after changes (debounced). A file that became
 * invalid keeps contributing its last good entries, and the errors say why.
 */
export function watchFaqFiles(
  paths: string[],
  onChange: (result: FaqParseResult) => void,
  { debounceMs = 150 }: { debounceMs?: number } = {},
): { close(): void } {
  const lastGood = new Map<string, FaqEntry[]>();
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const reload = async () => {
    const merged: FaqParseResult = { entries: [], errors: [] };
    const ids = new Set<string>();
    for (const path of paths) {
      let r: FaqParseResult;
      try {
        r = parseFaq(await readFile(path, 'utf8'), { format: formatOf(path), file: path });
      } catch (err) {
        r = { entries: [], errors: [{ file: path, line: 1, message: `cannot read: ${(err as Error).message}` }] };
      }
      if (r.errors.length && lastGood.has(path)) {
        merged.errors.push(...r.errors);
        r = { entries: lastGood.get(path)!, errors: [] };
      } else {
        merged.errors.push(...r.errors);
        if (!r.errors.length) lastGood.set(path, r.entries);
      }
      for (const e of r.entries) {
        if (ids.has(e.id)) continue;
        ids.add(e.id);
        merged.entries.push(e);
      }
    }
    if (!closed) onChange(merged);
  };
  // Remember what is good now, so that the first broken save falls back to it.
  void (async () => {
    for (const path of paths) {
      try {
        const r = parseFaq(await readFile(path, 'utf8'), { format: formatOf(path), file: path });
        if (!r.errors.length) lastGood.set(path, r.entries);
      } catch {
        /* reported on the next change */
      }
    }
  })();
  for (const path of paths) {
    try {
      watchers.push(
        watch(path, () => {
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => void reload(), debounceMs);
        }),
      );
    } catch {
      /* a missing file is reported by loadFaqFiles */
    }
  }
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
