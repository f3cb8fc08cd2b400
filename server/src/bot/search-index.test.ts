import { describe, expect, it } from 'vitest';
import { buildSearchIndex } from './search-index.js';
import type { FaqEntry } from './faq.js';

const entry = (id: string, question: string, variants: string[], lang: 'de' | 'en', answer = '-'): FaqEntry => ({
  id,
  question,
  variants,
  answer,
  lang,
});

describe('search index', () => {
  const index = buildSearchIndex({
    defaultLang: 'de',
    entries: [
      entry('versand', 'Wie lange dauert der Versand?', ['Wann kommt mein Paket an?'], 'de', 'Zwei Werktage.'),
      entry('zahlung', 'Welche Zahlungsarten gibt es?', [], 'de', 'Kreditkarte und Rechnung.'),
    ],
  });

  it('holds one document per phrasing, one per answer and one per entry with its phrasings pooled', () => {
    expect(index.docs.filter((d) => !d.answer)).toHaveLength(3);
    expect(index.docs.filter((d) => d.answer && !d.pooled)).toHaveLength(2);
    expect(index.pooledDoc.map((di) => index.docs[di]!.entry)).toEqual([0, 1]);
    expect(index.phrasingDoc.map((di) => index.phrasingText(di))).toEqual([
      'Wie lange dauert der Versand?',
      'Wann kommt mein Paket an?',
      'Welche Zahlungsarten gibt es?',
    ]);
  });

  it('indexes German compound parts and word beginnings beside the whole word', () => {
    expect(index.vocabulary.has('zahlungsart')).toBe(true);
    expect(index.vocabulary.has('zahlung')).toBe(true);
    expect(index.vocabulary.has('~zahlun')).toBe(true);
  });

  it('corrects a typo to the closest known term and gives rarer terms a higher idf', () => {
    expect(index.correct('versnd')).toBe('versand');
    expect(index.correct('xylophon')).toBeNull();
    expect(index.idf('versand')).toBeGreaterThan(0);
    expect(index.idf('unbekannt')).toBeGreaterThan(index.idf('versand'));
  });

  it('builds word vectors only for a FAQ with English entries', () => {
    expect(index.semantic).toBeNull();
    const english = buildSearchIndex({ defaultLang: 'en', entries: [entry('pin', 'How do I change my PIN?', [], 'en')] });
    expect(english.semantic).not.toBeNull();
  });
});
