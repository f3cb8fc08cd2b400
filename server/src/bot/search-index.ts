// The retriever's index, built once per FAQ: one document per phrasing, per answer and per entry's
// pooled phrasings (with German compound parts and word beginnings), BM25 postings with each
// document's term saturation precomputed, character n-gram postings, the word-vector index for
// English entries, and the query-side look-ups that depend on the FAQ's vocabulary (typo correction,
// compound splitting, prefix expansion, synonyms). Scoring (scoring.ts) only reads it.
import type { FaqEntry } from './faq.js';
import { charGrams, editDistance, fold, stem, tokens, words, type Lang } from './text.js';
import { MIN_COMPOUND_LENGTH, dictionaryLexicon, dictionaryWords, splitCompound as dictionarySplit } from './compounds.js';
import { germanBase, type GermanWords } from './derivations-de.js';
import { builtinSynonyms } from './synonyms.js';
import { createWordnet, type Wordnet } from './wordnet.js';
import { germanThesaurus, type Thesaurus } from './thesaurus.js';
import { englishVectors } from './embeddings.js';
import { createSemanticIndex, type SemanticIndex } from './semantic.js';
import { TUNING } from './tuning.js';

// One WordNet reader per process: its files are read once and its look-ups cached across FAQs.
const wordnet = createWordnet();

export interface SearchIndexOptions {
  entries: FaqEntry[];
  defaultLang?: Lang;
  synonyms?: Record<string, string[]>;
}

export interface Doc {
  entry: number;
  terms: Map<string, number>;
  length: number;
  /** The answer text, or all phrasings of the entry pooled: both are scored per entry, not per phrasing. */
  answer: boolean;
  pooled?: boolean;
}

export interface SearchIndex {
  entries: FaqEntry[];
  langOf(e: FaqEntry): Lang;
  docs: Doc[];
  /** Per document: its BM25 postings' documents and term saturations. */
  postings: Map<string, { docs: number[]; sat: number[] }>;
  /** Per entry: its pooled document. */
  pooledDoc: number[];
  /** Phrasing number → document, and document → phrasing number (phrasing documents only). */
  phrasingDoc: number[];
  docPhrasing: number[];
  /** Character n-gram postings over phrasings, their idf and each phrasing's norm. */
  gramPostings: Map<string, { docs: number[]; weight: number[] }>;
  gramIdf(g: string): number;
  phrasingNorm: number[];
  /** Number of phrasings. */
  phrasings: number;
  vocabulary: Set<string>;
  idf(t: string): number;
  /** Word vectors over the English phrasings; null for a FAQ without English entries or vectors. */
  semantic: SemanticIndex | null;
  thesaurus: Thesaurus | null;
  wordnet: Wordnet;
  synonymTable: Map<string, string[]>;
  /** German compound parts of a word (dictionary and the FAQ's own words), stemmed. */
  partsOf(word: string, term: string, lang: Lang): string[];
  /** The stem of the word a German word is derived from, when it differs from its own (derivations-de.ts). */
  derivedOf(word: string, term: string, lang: Lang): string | null;
  /** A long term split into two known terms, or []. */
  splitCompound(term: string): string[];
  /** The closest known term of an unknown one (typos), or null. */
  correct(term: string): string | null;
  /** Known terms a term begins, and known terms that begin it. */
  expand(term: string): string[];
  /** The text of a phrasing document. */
  phrasingText(di: number): string;
}

