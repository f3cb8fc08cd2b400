// Meaning beyond shared words, for English FAQs: each phrasing and each question becomes one vector
// (word vectors weighted by rarity, the SIF scheme of Arora et al. 2017, minus the FAQ's common
// direction), and an entry's similarity to a question is the mean of its best phrasing's cosine and
// its centroid's cosine. "i havent got my card" then lands near "my card has still not arrived".
import type { WordVectors } from './embeddings.js';
import { tokens } from './text.js';

export interface SemanticIndexOptions {
  vectors: WordVectors;
  /** Number of entries; `phrasings[k].entry` indexes them. */
  entries: number;
  phrasings: { entry: number; text: string }[];
  /**
   * SIF smoothing: a word weighs a / (a + p(word)), p estimated from its frequency rank (Zipf), so
   * that frequent words ("want", "need", "use") count little. 1e-3 is the paper's default.
   */
  sifA?: number;
  /**
   * Entries whose phrasings are compared one by one: the best this many by centroid, plus those the
   * caller names. The others' best phrasing is estimated by their centroid (a 1,000-entry FAQ would
   * otherwise cost 5,000 comparisons per question; an FAQ this small or smaller is compared exactly).
   */
  phrasingCandidates?: number;
}

export interface SemanticIndex {
  /**
   * Similarity in [-1, 1] of the text to every entry (NaN where an entry has no vector), or null
   * when no word of the text has a vector. `excludePhrasings` leaves phrasings out entirely
   * (calibration asks phrasings against the rest of the FAQ). `candidates`: entries to compare
   * phrasing by phrasing besides the best by centroid (the lexical ranking's best).
   */
  similarities(text: string, excludePhrasings?: readonly number[], candidates?: Iterable<number>): Float64Array | null;
}

// Zipf's law over the vectors' vocabulary: p(rank) ≈ 1 / (rank · H), H ≈ ln(400,000) + 0.58.
const HARMONIC = 13;
const RANK_OFFSET = 10;

/**
 * q · v[off, off + n): four running sums instead of one, so that each addition need not wait for the
 * one before it (the dot products against every entry's centroid are most of a question's time in a
 * large FAQ).
 */
function dotAt(q: Float64Array, v: Float64Array | Float32Array, off: number, n: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  let d = 0;
  for (; d + 3 < n; d += 4) {
    a += q[d]! * v[off + d]!;
    b += q[d + 1]! * v[off + d + 1]!;
    c += q[d + 2]! * v[off + d + 2]!;
    e += q[d + 3]! * v[off + d + 3]!;
  }
  for (; d < n; d++) a += q[d]! * v[off + d]!;
  return a + b + c + e;
}

