import { describe, expect, it } from 'vitest';
import { buildSearchIndex } from './search-index.js';
import { createScorer } from './scoring.js';
import { calibrate, logisticFit } from './calibration.js';
import type { FaqEntry } from './faq.js';

const en = (id: string, question: string, variants: string[] = []): FaqEntry => ({ id, question, variants, answer: '-', lang: 'en' });
const faq = [
  en('arrival', 'My card has still not arrived', ['When will I receive my new card?', 'Where is my card?']),
  en('fees', 'Are there fees for transfers?', ['What does a transfer cost?', 'Do you charge for sending money?']),
  en('pin', 'How do I change my PIN?', ['I want a new PIN', 'Reset my PIN code']),
  en('lost', 'I lost my card', ['My card was stolen', 'Someone took my wallet with the card']),
  en('limit', 'What is my spending limit?', ['How much can I spend per day?', 'Is there a maximum for payments?']),
  en('statement', 'Where do I find my statement?', ['I need a list of my payments', 'Can I download my transactions?']),
  en('address', 'How do I change my address?', ['I moved to a new home', 'Update where I live']),
  en('close', 'How do I close my account?', ['I want to cancel my account', 'Delete my account please']),
];

describe('calibration from the FAQ itself', () => {
  const index = buildSearchIndex({ defaultLang: 'en', entries: faq });
  const scorer = createScorer(index);
  const calibration = calibrate(index, scorer);
  const confidence = (q: string) => {
    const hits = scorer.raw(q, 'en');
    return hits.length ? calibration.top(hits) : 0;
  };

  it('puts a question worded like a phrasing above 0.5 and an unrelated one below', () => {
    expect(confidence('my wallet was stolen with the card in it')).toBeGreaterThanOrEqual(0.5);
    expect(confidence('do you sell pizza')).toBeLessThan(0.5);
  });

  it('keeps every confidence in [0, 1] and a lower entry never above the top one', () => {
    for (const q of ['change my pin', 'pin pin pin pin', 'weather tomorrow', 'card']) {
      const hits = scorer.raw(q, 'en');
      if (!hits.length) continue;
      const top = calibration.top(hits);
      expect(top).toBeGreaterThanOrEqual(0);
      expect(top).toBeLessThanOrEqual(1);
      for (const h of hits.slice(1)) expect(calibration.other(h, top)).toBeLessThanOrEqual(top);
    }
  });
});

describe('logistic fit of how often the top entry is right', () => {
  it('recovers a rising curve from labelled points', () => {
    const x: number[] = [];
    const y: number[] = [];
    // Right in 1 of 4 at 0.2, 2 of 4 at 0.5, 3 of 4 at 0.8.
    for (const [at, rights] of [
      [0.2, 1],
      [0.5, 2],
      [0.8, 3],
    ] as const)
      for (let k = 0; k < 4; k++) {
        x.push(at);
        y.push(k < rights ? 1 : 0);
      }
    const [a, b] = logisticFit(x, y);
    const p = (c: number) => 1 / (1 + Math.exp(-(a * c + b)));
    expect(p(0.5)).toBeCloseTo(0.5, 5);
    expect(p(0.2)).toBeLessThan(0.35);
    expect(p(0.8)).toBeGreaterThan(0.65);
  });
});
