// Confidence calibrated from the FAQ itself, at load: each phrasing asked against the rest gives this
// FAQ's in-scope level; each entry's question asked against the FAQ without that entry gives its
// out-of-scope level. Confidence 0.5 lies halfway between the two, so that one threshold means the
// same in every FAQ. Last, the FAQ's phrasings asked as a visitor would ask them tell how often the
// top entry is right at each level: confidence 0.5 is where that is TUNING.rightAt.
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
      const hits = raw(index.phrasingText(di), langOf(e), { docs: [di, pooledDoc[d.entry]!] });
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
      const hits = raw(entries[i]!.question, langOf(entries[i]!), { entry: i });
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

  /** The confidence on the two-level scale (0.5 halfway between the out-of-scope and in-scope levels). */
  const scaled = (hits: RawHit[]): number => {
    const ev = evidence(hits);
    const calibrated = Number.isNaN(outLevel) ? TUNING.anchor * ev : 0.25 + (0.5 * (ev - outLevel)) / (1 - outLevel);
    return Math.min(1, Math.max(0, calibrated));
  };

  // How often the top entry is right at each scaled confidence, learnt from the FAQ's own phrasings
  // asked the way a visitor asks: a visitor's question is no copy of a phrasing, so each probe is
  // asked without itself, its entry's pooled phrasings and its entry's phrasing most like it (FAQ
  // authors write near-copies: "does redrobin take reservations", "does redrobin do
  // reservations"). A FAQ whose entries its own phrasings confuse needs more before it answers.
  const right = rightProbability(index, raw, scaled);
  // The scaled confidence at which that probability is TUNING.rightAt becomes 0.5 (the default
  // threshold); the scale is stretched linearly on either side, so 0 and 1 stay where they were.
  let pivot = 0.5;
  if (right) {
    const { a, b } = right;
    const at = TUNING.rightAt;
    const fitted = Math.min(0.95, Math.max(0.05, (Math.log(at / (1 - at)) - b) / a));
    // A small FAQ has few probes: its own evidence moves the point away from 0.5 only as far as
    // their number warrants (n / (n + rightPrior)).
    pivot = 0.5 + ((fitted - 0.5) * right.probes) / (right.probes + TUNING.rightPrior);
  }

  return {
    top(hits) {
      const c = scaled(hits);
      return c < pivot ? (0.5 * c) / pivot : 0.5 + (0.5 * (c - pivot)) / (1 - pivot);
    },
    other(hit, top) {
      return Math.max(0, Math.min(top, (TUNING.anchor * hit.score) / (level * 1.5)));
    },
  };
}

/**
 * P(the top entry is right | scaled confidence c) = 1 / (1 + exp(-(a c + b))) from the FAQ's own
 * phrasings, each asked against the FAQ without itself and its nearest sibling: [a, b], or null when
 * the probes cannot tell (too few, all right or all wrong, or hardly rising with c), with the number of probes.
 */
function rightProbability(
  index: SearchIndex,
  raw: Scorer['raw'],
  scaled: (hits: RawHit[]) => number,
): { a: number; b: number; probes: number } | null {
  const { docs, entries, langOf, pooledDoc } = index;
  const x: number[] = [];
  const y: number[] = [];
  const phrasingDocs = index.phrasingDoc;
  const step = Math.max(1, Math.floor(phrasingDocs.length / TUNING.rightProbes));
  for (let k = 0; k < phrasingDocs.length; k += step) {
    const di = phrasingDocs[k]!;
    const d = docs[di]!;
    const e = entries[d.entry]!;
    // Asked without itself and its sibling, an entry needs a third phrasing to be found by (against
    // its answer alone a phrasing is no visitor's question).
    if (e.variants.length < 2) continue;
    const leaveOut = [di, pooledDoc[d.entry]!, nearestSibling(docs, di)];
    const hits = raw(index.phrasingText(di), langOf(e), { docs: leaveOut });
    x.push(hits.length ? scaled(hits) : 0);
    y.push(hits[0]?.entry === d.entry ? 1 : 0);
  }
  const positives = y.reduce((a, b) => a + b, 0);
  if (x.length < 20 || positives < 5 || x.length - positives < 5) return null;
  const [a, b] = logisticFit(x, y);
  // A curve that hardly rises says the probes cannot tell right from wrong by confidence: no pivot.
  return a >= TUNING.rightMinSlope ? { a, b, probes: x.length } : null;
}

/** The same entry's phrasing sharing the largest share of terms with phrasing document `di`, or -1. */
function nearestSibling(docs: SearchIndex['docs'], di: number): number {
  const own = docs[di]!;
  let best = -1;
  let bestShare = -1;
  for (let j = di - 1; j >= 0 && !docs[j]!.answer && docs[j]!.entry === own.entry; j--) consider(j);
  for (let j = di + 1; j < docs.length && !docs[j]!.answer && docs[j]!.entry === own.entry; j++) consider(j);
  return best;
  function consider(j: number) {
    const other = docs[j]!.terms;
    let shared = 0;
    for (const t of own.terms.keys()) if (other.has(t)) shared++;
    const share = shared / (own.terms.size + other.size - shared || 1);
    if (share > bestShare) {
      bestShare = share;
      best = j;
    }
  }
}

/** Logistic regression of y on one x by Newton's method: [slope, intercept]. */
export function logisticFit(x: readonly number[], y: readonly number[], iterations = 25): [number, number] {
  let a = 0;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-6;
    let hab = 0;
    let hbb = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * x[i]! + b)));
      const r = p - y[i]!;
      const w = p * (1 - p);
      ga += r * x[i]!;
      gb += r;
      haa += w * x[i]! * x[i]!;
      hab += w * x[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return [a, b];
}
