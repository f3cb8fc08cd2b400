import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosine, englishVectors, loadWordVectors } from './embeddings.js';

/** A file in the package's format: { dimensions, words, vectors: { word: [d…, norm, index] } }. */
function vectorsFile(vectors: Record<string, number[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'servus-vectors-'));
  const path = join(dir, 'vectors.json');
  const body = Object.entries(vectors)
    .map(([w, v], i) => `${JSON.stringify(w)}:[${[...v, 1, i].join(',')}]`)
    .join(',');
  writeFileSync(
    path,
    `{"precision":8,"dimensions":3,"size":5,"words":${JSON.stringify(Object.keys(vectors))},"vectors":{${body}},"unkVector":[0,0,0,0,-1]}`,
  );
  return path;
}

describe('word vectors', () => {
  it('reads the file in small steps, keeps plain words only, as unit vectors in frequency order', () => {
    const path = vectorsFile({
      the: [1, 0, 0],
      '"': [0, 1, 0],
      "n't": [0, 0, 1],
      card: [3, 4, 0],
      'top-up': [1, 1, 1],
      cash: [-1.5e-1, 2e1, 0],
    });
    // A 7-byte step cuts every entry somewhere: the parser must resume mid-number and mid-key.
    const v = loadWordVectors({ path, chunkSize: 7 })!;
    expect(v.size).toBe(3);
    expect([...v.vector('card')!]).toEqual([expect.closeTo(0.6), expect.closeTo(0.8), 0]);
    expect(v.vector('"')).toBeUndefined();
    expect(v.vector('top-up')).toBeUndefined();
    expect(v.rank('the')).toBe(0);
    expect(v.rank('cash')).toBe(2);
    expect(v.vector('cash')![1]).toBeCloseTo(20 / Math.sqrt(0.15 ** 2 + 400));
  });

  it('keeps at most maxWords words, and is null without a file', () => {
    const path = vectorsFile({ a: [1, 0, 0], b: [0, 1, 0], c: [0, 0, 1] });
    expect(loadWordVectors({ path, maxWords: 2 })!.size).toBe(2);
    expect(loadWordVectors({ path: join(tmpdir(), 'no-such-vectors.json') })).toBeNull();
  });

  it('ships English vectors in which related words are near', () => {
    const v = englishVectors()!;
    expect(v.dimensions).toBe(100);
    const sim = (a: string, b: string) => cosine(v.vector(a)!, v.vector(b)!);
    expect(sim('declined', 'rejected')).toBeGreaterThan(sim('declined', 'arrived'));
    expect(sim('refund', 'money')).toBeGreaterThan(sim('refund', 'austria'));
  });
});
