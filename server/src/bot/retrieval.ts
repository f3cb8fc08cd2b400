// Retrieval for short questions: the index (search-index.ts) built once per FAQ, each question scored
// against it (scoring.ts), and the top entry's score turned into a confidence calibrated from the FAQ
// itself (calibration.ts).
import type { FaqEntry } from './faq.js';
import type { Lang } from './text.js';
import { buildSearchIndex } from './search-index.js';
import { createScorer } from './scoring.js';
import { calibrate } from './calibration.js';

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

export interface Retriever {
  search(text: string, lang?: Lang, limit?: number): SearchHit[];
  readonly size: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function createRetriever({ entries, defaultLang = 'de', synonyms = {} }: RetrievalOptions): Retriever {
  const index = buildSearchIndex({ entries, defaultLang, synonyms });
  const scorer = createScorer(index);
  const calibration = calibrate(index, scorer);
  return {
    size: entries.length,
    search(text, lang = defaultLang, limit = 5) {
      const hits = scorer.raw(text, lang);
      if (!hits.length) return [];
      const top = calibration.top(hits);
      return hits.slice(0, limit).map((h, i) => ({
        id: entries[h.entry]!.id,
        score: round3(h.score),
        confidence: round3(i === 0 ? top : calibration.other(h, top)),
      }));
    },
  };
}
