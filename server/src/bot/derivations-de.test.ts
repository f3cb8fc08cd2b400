import { describe, expect, it } from 'vitest';
import { germanBase } from './derivations-de.js';
import { dictionaryLexicon } from './compounds.js';
import { fold, stem } from './text.js';

const lexicon = dictionaryLexicon();
const known = {
  word: (w: string) => lexicon.words.has(w),
  noun: (w: string) => lexicon.nouns.has(w),
  verb: (w: string) => lexicon.verbs.has(w),
};
/** The stem a word is indexed under with its derivation: its base's, or its own. */
const family = (word: string) => stem(germanBase(word, known) ?? fold(word), 'de');

describe('German derivations (derivations-de.ts)', () => {
  it('leads nouns, adjectives and verb forms back to the word they come from', () => {
    expect(germanBase('Impfung', known)).toBe('impfen');
    expect(germanBase('Stornierung', known)).toBe('stornieren');
    expect(germanBase('Versand', known)).toBe('versenden');
    expect(germanBase('Krankheit', known)).toBe('krank');
    expect(germanBase('Verfügbarkeit', known)).toBe('verfugen');
    expect(germanBase('angemeldet', known)).toBe('anmelden');
    expect(germanBase('abgeschlossen', known)).toBe('abschliessen');
    expect(germanBase('Antrag', known)).toBe('beantragen');
  });

  it.each([
    ['Impfung', 'impfen'],
    ['Impfungen', 'geimpft'],
    ['Versand', 'versenden'],
    ['versandt', 'Versand'],
    ['Lieferung', 'liefern'],
    ['geliefert', 'Lieferung'],
    ['lieferbar', 'Lieferung'],
    ['Bestellung', 'bestellt'],
    ['bestellte', 'bestellen'],
    ['Stornierung', 'storniert'],
    ['Anmeldung', 'angemeldet'],
    ['anzumelden', 'Anmeldung'],
    ['Erkrankung', 'erkrankt'],
    ['Krankheit', 'krank'],
    ['Möglichkeit', 'möglich'],
    ['Gültigkeit', 'gültig'],
    ['Verfügbarkeit', 'verfügbar'],
    ['ärztlich', 'Arzt'],
    ['Antrag', 'beantragen'],
    ['Angebote', 'anbieten'],
    ['Rückgabe', 'zurückgeben'],
    ['Abschluss', 'abgeschlossen'],
  ])('%s and %s reach the same stem', (a, b) => {
    expect(family(a)).toBe(family(b));
  });

  it.each([
    ['Zeitung', 'Zeit'],
    ['Haut', 'hauen'],
    ['Kosten', 'kosen'],
    ['Rechte', 'rechen'],
    ['Zahl', 'bezahlen'],
    ['Aufgabe', 'aufgeben'],
    ['Zugang', 'zugehen'],
    ['Sorge', 'besorgen'],
    ['Stelle', 'bestellen'],
    ['wirklich', 'wirken'],
    ['Schluss', 'schließen'],
  ])('%s and %s stay apart', (a, b) => {
    expect(family(a)).not.toBe(family(b));
  });

  it('proposes only bases that are words', () => {
    expect(germanBase('Zeitung', known)).toBeNull();
    expect(germanBase('Quarantäne', known)).toBeNull();
    // A word the dictionary lacks counts when the FAQ uses it.
    expect(germanBase('Coronatestung', known)).toBeNull();
    expect(germanBase('Coronatestung', { ...known, verb: (w) => w === 'coronatesten' || known.verb(w) })).toBe('coronatesten');
  });
});
