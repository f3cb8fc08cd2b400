// Confidence calibrated from the FAQ itself, at load: each phrasing asked against the rest gives this
// FAQ's in-scope level; each entry's question asked against the FAQ without that entry gives its
// out-of-scope level. Confidence 0.5 lies halfway between the two, so that one threshold means the
// same in every FAQ.
import type { SearchIndex } from './search-index.js';
import { feature, type RawHit, type Scorer } from './scoring.js';
import { TUNING } from './tuning.js';

export interface Calibration {
  /** Confidence in [0, 1] of a ranking's top entry (the ranking must not be empty). */
  top(hits: RawHit[]): number;
  /** The confidence of a lower entry, never above `top`. */
  other(hit: RawHit, top: number): number;
}

export function calibrate(index: SearchIndex, { raw }: Scorer): Calibration {
  const { docs, entries, langOf, pooledDoc } = index;
  // Calibration: query a sample of phrasings against the rest; what a correct top hit scores here
  // is this FAQ's in-scope level. Confidence maps that level to about 0.6.
  let level = 0.5;
  const inScopeProbes: RawHit[][] = [];
  // The same for the top entry's word-vector similarity (English FAQs), when there are enough.
  let similarityLevel = 0;
  {
    const samples: number[] = [];
    const similarities: number[] = [];
    const phrasingDocs = docs.map((d, i) => (d.answer ? -1 : i)).filter((i) => i >= 0);
    const step = Math.max(1, Math.floor(phrasingDocs.length / 300));
    for (let k = 0; k < phrasingDocs.length; k += step) {
      const di = phrasingDocs[k]!;
      const d = docs[di]!;
      const e = entries[d.entry]!;
      const hits = raw(index.phrasingText(di), langOf(e), di, pooledDoc[d.entry]!);
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
  let mix = TUNING.semanticConfidence;
  /** How strongly the hits speak for their top entry: about 1 at this FAQ's typical in-scope question. */
  function evidence(hits: RawHit[]): number {
    const lexical = feature(hits) / level;
    const similarity = hits[0]!.similarity;
    if (similarityLevel <= 0 || Number.isNaN(similarity)) return lexical;
    return (1 - mix) * lexical + (mix * similarity) / similarityLevel;
  }
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

  return {
    top(hits) {
      const ev = evidence(hits);
      const calibrated = Number.isNaN(outLevel) ? TUNING.anchor * ev : 0.25 + (0.5 * (ev - outLevel)) / (1 - outLevel);
      return Math.min(1, Math.max(0, calibrated));
    },
    other(hit, top) {
      return Math.max(0, Math.min(top, (TUNING.anchor * hit.score) / (level * 1.5)));
    },
  };
}
