// Scoring one question against the index: BM25 over phrasings, answers and pooled phrasings (with
// typo correction, compound parts, word beginnings, synonyms, WordNet and the German thesaurus),
// character n-gram cosine per phrasing, and for English the word-vector similarity fused in. The
// result is the raw ranking with each entry's score, coverage and similarity; calibration.ts turns
// it into a confidence.
import { charGrams, stem, tokens, type Lang } from './text.js';
import { irregularRelated } from './irregular-en.js';
import { truncated, type SearchIndex } from './search-index.js';
import { TUNING } from './tuning.js';

/** Entries of the lexical ranking's top that the semantic index compares phrasing by phrasing. */
const SEMANTIC_LEXICAL_CANDIDATES = 20;

export interface RawHit {
  entry: number;
  score: number;
  /** Share of the question's content terms that the entry's best-covering phrasing matched. */
  coverage: number;
  /** Word-vector similarity to the question, NaN without vectors. */
  similarity: number;
}

export interface LeaveOut {
  docs?: readonly number[];
  entry?: number;
}

export interface Scorer {
  /**
   * The ranking for a question, best first. `leaveOut.docs` leaves documents out (phrasings, an
   * entry's pooled phrasings), `leaveOut.entry` a whole entry: the calibration's probes.
   */
  raw(text: string, lang: Lang, leaveOut?: LeaveOut): RawHit[];
}

export function createScorer(index: SearchIndex): Scorer {
  const {
    entries,
    docs,
    postings,
    docPhrasing,
    phrasingDoc,
    gramPostings,
    gramIdf,
    phrasingNorm,
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
  } = index;
  const P = Math.max(1, index.phrasings);
  // Per-query accumulators, allocated once and reset after each query (search is synchronous).
  const docScore = new Float64Array(docs.length);
  const matchedMask = new Uint32Array(docs.length);
  const dot = new Float64Array(index.phrasings);
  const entryScore = new Float64Array(entries.length);
  const entryCoverage = new Float64Array(entries.length);
  const entrySeen = new Uint8Array(entries.length);

  // Documents a probe leaves out, as a mask (a question from a visitor leaves nothing out).
  const left = new Uint8Array(docs.length);
  function raw(text: string, lang: Lang, leaveOut: LeaveOut = {}): RawHit[] {
    const out = leaveOut.docs ?? [];
    for (const di of out) left[di] = 1;
    try {
      return rank(text, lang, out, leaveOut.entry ?? -1);
    } finally {
      for (const di of out) left[di] = 0;
    }
  }

  function rank(text: string, lang: Lang, leftOut: readonly number[], excludeEntry: number): RawHit[] {
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
      // The stem of the word a German word is derived from ("Impfung" → impf, "Versand" → versend).
      const derived = t.light ? null : derivedOf(t.word, t.term, lang);
      if (derived) weights.set(derived, Math.max(weights.get(derived) ?? 0, TUNING.derivationWeight));
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
      // An English irregular form the FAQ does not use: its base or other forms that it does use
      // stand in for it ("paid" → pay, "lose" → lost), without raising the question's ideal score.
      if (lang === 'en' && !t.light && !vocabulary.has(term) && TUNING.irregularWeight > 0) {
        for (const form of irregularRelated(t.word)) {
          const s = stem(form, 'en');
          if (vocabulary.has(s)) standIns.set(s, Math.max(standIns.get(s) ?? 0, TUNING.irregularWeight));
        }
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
        if (left[di]) continue;
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
      if (d.answer || left[di]) return;
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
      const excluded = leftOut.filter((di) => !docs[di]!.answer).map((di) => docPhrasing[di]!);
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

  return { raw };
}

/** One number from the top score, the margin to the next entry and how much of the question matched. */
export function feature(hits: { score: number; coverage: number }[]): number {
  const s1 = hits[0]!.score;
  const s2 = hits[1]?.score ?? 0;
  return s1 * (1 - TUNING.coverage + TUNING.coverage * hits[0]!.coverage) + TUNING.margin * (s1 - s2);
}
