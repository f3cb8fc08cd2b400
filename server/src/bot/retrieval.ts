// Retrieval for short questions: BM25 over every phrasing of every entry (and, weighted less, its
// answer), German compound parts, typo tolerance against the FAQ's own vocabulary, synonyms, and
// character n-grams for what stemming misses. Confidence is calibrated from the FAQ itself.
import type { FaqEntry } from './faq.js';
import { charGrams, editDistance, fold, stem, tokens, words, type Lang } from './text.js';
import { MIN_COMPOUND_LENGTH, dictionaryWords, splitCompound as dictionarySplit } from './compounds.js';
import { builtinSynonyms } from './synonyms.js';
import { createWordnet } from './wordnet.js';
import { germanThesaurus } from './thesaurus.js';
import { englishVectors } from './embeddings.js';
import { createSemanticIndex, type SemanticIndex } from './semantic.js';

// One WordNet reader per process: its files are read once and its look-ups cached across FAQs.
const wordnet = createWordnet();

export interface SearchHit {
  id: string;
  /** Raw relevance, comparable within one query. */
  score: number;
  /** Calibrated confidence in [0, 1]: about 0.5 at this FAQ's typical in-scope level, higher is surer. */
  confidence: number;
}

export interface RetrievalOptions {
  entries: FaqEntry[];
  defaultLang?: Lang;
  synonyms?: Record<string, string[]>;
}

interface Doc {
  entry: number;
  terms: Map<string, number>;
  length: number;
  /** The answer text, or all phrasings of the entry pooled: both are scored per entry, not per phrasing. */
  answer: boolean;
  pooled?: boolean;
}

/** Scoring constants; exposed for the evaluation's parameter sweeps, not for sites. */
export const TUNING = {
  k1: 1.5,
  b: 0.75,
  answerWeight: 0.6,
  ngramWeight: 0.35,
  lightWeight: 0.25,
  pooledWeight: 0.3,
  answerB: 0.75,
  prefixWeight: 0,
  /** Weight of a compound's parts next to the whole word. */
  partWeight: 0.5,
  /** German words' first letters as a light extra term (see `truncated`): weight and length. */
  truncWeight: 0.3,
  truncLen: 6,
  headWeight: 0.5,
  /** Weights of WordNet synonyms and broader words of a question word the FAQ does not use. */
  wordnetSynonym: 0.5,
  wordnetBroader: 0.3,
  /**
   * Weight of OpenThesaurus synonyms of a German question word the FAQ does not use (thesaurus.ts),
   * times the share of the word's synsets that hold the synonym (an ambiguous word's synonyms say less).
   */
  thesaurusWeight: 1,
  /**
   * The same for a question word the FAQ does use: it may use it in one entry and a synonym in the
   * right one ("Isolation" in answers, "isolieren" in the question it answers).
   */
  thesaurusKnown: 0.3,
  /** Shortest synonym stem used ("AU", "Attest" → "att" match too much). */
  thesaurusMinStem: 4,
  /**
   * Weight of the word-vector similarity (English FAQs, see semantic.ts). Fused per question: each
   * entry's lexical score plus weight × the best lexical score × (its similarity − the best
   * similarity), so that both rankings speak in the lexical score's units and the entry that both
   * rank first keeps its score.
   */
  semanticWeight: 1,
  /**
   * Share of the top entry's word-vector similarity in the confidence (the rest is the lexical
   * feature): how close a question comes to the best entry in meaning tells out-of-scope questions
   * apart better than shared words alone. Chosen per FAQ from its own probes (see outOfScopeProbes);
   * this is the share when there are too few.
   */
  semanticConfidence: 0.5,
  /** Out-of-scope probes at load, at most (0: none, confidence from the in-scope level alone). */
  outOfScopeProbes: 150,
  /** Entries without a lexical match join the ranking when this close to the best similarity. */
  semanticReach: 0.15,
  /** Confidence feature: weight of coverage and of the margin to the second entry. */
  coverage: 0.4,
  margin: 1,
  /** Where this FAQ's median in-scope feature lands on the confidence scale. */
  anchor: 0.55,
};

/** Entries of the lexical ranking's top that the semantic index compares phrasing by phrasing. */
const SEMANTIC_LEXICAL_CANDIDATES = 20;

interface RawHit {
  entry: number;
  score: number;
  coverage: number;
  /** Word-vector similarity to the question, NaN without vectors. */
  similarity: number;
}

