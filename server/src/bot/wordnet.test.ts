import { describe, expect, it } from 'vitest';
import { createWordnet } from './wordnet.js';
import { createRetriever } from './retrieval.js';
import { TUNING } from './tuning.js';

describe('WordNet look-ups', () => {
  const wordnet = createWordnet();
  it('finds synonyms of inflected words and broader words of nouns', () => {
    expect(wordnet.available()).toBe(true);
    expect(wordnet.related('rejected').synonyms).toContain('decline');
    expect(wordnet.related('Austria').broader).toContain('country');
    expect(wordnet.related('refunds').synonyms).toContain('repayment');
  });
  it('returns nothing for words it does not know, and for non-words', () => {
    expect(wordnet.related('qwxzv')).toEqual({ synonyms: [], broader: [] });
    expect(wordnet.related('a1')).toEqual({ synonyms: [], broader: [] });
  });
});

describe('retrieval with WordNet', () => {
  const entries = [
    { id: 'blocked', question: 'My card was blocked', variants: [], answer: 'Call us.', lang: 'en' as const },
    { id: 'declined', question: 'My card was declined', variants: [], answer: 'Check your limit.', lang: 'en' as const },
  ];
  it('matches a question word the FAQ does not use through its synonym', () => {
    const retriever = createRetriever({ defaultLang: 'en', entries });
    expect(retriever.search('my card was rejected', 'en')[0]?.id).toBe('declined');
  });
  it('is what makes the difference there (word vectors aside)', () => {
    const saved = { ...TUNING };
    TUNING.wordnetSynonym = 0;
    TUNING.semanticWeight = 0;
    try {
      const retriever = createRetriever({ defaultLang: 'en', entries });
      expect(retriever.search('my card was rejected', 'en')[0]?.id).not.toBe('declined');
    } finally {
      Object.assign(TUNING, saved);
    }
  });
});