export function createSemanticIndex({
  vectors,
  entries,
  phrasings,
  sifA = 1e-3,
  phrasingCandidates = 50,
}: SemanticIndexOptions): SemanticIndex {
  const dims = vectors.dimensions;
  const weightOf = (word: string): number => {
    const r = vectors.rank(word);
    // Words past the kept vocabulary have no vector; a word's weight is asked only when it has one.
    const p = r === undefined ? 0 : 1 / ((r + RANK_OFFSET) * HARMONIC);
    return sifA / (sifA + p);
  };
  /** The text's weighted mean word vector into `out` (not normalised); false when no word has a vector. */
  const embed = (text: string, out: Float64Array): boolean => {
    out.fill(0);
    let any = false;
    for (const t of tokens(text, 'en')) {
      if (t.light) continue;
      const v = vectors.vector(t.word);
      if (!v) continue;
      const w = weightOf(t.word);
      for (let d = 0; d < dims; d++) out[d]! += w * v[d]!;
      any = true;
    }
    return any;
  };
  const normalise = (v: Float64Array | Float32Array, off = 0, len = dims) => {
    let n = 0;
    for (let d = off; d < off + len; d++) n += v[d]! * v[d]!;
    n = Math.sqrt(n);
    if (n > 0) for (let d = off; d < off + len; d++) v[d]! /= n;
    return n;
  };

  // Phrasing vectors, unit length, then the FAQ's mean direction taken out of all of them: what
  // every question of this FAQ shares ("bank", "account") says nothing about which entry fits.
  const P = phrasings.length;
  const phrasingVec = new Float32Array(P * dims);
  const has = new Uint8Array(P);
  const mean = new Float64Array(dims);
  const tmp = new Float64Array(dims);
  let count = 0;
  phrasings.forEach((p, k) => {
    if (!embed(p.text, tmp)) return;
    normalise(tmp);
    for (let d = 0; d < dims; d++) {
      phrasingVec[k * dims + d] = tmp[d]!;
      mean[d]! += tmp[d]!;
    }
    has[k] = 1;
    count++;
  });
  if (count) for (let d = 0; d < dims; d++) mean[d]! /= count;
  // Centroids as sums of the centred unit phrasing vectors, so that one phrasing can be taken out.
  const centroidSum = new Float64Array(entries * dims);
  const centroidNorm = new Float64Array(entries);
  const owner = phrasings.map((p) => p.entry);
  for (let k = 0; k < P; k++) {
    if (!has[k]) continue;
    const off = k * dims;
    for (let d = 0; d < dims; d++) phrasingVec[off + d]! -= mean[d]!;
    normalise(phrasingVec, off);
    const e = owner[k]!;
    for (let d = 0; d < dims; d++) centroidSum[e * dims + d]! += phrasingVec[off + d]!;
  }
  for (let e = 0; e < entries; e++) {
    let n = 0;
    for (let d = 0; d < dims; d++) n += centroidSum[e * dims + d]! ** 2;
    centroidNorm[e] = Math.sqrt(n);
  }
  const phrasingsOf: number[][] = Array.from({ length: entries }, () => []);
  for (let k = 0; k < P; k++) if (has[k]) phrasingsOf[owner[k]!]!.push(k);
  const exact = entries <= phrasingCandidates;

  const query = new Float64Array(dims);
  return {
    similarities(text, excludePhrasings = [], candidates = []) {
      if (!count || !embed(text, query)) return null;
      normalise(query);
      for (let d = 0; d < dims; d++) query[d]! -= mean[d]!;
      normalise(query);
      const out = new Float64Array(entries);
      const excluded = excludePhrasings.filter((k) => k >= 0 && k < P && has[k]);
      // Centroids first: cheap (one comparison per entry) and the pre-selection for the phrasings.
      for (let e = 0; e < entries; e++) {
        if (!phrasingsOf[e]!.length) {
          out[e] = NaN;
          continue;
        }
        let norm = centroidNorm[e]!;
        const off = e * dims;
        let dot = dotAt(query, centroidSum, off, dims);
        const left = excluded.length ? excluded.filter((k) => owner[k] === e) : excluded;
        if (left.length) {
          // The centroid without the left-out phrasings p: |s − Σp|² = |s|² − 2 s·Σp + |Σp|².
          const sum = new Float64Array(dims);
          for (const k of left) for (let d = 0; d < dims; d++) sum[d]! += phrasingVec[k * dims + d]!;
          let sp = 0;
          let qp = 0;
          let pp = 0;
          for (let d = 0; d < dims; d++) {
            sp += centroidSum[off + d]! * sum[d]!;
            qp += query[d]! * sum[d]!;
            pp += sum[d]! * sum[d]!;
          }
          dot -= qp;
          norm = Math.sqrt(Math.max(0, norm * norm - 2 * sp + pp));
        }
        out[e] = norm > 1e-9 ? dot / norm : NaN;
      }
      let chosen: Iterable<number>;
      if (exact) chosen = out.keys();
      else {
        // The best phrasingCandidates entries by centroid: a numeric sort of the scores (typed, no
        // comparator) gives the cut-off, cheaper than sorting the entries by a closure.
        const scores = out.filter((v) => !Number.isNaN(v)).sort();
        const cut = scores.length > phrasingCandidates ? scores[scores.length - phrasingCandidates]! : -Infinity;
        const top: number[] = [];
        for (let e = 0; e < entries; e++) if (out[e]! >= cut) top.push(e);
        chosen = new Set([...top, ...candidates]);
      }
      const seen = new Set<number>();
      for (const e of chosen) {
        const centroid = out[e]!;
        if (e < 0 || e >= entries || seen.has(e)) continue;
        seen.add(e);
        let best = -2;
        for (const k of phrasingsOf[e]!) {
          if (excluded.includes(k)) continue;
          const c = dotAt(query, phrasingVec, k * dims, dims);
          if (c > best) best = c;
        }
        if (best === -2) out[e] = NaN;
        else out[e] = (best + (Number.isNaN(centroid) ? best : centroid)) / 2;
      }
      return out;
    },
  };
}
