import { describe, expect, it } from 'vitest';
import { englishVectors } from './embeddings.js';
import { createSemanticIndex } from './semantic.js';

const vectors = englishVectors()!;
const phrasings = [
  { entry: 0, text: 'Which countries are you available in?' },
  { entry: 0, text: 'Do you operate in my country?' },
  { entry: 1, text: 'My card has still not arrived' },
  { entry: 1, text: 'When will I receive my new card?' },
  { entry: 2, text: 'How much does a transfer cost?' },
  { entry: 2, text: 'What are your fees?' },
];

describe('semantic similarity of questions and entries', () => {
  const index = createSemanticIndex({ vectors, entries: 3, phrasings });
  const best = (text: string) => {
    const sims = index.similarities(text)!;
    return [...sims.keys()].sort((a, b) => sims[b]! - sims[a]!)[0];
  };

  it('ranks entries that share no word with the question by meaning', () => {
    expect(best('is this service offered in austria')).toBe(0);
    expect(best('what is the price of sending money')).toBe(2);
    expect(best('the parcel with my plastic has not been delivered yet')).toBe(1);
  });

  it('gives nothing for a question without a known word', () => {
    expect(index.similarities('xqzt blorf')).toBeNull();
  });

  it('leaves a phrasing out entirely when asked to, its centroid share too', () => {
    const text = 'My card has still not arrived';
    const all = index.similarities(text)![1]!;
    const without = index.similarities(text, [2])![1]!;
    expect(all).toBeGreaterThan(0.8);
    expect(without).toBeLessThan(all - 0.1);
    // Leaving out another entry's phrasing changes nothing for this one.
    expect(index.similarities(text, [4])![1]).toBeCloseTo(all, 9);
  });

  it('compares phrasing by phrasing only the best entries by centroid and those named, above the limit', () => {
    const exact = createSemanticIndex({ vectors, entries: 3, phrasings });
    const limited = createSemanticIndex({ vectors, entries: 3, phrasings, phrasingCandidates: 1 });
    const text = 'what is the price of sending money';
    const all = exact.similarities(text)!;
    const some = limited.similarities(text)!;
    // Entry 2 is the best by centroid, so it is compared exactly; the others are estimated.
    expect(some[2]).toBeCloseTo(all[2]!, 9);
    expect(some[0]).not.toBeCloseTo(all[0]!, 9);
    expect(limited.similarities(text, [], [0])![0]).toBeCloseTo(all[0]!, 9);
  });
});
