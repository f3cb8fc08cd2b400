import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GERMAN_THESAURUS_PATH, germanThesaurus, loadThesaurus } from './thesaurus.js';
import { createRetriever } from './retrieval.js';
import { TUNING } from './tuning.js';
import { foldUncached, stem } from './text.js';
import type { FaqEntry } from './faq.js';

// Stems as the retriever makes them: of the word in lower case.
const de = (word: string) => stem(word.toLowerCase(), 'de');
const related = (word: string) => [...(germanThesaurus()!.lookup(de(word))?.related.keys() ?? [])];

describe('the German thesaurus (OpenThesaurus, shipped in server/lexicon/)', () => {
  it('is read once per process and stays small on disk', () => {
    const thesaurus = germanThesaurus();
    expect(thesaurus).not.toBeNull();
    expect(germanThesaurus()).toBe(thesaurus);
    expect(thesaurus!.synsets).toBeGreaterThan(20_000);
    expect(statSync(GERMAN_THESAURUS_PATH).size).toBeLessThan(1_000_000);
  });

  it('finds synonyms by stem, whatever the inflection on either side', () => {
    expect(related('Gutscheine')).toContain(de('Coupon'));
    expect(related('Preisnachlässe')).toContain(de('Rabatt'));
    expect(related('Anschriften')).toContain(de('Adresse'));
  });

  it('lists words whose entry carried a usage note ("Arbeitsunfähigkeitsbescheinigung (Amtsdeutsch)")', () => {
    expect(related('Krankschreibung')).toContain(de('Arbeitsunfähigkeitsbescheinigung'));
  });

  it('counts the senses of a word and how many of them each synonym shares', () => {
    const rechnung = germanThesaurus()!.lookup(de('Rechnung'))!;
    expect(rechnung.senses).toBeGreaterThanOrEqual(4);
    expect(rechnung.related.get(de('Abrechnung'))).toBe(2);
    expect(germanThesaurus()!.lookup(de('Abonnement'))!.senses).toBe(1);
  });

  it('knows nothing of non-words', () => {
    expect(germanThesaurus()!.lookup('qwxzvk')).toBeNull();
    expect(germanThesaurus()!.lookup('')).toBeNull();
  });

  it("marks each word's stem where the stemmer the bot uses ends it", () => {
    const lines = gunzipSync(readFileSync(GERMAN_THESAURUS_PATH)).toString('utf8').split('\n');
    const words = lines.filter((l) => l && !l.startsWith('#')).flatMap((l) => l.split(';'));
    expect(words.length).toBeGreaterThan(80_000);
    // Every 10th word (all of them take the stemmer about two seconds).
    for (let i = 0; i < words.length; i += 10) {
      const word = words[i]!;
      const bar = word.indexOf('|');
      const marked = foldUncached(bar < 0 ? word : word.slice(0, bar));
      expect([word, marked]).toEqual([word, stem(word.replace('|', '').toLowerCase(), 'de')]);
    }
  });

  it('leaves out synsets longer than maxSynsetSize', () => {
    const strict = loadThesaurus({ maxSynsetSize: 3 });
    expect(strict.synsets).toBeLessThan(germanThesaurus()!.synsets);
    // "Abo;Abonnement;Dauerbestellung" has three words, "Bon;Quittung;Kassenbon;Beleg;Kassenzettel" five.
    expect(strict.lookup(de('Abonnement'))).not.toBeNull();
    expect(strict.lookup(de('Kassenzettel'))).toBeNull();
  });
});

describe('retrieval with the German thesaurus', () => {
  const entry = (id: string, question: string): FaqEntry => ({ id, question, variants: [], answer: '-', lang: 'de' });
  const entries = [
    entry('rabatt', 'Gibt es einen Rabatt für Studenten?'),
    entry('versand', 'Gibt es einen Versand ins Ausland?'),
    entry('konto', 'Wie lösche ich mein Konto?'),
  ];
  const ask = 'Gibt es einen Preisnachlass?';

  it('matches a question word the FAQ does not use through its synonym', () => {
    const hits = createRetriever({ defaultLang: 'de', entries }).search(ask, 'de');
    expect(hits[0]?.id).toBe('rabatt');
    expect(hits[0]!.score).toBeGreaterThan(3 * hits[1]!.score);
  });

  it('is what makes the difference there, and scores no higher than the word the FAQ uses', () => {
    const synonym = createRetriever({ defaultLang: 'de', entries }).search(ask, 'de')[0]!;
    const direct = createRetriever({ defaultLang: 'de', entries }).search('Gibt es einen Rabatt?', 'de')[0]!;
    expect(synonym.score).toBeLessThanOrEqual(direct.score);
    const saved = TUNING.thesaurusWeight;
    TUNING.thesaurusWeight = 0;
    try {
      const hits = createRetriever({ defaultLang: 'de', entries }).search(ask, 'de');
      expect(hits[0]!.score).toBeLessThan(synonym.score / 3);
      expect(hits[0]!.score).toBeLessThan(2 * (hits[1]?.score ?? 0));
    } finally {
      TUNING.thesaurusWeight = saved;
    }
  });

  it('expands a word the FAQ uses elsewhere too, with less weight ("Coupon" in one answer, "Gutschein" in the right question)', () => {
    const shop = [
      entry('gutschein', 'Wo löse ich einen Gutschein ein?'),
      { ...entry('newsletter', 'Wie melde ich mich zum Newsletter an?'), answer: 'Mit dem Newsletter erhalten Sie einen Coupon.' },
      entry('konto', 'Wie lösche ich mein Konto?'),
    ];
    const question = 'Wo kann ich meinen Coupon nutzen?';
    const withKnown = createRetriever({ defaultLang: 'de', entries: shop }).search(question, 'de');
    const direct = createRetriever({ defaultLang: 'de', entries: shop }).search('Wo kann ich meinen Gutschein nutzen?', 'de')[0]!;
    const saved = TUNING.thesaurusKnown;
    TUNING.thesaurusKnown = 0;
    try {
      const without = createRetriever({ defaultLang: 'de', entries: shop }).search(question, 'de');
      expect(withKnown[0]!.id).toBe('gutschein');
      expect(withKnown[0]!.score).toBeGreaterThan(1.5 * without.find((h) => h.id === 'gutschein')!.score);
      expect(withKnown[0]!.score).toBeLessThan(direct.score);
    } finally {
      TUNING.thesaurusKnown = saved;
    }
  });
});
