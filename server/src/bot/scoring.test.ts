import { describe, expect, it } from 'vitest';
import { buildSearchIndex } from './search-index.js';
import { createScorer, feature } from './scoring.js';
import type { FaqEntry } from './faq.js';
import { TUNING } from './tuning.js';

const en = (id: string, question: string, variants: string[] = []): FaqEntry => ({ id, question, variants, answer: '-', lang: 'en' });
const entries = [
  en('arrival', 'My card has still not arrived', ['When will I receive my new card?']),
  en('fees', 'Are there fees for transfers?', ['What does a transfer cost?']),
  en('pin', 'How do I change my PIN?', ['I want a new PIN']),
];

describe('scoring', () => {
  const index = buildSearchIndex({ defaultLang: 'en', entries });
  const { raw } = createScorer(index);

  it('ranks the entry sharing the question words first, with the share of words it covers', () => {
    const hits = raw('change my pin', 'en');
    expect(hits[0]).toMatchObject({ entry: 2, coverage: 1 });
    expect(hits[0]!.score).toBeGreaterThan(hits[1]?.score ?? 0);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });

  it('leaves out a phrasing, or a whole entry, when asked to (the calibration probes)', () => {
    const own = index.phrasingDoc[5]!; // "I want a new PIN"
    const without = raw('I want a new PIN', 'en', { docs: [own, index.pooledDoc[2]!] });
    const withIt = raw('I want a new PIN', 'en');
    expect(without[0]!.score).toBeLessThan(withIt[0]!.score);
    expect(raw('I want a new PIN', 'en', { entry: 2 }).some((h) => h.entry === 2)).toBe(false);
  });

  it('gives the same ranking for the same question twice (the accumulators are reset)', () => {
    expect(raw('transfer fees', 'en')).toEqual(raw('transfer fees', 'en'));
  });

  it('makes one feature of the top score, its coverage and the margin to the second entry', () => {
    const clear = feature([
      { score: 1, coverage: 1 },
      { score: 0.2, coverage: 0 },
    ]);
    const close = feature([
      { score: 1, coverage: 1 },
      { score: 0.9, coverage: 0 },
    ]);
    const partial = feature([
      { score: 1, coverage: 0.5 },
      { score: 0.2, coverage: 0 },
    ]);
    expect(clear).toBeGreaterThan(close);
    expect(clear).toBeGreaterThan(partial);
  });
});

describe('English irregular forms (irregular-en.ts)', () => {
  const faq = [
    en('pay', 'How can I pay with a credit card?', ['Which cards can I pay with?']),
    en('fees', 'Are there fees for transfers?', ['What does a transfer cost?']),
    en('lost', 'I lost my card', ['My card is lost']),
  ];
  const { raw } = createScorer(buildSearchIndex({ defaultLang: 'en', entries: faq }));

  it('a form the FAQ does not use finds the base it uses, and a base the forms it uses', () => {
    // "paid" is two edits from "pay": no typo correction reaches it, the irregular form does.
    expect(raw('I paid twice', 'en')[0]).toMatchObject({ entry: 0 });
    // "lose" is the base of "lost", which the FAQ uses.
    expect(raw('what if I lose it', 'en')[0]).toMatchObject({ entry: 2 });
  });
});

describe('German derivations (derivations-de.ts)', () => {
  const de = (id: string, question: string): FaqEntry => ({ id, question, variants: [], answer: '-', lang: 'de' });
  const faq = [
    de('impfung', 'Wo bekomme ich eine Impfung?'),
    de('versand', 'Wie lange dauert der Versand?'),
    de('termin', 'Wo bekomme ich einen Termin?'),
  ];
  const scoreOf = (question: string, entry: number) => {
    const hits = createScorer(buildSearchIndex({ defaultLang: 'de', entries: faq })).raw(question, 'de');
    return { first: hits[0]?.entry, score: hits.find((h) => h.entry === entry)?.score ?? 0 };
  };

  it('a verb form finds the entry with its noun, and counts for more than without the derivation', () => {
    const questions: [string, number][] = [
      ['Wo kann ich mich impfen lassen?', 0],
      ['Wann wird es versendet?', 1],
    ];
    const weight = TUNING.derivationWeight;
    const withIt = questions.map(([q, e]) => scoreOf(q, e));
    TUNING.derivationWeight = 0;
    try {
      const without = questions.map(([q, e]) => scoreOf(q, e));
      questions.forEach(([, e], i) => {
        expect(withIt[i]!.first).toBe(e);
        expect(withIt[i]!.score).toBeGreaterThan(without[i]!.score);
      });
    } finally {
      TUNING.derivationWeight = weight;
    }
  });
});
