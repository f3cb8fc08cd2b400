// German compound words split into their parts with a real word list (the Hunspell de_DE dictionary
// from `dictionary-de`), so that "Behandlungsmöglichkeiten" also matches "Behandlung" and
// "Möglichkeit", and "Coronatest" matches "Test". The FAQ's own words count as known words too.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fold } from './text.js';

const require = createRequire(import.meta.url);

export interface CompoundSplitOptions {
  /** Words known besides the dictionary (folded), e.g. the FAQ's own vocabulary. */
  known?: (word: string) => boolean;
  /** Shortest first part (folded letters). */
  minHead?: number;
  /** Shortest last part: short tails ("ung", "ein") are where false splits come from. */
  minTail?: number;
  /** Most parts a word is split into. */
  maxParts?: number;
}

/** Shortest word that is tried at all. */
export const MIN_COMPOUND_LENGTH = 7;

/** The dictionary's words (folded), and which of them it lists as nouns and as verbs. */
export interface Lexicon {
  words: Set<string>;
  /** Entries written with a capital (nouns, and infinitives used as nouns). */
  nouns: Set<string>;
  /** Lower-case entries with the dictionary's conjugation flags (D, I): verbs. */
  verbs: Set<string>;
}

let lexicon: Lexicon | null = null;

/**
 * The dictionary's words (folded, lower case), parsed once per process on first use (~0.2 s).
 * Without the package (a site may leave out its GPL word list) the set is empty and compounds are
 * split with the FAQ's own words only.
 */
export function dictionaryWords(): Set<string> {
  return dictionaryLexicon().words;
}

export function dictionaryLexicon(): Lexicon {
  if (lexicon) return lexicon;
  const found: Lexicon = { words: new Set(), nouns: new Set(), verbs: new Set() };
  let text: string;
  try {
    text = readFileSync(join(dirname(require.resolve('dictionary-de')), 'index.dic'), 'utf8');
  } catch {
    lexicon = found;
    return found;
  }
  for (const line of text.split('\n')) {
    const slash = line.indexOf('/');
    const raw = (slash >= 0 ? line.slice(0, slash) : line).trim();
    if (raw.length < 3 || raw.length > 30) continue;
    const w = fold(raw);
    if (!/^[a-z]+$/.test(w)) continue;
    found.words.add(w);
    if (raw[0] !== raw[0]!.toLowerCase()) found.nouns.add(w);
    else if (slash >= 0 && /[DI]/.test(line.slice(slash + 1))) found.verbs.add(w);
  }
  lexicon = found;
  return found;
}

// Inflection endings a last part may carry ("Möglichkeiten" → "Möglichkeit"), and linking
// elements a first part may carry ("Behandlungs-", "Schwangeren-"): grammar, not data.
const TAIL_ENDINGS = ['en', 'n', 'e', 's', 'es', 'er', 'ern', 'nen'];
const LINKS = ['s', 'es', 'n', 'en', 'e', 'er'];

/** Parts of a German compound (folded surface forms), or [] when the word is not one. */
export function splitCompound(word: string, options: CompoundSplitOptions = {}): string[] {
  const { known, minHead = 3, minTail = 4, maxParts = 3 } = options;
  const w = fold(word);
  if (w.length < MIN_COMPOUND_LENGTH || !/^[a-z]+$/.test(w)) return [];
  const dict = dictionaryWords();
  const listed = (s: string) => s.length >= 3 && (dict.has(s) || (known?.(s) ?? false));
  // Nouns in -ung from verbs the dictionary lists only as verbs ("Untersuchung" ← "untersuchen").
  const isWord = (s: string): boolean => {
    if (listed(s)) return true;
    const ung = /ung(en)?$/.exec(s);
    return ung !== null && ung.index >= 4 && listed(`${s.slice(0, ung.index)}en`);
  };
  const isTail = (t: string): boolean => {
    if (isWord(t)) return true;
    for (const end of TAIL_ENDINGS) if (t.length - end.length >= minTail && t.endsWith(end) && listed(t.slice(0, -end.length))) return true;
    return false;
  };
  const split = (s: string, parts: number): string[] | null => {
    // The longest known last part first: in German the last part carries the meaning.
    for (let i = minHead; i <= s.length - minTail; i++) {
      const tail = s.slice(i);
      if (!isTail(tail)) continue;
      const head = s.slice(0, i);
      if (isWord(head)) return [head, tail];
      for (const link of LINKS)
        if (head.length - link.length >= minHead && head.endsWith(link) && isWord(head.slice(0, -link.length)))
          return [head.slice(0, -link.length), tail];
      if (parts > 2) {
        const inner = split(head, parts - 1);
        if (inner) return [...inner, tail];
      }
    }
    return null;
  };
  return split(w, maxParts) ?? [];
}
