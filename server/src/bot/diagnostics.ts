// What a FAQ's author should fix, computed from the FAQ itself when it loads: pairs of entries whose
// phrasings the bot confuses with each other (each phrasing asked against the FAQ without it), and,
// given the entries visitors reached, the ones nobody reached. Data only: the console shows it.
import type { FaqEntry } from './faq.js';
import { buildSearchIndex } from './search-index.js';
import { createScorer } from './scoring.js';
import type { Lang } from './text.js';

export interface NearDuplicate {
  a: string;
  b: string;
  /** Phrasings of either entry whose best match, asked without themselves, was the other entry. */
  confusions: number;
  /** Those phrasings, for the editor to show. */
  examples: { phrasing: string; of: string; matched: string }[];
}

export interface FaqDiagnostics {
  entries: { id: string; question: string; phrasings: number; lang?: Lang }[];
  nearDuplicates: NearDuplicate[];
  /** Phrasings asked in the self-check. */
  checked: number;
}

export interface DiagnosticsOptions {
  entries: FaqEntry[];
  defaultLang?: Lang;
  /** Confusions a pair needs to be reported (default 1). */
  minConfusions?: number;
  /** Phrasings asked at most (default 500; about 1 ms each in a 1,000-entry FAQ). */
  maxPhrasings?: number;
}

/**
 * Each phrasing of an entry with more than one is asked against the FAQ without that phrasing; a
 * phrasing whose best match is another entry is a confusion of that pair. Pairs sorted by count.
 */
export function faqDiagnostics({ entries, defaultLang = 'de', minConfusions = 1, maxPhrasings = 500 }: DiagnosticsOptions): FaqDiagnostics {
  const index = buildSearchIndex({ entries, defaultLang });
  const { raw } = createScorer(index);
  const pairs = new Map<string, NearDuplicate>();
  let checked = 0;
  for (const di of index.phrasingDoc) {
    if (checked >= maxPhrasings) break;
    const entry = index.docs[di]!.entry;
    const e = entries[entry]!;
    if (!e.variants.length) continue;
    checked++;
    const q = index.phrasingText(di);
    // The FAQ as if this phrasing were not in it (nor in its entry's pooled phrasings).
    const top = raw(q, e.lang ?? defaultLang, { docs: [di, index.pooledDoc[entry]!] })[0];
    if (!top || top.entry === entry) continue;
    const other = entries[top.entry]!.id;
    {
      const [a, b] = [e.id, other].sort() as [string, string];
      const key = `${a}\u0000${b}`;
      const pair = pairs.get(key) ?? { a, b, confusions: 0, examples: [] };
      pair.confusions++;
      if (pair.examples.length < 5) pair.examples.push({ phrasing: q, of: e.id, matched: other });
      pairs.set(key, pair);
    }
  }
  return {
    entries: entries.map((e) => ({
      id: e.id,
      question: e.question,
      phrasings: 1 + e.variants.length,
      ...(e.lang ? { lang: e.lang } : {}),
    })),
    nearDuplicates: [...pairs.values()].filter((p) => p.confusions >= minConfusions).sort((x, y) => y.confusions - x.confusions),
    checked,
  };
}

/** The entries no visitor reached, given the ids of those that were (answered or chosen). */
export function unreachedEntries(entries: readonly FaqEntry[], reached: Iterable<string>): { id: string; question: string }[] {
  const seen = new Set(reached);
  return entries.filter((e) => !seen.has(e.id)).map((e) => ({ id: e.id, question: e.question }));
}