export function buildSearchIndex({ entries, defaultLang = 'de', synonyms = {} }: SearchIndexOptions): SearchIndex {
  const langOf = (e: FaqEntry): Lang => e.lang ?? defaultLang;
  // A visitor may write in either language whatever the FAQ's: the dictionary and WordNet are read
  // now, once per process, so that no visitor's question waits for them.
  wordnet.available();
  dictionaryWords();
  const thesaurus = TUNING.thesaurusWeight > 0 ? germanThesaurus() : null;
  const docs: Doc[] = [];
  const entryDf = new Map<string, Set<number>>();
  const gramPostings = new Map<string, { docs: number[]; weight: number[] }>();
  const gramDf = new Map<string, number>();
  const phrasingGrams: Map<string, number>[] = [];
  const vocabulary = new Set<string>();

  // German compounds split with the dictionary and the FAQ's own words: the parts count too, at half weight.
  const surface = new Set<string>();
  if (entries.some((e) => langOf(e) === 'de'))
    for (const e of entries) for (const w of words([e.question, ...e.variants, e.answer.slice(0, 2000)].join(' '))) surface.add(fold(w));
  const partsCache = new Map<string, string[]>();
  const partsOf = (word: string, term: string, lang: Lang): string[] => {
    if (lang !== 'de' || word.length < MIN_COMPOUND_LENGTH) return [];
    let parts = partsCache.get(word);
    if (!parts) {
      parts = dictionarySplit(word, { known: (w) => surface.has(w) })
        .map((p) => stem(p, 'de'))
        .filter((p) => p.length >= 3 && p !== term);
      if (partsCache.size > 20_000) partsCache.clear();
      partsCache.set(word, parts);
    }
    return parts;
  };

  // German derivations led back to their base word, checked against the dictionary and the FAQ's words.
  // A word of the FAQ that the dictionary lacks may be a verb ("coronatesten"), not a noun.
  const lexicon = dictionaryLexicon();
  const known: GermanWords = {
    word: (w) => lexicon.words.has(w) || surface.has(w),
    noun: (w) => lexicon.nouns.has(w),
    verb: (w) => lexicon.verbs.has(w) || (surface.has(w) && !lexicon.words.has(w)),
  };
  const derivedCache = new Map<string, string | null>();
  const derivedOf = (word: string, term: string, lang: Lang): string | null => {
    if (lang !== 'de' || TUNING.derivationWeight <= 0 || word.length < 4) return null;
    let derived = derivedCache.get(word);
    if (derived === undefined) {
      const base = germanBase(word, known);
      const s = base ? stem(base, 'de') : null;
      derived = s && s.length >= 3 && s !== term ? s : null;
      if (derivedCache.size > 20_000) derivedCache.clear();
      derivedCache.set(word, derived);
    }
    return derived;
  };

  const addDoc = (entry: number, text: string, lang: Lang, answer: boolean, pooled = false) => {
    const terms = new Map<string, number>();
    for (const t of tokens(text, lang)) {
      terms.set(t.term, (terms.get(t.term) ?? 0) + 1);
      const derived = t.light ? null : derivedOf(t.word, t.term, lang);
      if (derived) terms.set(derived, (terms.get(derived) ?? 0) + TUNING.derivationWeight);
      for (const part of partsOf(t.word, t.term, lang)) terms.set(part, (terms.get(part) ?? 0) + TUNING.partWeight);
      const tr = truncated(t, lang);
      if (tr) terms.set(tr, (terms.get(tr) ?? 0) + 1);
    }
    docs.push({ entry, terms, length: [...terms.values()].reduce((a, b) => a + b, 0), answer, ...(pooled ? { pooled } : {}) });
  };
  entries.forEach((e, i) => {
    for (const p of [e.question, ...e.variants]) {
      addDoc(i, p, langOf(e), false);
      const grams = new Map<string, number>();
      for (const g of charGrams(p)) grams.set(g, (grams.get(g) ?? 0) + 1);
      phrasingGrams.push(grams);
    }
    addDoc(i, e.answer.slice(0, 2000), langOf(e), true);
    addDoc(i, [e.question, ...e.variants].join(' \n '), langOf(e), true, true);
  });
  const pooledDoc: number[] = [];
  const phrasingDoc: number[] = [];
  const docPhrasing: number[] = [];
  docs.forEach((d, i) => {
    if (d.answer) return;
    docPhrasing[i] = phrasingDoc.length;
    phrasingDoc.push(i);
  });
  docs.forEach((d, i) => {
    if (d.pooled) pooledDoc[d.entry] = i;
  });
  for (const d of docs) for (const t of d.terms.keys()) vocabulary.add(t);
  // Cached: the same long words recur in every answer of a large FAQ, and in questions.
  const splitCache = new Map<string, string[]>();
  const splitCompound = (term: string): string[] => {
    if (term.length < 8 || /^[?~]/.test(term)) return [];
    let parts = splitCache.get(term);
    if (parts) return parts;
    parts = [];
    for (let i = term.length - 3; i >= 3; i--) {
      const head = term.slice(0, i);
      const tail = term.slice(i);
      const h = vocabulary.has(head) ? head : head.endsWith('s') && vocabulary.has(head.slice(0, -1)) ? head.slice(0, -1) : null;
      if (h && h.length >= 3 && vocabulary.has(tail)) {
        parts = [h, tail];
        break;
      }
    }
    if (splitCache.size > 50_000) splitCache.clear();
    splitCache.set(term, parts);
    return parts;
  };
  for (const d of docs) {
    for (const [t, n] of [...d.terms]) for (const part of splitCompound(t)) d.terms.set(part, (d.terms.get(part) ?? 0) + n * 0.5);
  }
  docs.forEach((d) => {
    for (const t of d.terms.keys()) {
      let set = entryDf.get(t);
      if (!set) entryDf.set(t, (set = new Set()));
      set.add(d.entry);
    }
  });
  const avgLen = { phrasing: 0, answer: 0, pooled: 0 };
  {
    const p = docs.filter((d) => !d.answer);
    const a = docs.filter((d) => d.answer && !d.pooled);
    const pooled = docs.filter((d) => d.pooled);
    avgLen.pooled = pooled.reduce((s, d) => s + d.length, 0) / Math.max(1, pooled.length);
    avgLen.phrasing = p.reduce((s, d) => s + d.length, 0) / Math.max(1, p.length);
    avgLen.answer = a.reduce((s, d) => s + d.length, 0) / Math.max(1, a.length);
  }
  const N = Math.max(1, entries.length);
  const idf = (t: string) => {
    const df = entryDf.get(t)?.size ?? 0;
    return Math.log(1 + (N - df + 0.5) / (df + 0.5));
  };
  for (const grams of phrasingGrams) for (const g of grams.keys()) gramDf.set(g, (gramDf.get(g) ?? 0) + 1);
  const P = Math.max(1, phrasingGrams.length);
  const gramIdf = (g: string) => Math.log(1 + P / (1 + (gramDf.get(g) ?? 0)));
  const phrasingNorm: number[] = [];
  phrasingGrams.forEach((grams, i) => {
    let norm = 0;
    for (const [g, n] of grams) {
      const w = n * gramIdf(g);
      norm += w * w;
      let list = gramPostings.get(g);
      if (!list) gramPostings.set(g, (list = { docs: [], weight: [] }));
      list.docs.push(i);
      list.weight.push(w);
    }
    phrasingNorm.push(Math.sqrt(norm) || 1);
  });

  // Word vectors, for English FAQs only (the English vectors are read once per process, on the
  // first English FAQ); a FAQ of both languages compares only its English phrasings with them.
  let semantic: SemanticIndex | null = null;
  if (TUNING.semanticWeight > 0 && entries.some((e) => langOf(e) === 'en')) {
    const vectors = englishVectors();
    if (vectors) {
      const phrasings: { entry: number; text: string }[] = [];
      entries.forEach((e, i) => {
        for (const p of [e.question, ...e.variants]) phrasings.push({ entry: i, text: langOf(e) === 'en' ? p : '' });
      });
      semantic = createSemanticIndex({ vectors, entries: entries.length, phrasings });
    }
  }

  // Typo tolerance: an unknown query term maps to the closest known term (edit distance 1, or 2 for long words).
  // Candidates share the first letter (typos rarely hit it) and are within the distance in length.
  const byLength = new Map<string, string[]>();
  for (const t of vocabulary) {
    if (/^[?~]/.test(t)) continue;
    const key = `${t[0]}${t.length}`;
    const list = byLength.get(key) ?? [];
    list.push(t);
    byLength.set(key, list);
  }
  const correction = new Map<string, string | null>();
  const correct = (term: string): string | null => {
    if (vocabulary.has(term) || term.startsWith('?') || term.length < 4) return vocabulary.has(term) ? term : null;
    const cached = correction.get(term);
    if (cached !== undefined) return cached;
    const max = term.length >= 8 ? 2 : 1;
    let best: string | null = null;
    let bestD = max + 1;
    for (let len = term.length - max; len <= term.length + max; len++) {
      for (const cand of byLength.get(`${term[0]}${len}`) ?? []) {
        // Ties at the best distance go to the rarer term; anything over the limit is no match.
        const limit = Math.min(max, bestD);
        const d = editDistance(term, cand, limit);
        if (d > limit) continue;
        if (d < bestD || (best !== null && idf(cand) > idf(best))) {
          bestD = d;
          best = cand;
        }
      }
    }
    if (correction.size > 10_000) correction.clear();
    correction.set(term, best);
    return best;
  };

  // Prefix expansion: a query stem also matches longer known terms it begins (German compounds and
  // derivations: "behandl" → "behandlungsmoglich"), and known terms that begin it.
  const sortedVocab = [...vocabulary].filter((t) => !/^[?~]/.test(t)).sort();
  const prefixCache = new Map<string, string[]>();
  const expand = (term: string): string[] => {
    if (term.length < 5 || term.startsWith('?')) return [];
    const cached = prefixCache.get(term);
    if (cached) return cached;
    const out: string[] = [];
    let lo = 0;
    let hi = sortedVocab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedVocab[mid]! < term) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sortedVocab.length && out.length < 8 && sortedVocab[i]!.startsWith(term); i++)
      if (sortedVocab[i] !== term) out.push(sortedVocab[i]!);
    for (let len = term.length - 1; len >= 5 && out.length < 10; len--) {
      const head = term.slice(0, len);
      if (vocabulary.has(head)) out.push(head);
    }
    if (prefixCache.size > 10_000) prefixCache.clear();
    prefixCache.set(term, out);
    return out;
  };

  const lengthNorm = docs.map((d) => {
    const b = d.answer && !d.pooled ? TUNING.answerB : TUNING.b;
    const avg = (d.pooled ? avgLen.pooled : d.answer ? avgLen.answer : avgLen.phrasing) || 1;
    return TUNING.k1 * (1 - b + (b * d.length) / avg);
  });
  // Postings as flat arrays with each document's BM25 term saturation precomputed: the query loop
  // is then one multiply-add per posting (p99 at 1,000 entries).
  const postings = new Map<string, { docs: number[]; sat: number[] }>();
  docs.forEach((d, di) => {
    for (const [term, tf] of d.terms) {
      let list = postings.get(term);
      if (!list) postings.set(term, (list = { docs: [], sat: [] }));
      list.docs.push(di);
      list.sat.push(tf / (tf + lengthNorm[di]!));
    }
  });

  const synonymTable = new Map<string, string[]>();
  const addSynonyms = (table: Record<string, string[]>, lang: Lang) => {
    for (const [word, list] of Object.entries(table)) {
      const key = tokens(word, lang)[0]?.term;
      if (!key) continue;
      const stems = list.flatMap((w) => tokens(w, lang).map((t) => t.term)).filter((s) => s !== key);
      synonymTable.set(key, [...new Set([...(synonymTable.get(key) ?? []), ...stems])]);
    }
  };
  for (const lang of ['de', 'en'] as const) addSynonyms(builtinSynonyms[lang], lang);
  for (const lang of ['de', 'en'] as const) addSynonyms(synonyms, lang);

  const phrasingText = (di: number): string => {
    let n = 0;
    for (let j = di - 1; j >= 0 && !docs[j]!.answer && docs[j]!.entry === docs[di]!.entry; j--) n++;
    const e = entries[docs[di]!.entry]!;
    return [e.question, ...e.variants][n] ?? e.question;
  };

  return {
    entries,
    langOf,
    docs,
    postings,
    pooledDoc,
    phrasingDoc,
    docPhrasing,
    gramPostings,
    gramIdf,
    phrasingNorm,
    phrasings: phrasingGrams.length,
    vocabulary,
    idf,
    semantic,
    thesaurus,
    wordnet,
    synonymTable,
    partsOf,
    derivedOf,
    splitCompound,
    correct,
    expand,
    phrasingText,
  };
}

/**
 * German derivations and compounds share their first letters where Snowball's stems differ
 * ("Information" / "informieren", "Lieferung" / "Lieferzeit"): a long German word's first letters
 * count as one more, light term, beside its base word's stem (derivations-de.ts). English stems
 * need no help (measured: it costs there).
 */
export function truncated(t: { word: string; light: boolean }, lang: Lang): string | null {
  if (t.light || lang !== 'de' || TUNING.truncWeight <= 0) return null;
  const w = fold(t.word);
  return w.length > TUNING.truncLen ? `~${w.slice(0, TUNING.truncLen)}` : null;
}