export interface Retriever {
  search(text: string, lang?: Lang, limit?: number): SearchHit[];
  readonly size: number;
}

export function createRetriever({ entries, defaultLang = 'de', synonyms = {} }: RetrievalOptions): Retriever {
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
  const phrasingOwner: number[] = [];
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

  const addDoc = (entry: number, text: string, lang: Lang, answer: boolean, pooled = false) => {
    const terms = new Map<string, number>();
    for (const t of tokens(text, lang)) {
      terms.set(t.term, (terms.get(t.term) ?? 0) + 1);
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
      phrasingOwner.push(i);
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

  // Per-query accumulators, allocated once and reset after each query (search is synchronous).
  const docScore = new Float64Array(docs.length);
  const matchedMask = new Uint32Array(docs.length);
  const dot = new Float64Array(phrasingGrams.length);
  const lengthNorm = docs.map((d) => {
    const b = d.answer && !d.pooled ? TUNING.answerB : TUNING.b;
    const avg = (d.pooled ? avgLen.pooled : d.answer ? avgLen.answer : avgLen.phrasing) || 1;
    return TUNING.k1 * (1 - b + (b * d.length) / avg);
  });
  // Postings as typed arrays with each document's BM25 term saturation precomputed: the query loop
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
  const entryScore = new Float64Array(entries.length);
  const entryCoverage = new Float64Array(entries.length);
  const entrySeen = new Uint8Array(entries.length);

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

  function raw(text: string, lang: Lang, exclude = -1, excludePooled = -1, excludeEntry = -1): RawHit[] {
    const weights = new Map<string, number>();
    // Thesaurus synonyms, merged after the question's own terms (see below).
    const standIns = new Map<string, number>();
    const qTerms: string[] = [];
    for (const t of tokens(text, lang)) {
      const term = correct(t.term) ?? t.term;
      qTerms.push(term);
      weights.set(term, Math.max(weights.get(term) ?? 0, t.light ? TUNING.lightWeight : 1));
      for (const part of splitCompound(term)) weights.set(part, Math.max(weights.get(part) ?? 0, 0.5));
      for (const part of partsOf(t.word, t.term, lang)) weights.set(part, Math.max(weights.get(part) ?? 0, TUNING.partWeight));
      const tr = truncated(t, lang);
      if (tr) weights.set(tr, Math.max(weights.get(tr) ?? 0, TUNING.truncWeight));
      if (!t.light) for (const related of expand(term)) weights.set(related, Math.max(weights.get(related) ?? 0, TUNING.prefixWeight));
      // A known word that begins this one and is most of it: the same word with another ending
      // ("coronavirus" → "coronavir", from "Coronaviren").
      if (!t.light && TUNING.headWeight > 0)
        for (let len = term.length - 1; len >= Math.max(5, Math.ceil(term.length * 0.75)); len--) {
          const head = term.slice(0, len);
          if (vocabulary.has(head)) weights.set(head, Math.max(weights.get(head) ?? 0, TUNING.headWeight));
        }
      for (const syn of synonymTable.get(term) ?? []) if (vocabulary.has(syn)) weights.set(syn, Math.max(weights.get(syn) ?? 0, 0.6));
      // A word this FAQ never uses: maybe it uses a synonym or a broader word (WordNet, English only).
      if (lang === 'en' && !t.light && !vocabulary.has(term) && TUNING.wordnetSynonym > 0) {
        const related = wordnet.related(t.word);
        const add = (list: string[], w: number) => {
          for (const x of list)
            for (const r of tokens(x, 'en'))
              if (!r.light && r.term !== term && vocabulary.has(r.term)) weights.set(r.term, Math.max(weights.get(r.term) ?? 0, w));
        };
        add(related.synonyms, TUNING.wordnetSynonym);
        add(related.broader, TUNING.wordnetBroader);
      }
      // German synonyms from OpenThesaurus, of every question word (less for words the FAQ uses). A
      // synonym stands in for the word: it does not raise the question's ideal score, so a question
      // that matches only through it is not judged against more words than it has.
      // A compound's parts are looked up too, with the weight of a part ("Mundschutz" → "Schutz").
      if (lang === 'de' && !t.light && thesaurus) {
        const lookups: [string, number][] = [[term, 1]];
        for (const part of partsOf(t.word, t.term, lang)) lookups.push([part, TUNING.partWeight]);
        for (const [word, factor] of lookups) {
          const entry = thesaurus.lookup(word);
          if (!entry) continue;
          const base = factor * (vocabulary.has(word) ? TUNING.thesaurusKnown : TUNING.thesaurusWeight);
          for (const [synonym, shared] of entry.related) {
            if (synonym.length < TUNING.thesaurusMinStem || !vocabulary.has(synonym)) continue;
            standIns.set(synonym, Math.max(standIns.get(synonym) ?? 0, (base * shared) / entry.senses));
          }
        }
      }
    }
    const ideal = [...weights].reduce((s, [t, w]) => s + w * idf(t), 0) || 1;
    for (const [synonym, w] of standIns) weights.set(synonym, Math.max(weights.get(synonym) ?? 0, w));
    const contentTerms = [...new Set(qTerms.filter((t) => !t.startsWith('?')))].slice(0, 31);
    const bitOf = new Map(contentTerms.map((t, k) => [t, 1 << k]));
    const touchedDocs: number[] = [];
    const touchedPhrasings: number[] = [];
    for (const [term, w] of weights) {
      const list = postings.get(term);
      if (!list) continue;
      const factor = w * idf(term) * (TUNING.k1 + 1);
      const bit = bitOf.get(term) ?? 0;
      const { docs: ids, sat } = list;
      for (let k = 0; k < ids.length; k++) {
        const di = ids[k]!;
        if (di === exclude || di === excludePooled) continue;
        if (docScore[di] === 0) touchedDocs.push(di);
        docScore[di]! += factor * sat[k]!;
        if (bit) matchedMask[di]! |= bit;
      }
    }
    // Character n-gram cosine against each phrasing.
    const qGrams = new Map<string, number>();
    for (const g of charGrams(text)) qGrams.set(g, (qGrams.get(g) ?? 0) + 1);
    let qNorm = 0;
    for (const [g, n] of qGrams) {
      const list = gramPostings.get(g);
      const w = n * gramIdf(g);
      qNorm += w * w;
      // Grams in more than a fifth of all phrasings say little and cost most.
      if (!list || list.docs.length > P / 5 + 20) continue;
      const { docs: ids, weight } = list;
      for (let k = 0; k < ids.length; k++) {
        const pi = ids[k]!;
        if (dot[pi] === 0) touchedPhrasings.push(pi);
        dot[pi]! += w * weight[k]!;
      }
    }
    qNorm = Math.sqrt(qNorm) || 1;
    const touchedEntries: number[] = [];
    const consider = (di: number) => {
      const d = docs[di]!;
      if (d.answer || di === exclude) return;
      const pi = docPhrasing[di]!;
      const lex = docScore[di]! / ideal;
      const cos = dot[pi]! / (qNorm * phrasingNorm[pi]!);
      if (lex === 0 && cos < 0.05) return;
      const score = lex + TUNING.ngramWeight * cos;
      let mask = matchedMask[di]!;
      let matchedCount = 0;
      while (mask) {
        matchedCount += mask & 1;
        mask >>>= 1;
      }
      const coverage = contentTerms.length ? matchedCount / contentTerms.length : 0;
      const e = d.entry;
      if (!entrySeen[e]) {
        entrySeen[e] = 1;
        touchedEntries.push(e);
        entryScore[e] = score;
        entryCoverage[e] = coverage;
      } else {
        if (score > entryScore[e]!) entryScore[e] = score;
        if (coverage > entryCoverage[e]!) entryCoverage[e] = coverage;
      }
    };
    for (const di of touchedDocs) consider(di);
    for (const pi of touchedPhrasings) if (docScore[phrasingDoc[pi]!] === 0) consider(phrasingDoc[pi]!);
    for (const di of touchedDocs) {
      const d = docs[di]!;
      if (!d.answer) continue;
      const e = d.entry;
      if (!entrySeen[e]) {
        entrySeen[e] = 1;
        touchedEntries.push(e);
        entryScore[e] = 0;
        entryCoverage[e] = 0;
      }
      entryScore[e]! += ((d.pooled ? TUNING.pooledWeight : TUNING.answerWeight) * docScore[di]!) / ideal;
    }
    if (excludeEntry >= 0 && entrySeen[excludeEntry]) {
      // A probe for calibration: the FAQ as if it had no such entry.
      entrySeen[excludeEntry] = 0;
      touchedEntries.splice(touchedEntries.indexOf(excludeEntry), 1);
    }
    let sims: Float64Array | null = null;
    if (semantic && lang === 'en') {
      const excluded = exclude >= 0 && !docs[exclude]!.answer ? docPhrasing[exclude]! : -1;
      // The lexical ranking's best are compared phrasing by phrasing whatever their centroid.
      const lexicalBest =
        touchedEntries.length <= SEMANTIC_LEXICAL_CANDIDATES
          ? touchedEntries
          : [...touchedEntries].sort((a, b) => entryScore[b]! - entryScore[a]!).slice(0, SEMANTIC_LEXICAL_CANDIDATES);
      sims = semantic.similarities(text, excluded, lexicalBest);
      if (sims) {
        let bestSim = -Infinity;
        let worstSim = Infinity;
        for (let e = 0; e < sims.length; e++) {
          if (e === excludeEntry || Number.isNaN(sims[e]!)) continue;
          if (sims[e]! > bestSim) bestSim = sims[e]!;
          if (sims[e]! < worstSim) worstSim = sims[e]!;
        }
        let bestLex = 0;
        for (const e of touchedEntries) if (entryScore[e]! > bestLex) bestLex = entryScore[e]!;
        // Without any lexical match the similarity alone ranks (in units of 1).
        const scale = TUNING.semanticWeight * (bestLex || 1);
        for (let e = 0; e < sims.length; e++) {
          let s = sims[e]!;
          if (e === excludeEntry) continue;
          if (Number.isNaN(s)) {
            // An entry without English phrasings (a German entry in a two-language FAQ) is as far in
            // meaning as the farthest: unpenalised it would rise above the English entries.
            if (!entrySeen[e]) continue;
            s = worstSim;
          }
          if (!entrySeen[e]) {
            if (s < bestSim - TUNING.semanticReach) continue;
            entrySeen[e] = 1;
            touchedEntries.push(e);
            entryScore[e] = 0;
            entryCoverage[e] = 0;
          }
          entryScore[e]! += scale * (s - bestSim);
        }
      }
    }
    const result = touchedEntries.map((entry) => ({
      entry,
      score: entryScore[entry]!,
      coverage: entryCoverage[entry]!,
      similarity: sims ? sims[entry]! : NaN,
    }));
    for (const e of touchedEntries) entrySeen[e] = 0;
    // Reset the shared accumulators for the next query.
    for (const di of touchedDocs) {
      docScore[di] = 0;
      matchedMask[di] = 0;
    }
    for (const pi of touchedPhrasings) dot[pi] = 0;
    return result.sort((a, b) => b.score - a.score);
  }

  // Calibration: query a sample of phrasings against the rest; what a correct top hit scores here
  // is this FAQ's in-scope level. Confidence maps that level to about 0.6.
  let level = 0.5;
  const inScopeProbes: RawHit[][] = [];
  // The same for the top entry's word-vector similarity (English FAQs), when there are enough.
  let similarityLevel = 0;
  {
    const samples: number[] = [];
    const similarities: number[] = [];
    inScopeProbes.length = 0;
    const phrasingDocs = docs.map((d, i) => (d.answer ? -1 : i)).filter((i) => i >= 0);
    const step = Math.max(1, Math.floor(phrasingDocs.length / 300));
    for (let k = 0; k < phrasingDocs.length; k += step) {
      const di = phrasingDocs[k]!;
      const d = docs[di]!;
      const e = entries[d.entry]!;
      const text = [e.question, ...e.variants][phrasingIndexWithin(di)] ?? e.question;
      const hits = raw(text, langOf(e), di, pooledDoc[d.entry]!);
      if (hits[0] && hits[0].entry === d.entry) {
        samples.push(feature(hits));
        inScopeProbes.push(hits);
        if (!Number.isNaN(hits[0].similarity)) similarities.push(hits[0].similarity);
      }
    }
    if (samples.length >= 5) {
      samples.sort((a, b) => a - b);
      level = samples[Math.floor(samples.length * 0.5)]!;
    }
    if (similarities.length >= 5) {
      similarities.sort((a, b) => a - b);
      similarityLevel = Math.max(0, similarities[Math.floor(similarities.length * 0.5)]!);
    }
  }
  /** How strongly the hits speak for their top entry: about 1 at this FAQ's typical in-scope question. */
  function evidence(hits: RawHit[]): number {
    const lexical = feature(hits) / level;
    const similarity = hits[0]!.similarity;
    if (similarityLevel <= 0 || Number.isNaN(similarity)) return lexical;
    return (1 - mix) * lexical + (mix * similarity) / similarityLevel;
  }
  let mix = TUNING.semanticConfidence;
  // Out-of-scope probes: each entry's question asked against the FAQ without that entry. What the
  // best remaining entry then scores is this FAQ's out-of-scope level; confidence 0.5 lies halfway
  // between it and the in-scope level, so that the one threshold means the same in every FAQ.
  let outLevel = NaN;
  if (TUNING.outOfScopeProbes > 0) {
    const outHits: RawHit[][] = [];
    let unmatched = 0;
    const step = Math.max(1, Math.floor(entries.length / TUNING.outOfScopeProbes));
    for (let i = 0; i < entries.length; i += step) {
      const hits = raw(entries[i]!.question, langOf(entries[i]!), -1, -1, i);
      if (hits.length) outHits.push(hits);
      else unmatched++;
    }
    // The share of meaning in the confidence: what best tells this FAQ's own in-scope phrasings
    // from its out-of-scope probes (the area under the curve, on a grid).
    if (similarityLevel > 0 && outHits.length >= 5 && inScopeProbes.length >= 5) {
      let bestAuc = -1;
      let bestMix = mix;
      for (let m = 0; m <= 10; m++) {
        mix = m / 10;
        const inside = inScopeProbes.map(evidence);
        const outside = outHits.map(evidence);
        let wins = 0;
        for (const a of inside) for (const b of outside) wins += a > b ? 1 : a === b ? 0.5 : 0;
        const auc = wins / (inside.length * outside.length);
        if (auc > bestAuc + 1e-9) {
          bestAuc = auc;
          bestMix = mix;
        }
      }
      mix = bestMix;
    }
    // A probe that matched nothing at all is as far out of scope as a question gets.
    const probes = [...outHits.map(evidence), ...new Array<number>(unmatched).fill(0)];
    if (probes.length >= 5) {
      probes.sort((a, b) => a - b);
      const median = probes[Math.floor(probes.length * 0.5)]!;
      if (median < 0.9) outLevel = median;
    }
  }
  function phrasingIndexWithin(di: number): number {
    let n = 0;
    for (let j = di - 1; j >= 0 && !docs[j]!.answer && docs[j]!.entry === docs[di]!.entry; j--) n++;
    return n;
  }

  return {
    size: entries.length,
    search(text, lang = defaultLang, limit = 5) {
      const hits = raw(text, lang);
      if (!hits.length) return [];
      const ev = evidence(hits);
      const calibrated = Number.isNaN(outLevel) ? TUNING.anchor * ev : 0.25 + (0.5 * (ev - outLevel)) / (1 - outLevel);
      const top = Math.min(1, Math.max(0, calibrated));
      return hits.slice(0, limit).map((h, i) => ({
        id: entries[h.entry]!.id,
        score: Math.round(h.score * 1000) / 1000,
        confidence:
          i === 0
            ? Math.round(top * 1000) / 1000
            : Math.round(Math.max(0, Math.min(top, (TUNING.anchor * h.score) / (level * 1.5))) * 1000) / 1000,
      }));
    },
  };
}

/**
 * German derivations share their first letters where Snowball's stems differ ("Behandlung" /
 * "behandeln", "Schutz" / "schützen", "Ansteckung" / "anstecken"): a long German word's first
 * letters count as one more, light term. English stems need no help (measured: it costs there).
 */
function truncated(t: { word: string; light: boolean }, lang: Lang): string | null {
  if (t.light || lang !== 'de' || TUNING.truncWeight <= 0) return null;
  const w = fold(t.word);
  return w.length > TUNING.truncLen ? `~${w.slice(0, TUNING.truncLen)}` : null;
}

/** One number from the top score, the margin to the next entry and how much of the question matched. */
function feature(hits: { score: number; coverage: number }[]): number {
  const s1 = hits[0]!.score;
  const s2 = hits[1]?.score ?? 0;
  return s1 * (1 - TUNING.coverage + TUNING.coverage * hits[0]!.coverage) + TUNING.margin * (s1 - s2);
}
