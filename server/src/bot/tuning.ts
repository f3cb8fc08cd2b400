// The retriever's scoring and calibration constants in one place: exposed for the evaluation's
// parameter sweeps and for tests that switch one signal off, not for sites.
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
  /**
   * Weight of the stem of the word a German word is derived from (derivations-de.ts: "Impfung" →
   * impfen, "Versand" → versenden), on both sides: a related word, weighted like a compound's part.
   */
  derivationWeight: 0.5,
  headWeight: 0.5,
  /** Weights of WordNet synonyms and broader words of a question word the FAQ does not use. */
  wordnetSynonym: 0.5,
  /** An English irregular form the FAQ lacks stands in for its base or other forms it uses (irregular-en.ts). */
  irregularWeight: 0.5,
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
  /**
   * Confidence 0.5 (the default threshold) is where the FAQ's own probes (calibration.ts) find the
   * top entry right with this probability.
   */
  rightAt: 0.375,
  /** Phrasings asked for that, at most (0: none, confidence from the two levels alone). */
  rightProbes: 300,
  /** Probes worth as much as the prior point (0.5 on the two-level scale): small FAQs move less. */
  rightPrior: 50,
  /** Least slope of the fitted curve (log-odds per unit of confidence) for it to count. */
  rightMinSlope: 1,
  /** Where this FAQ's median in-scope feature lands on the confidence scale. */
  anchor: 0.55,
};
