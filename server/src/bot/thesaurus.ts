// German synonyms from OpenThesaurus (LGPL-2.1, www.openthesaurus.de), a preprocessed copy shipped in
// server/lexicon/ and read from disk once per process: the German counterpart of wordnet.ts. Words are
// compared by their Snowball stems ("Symptome" finds the synset of "Symptom"); a word is stemmed only
// when a look-up needs it, since stemming all 67,000 words would cost over a second at load.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { foldUncached, stemUncached } from './text.js';

/** The file shipped with the server (the same path from src/bot/ and from dist/bot/). */
export const GERMAN_THESAURUS_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lexicon', 'openthesaurus-de.txt.gz');

export interface ThesaurusEntry {
  /** Synsets the word is in: a word in many is ambiguous, and each of its synonyms says less. */
  senses: number;
  /** Stems of its synonyms, each with the number of the word's synsets it is in. */
  related: Map<string, number>;
}

export interface Thesaurus {
  /** The synonyms of a German word given as its Snowball stem (folded); null when no listed word has that stem. */
  lookup(term: string): ThesaurusEntry | null;
  /** Synsets read. */
  readonly synsets: number;
}

export interface ThesaurusOptions {
  /** The gzip-compressed file: one synset per line, words separated by ';', '#' lines are comments. */
  path?: string;
  /** Synsets of more than this many words are left out: long lists are loose associations, not synonyms. */
  maxSynsetSize?: number;
  /** Letters an inflected form may have beyond its stem ("Symptom" + "e", "Maßnahme" + "n"). */
  maxEnding?: number;
}

/** Letters of the prefix index: also the shortest stem looked up (two-letter stems are mostly abbreviations). */
const PREFIX = 3;

export function loadThesaurus({ path = GERMAN_THESAURUS_PATH, maxSynsetSize = 30, maxEnding = 4 }: ThesaurusOptions = {}): Thesaurus {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  // Words are folded (the retriever's form) and numbered; synsets are runs of word numbers.
  const number = new Map<string, number>();
  const keys: string[] = [];
  const written = new Map<string, string>();
  const members: number[] = [];
  const setStart: number[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const words = line.split(';');
    if (words.length > maxSynsetSize) continue;
    setStart.push(members.length);
    for (const w of words) {
      const lower = w.toLowerCase();
      const key = foldUncached(lower);
      let n = number.get(key);
      if (n === undefined) {
        number.set(key, (n = keys.length));
        keys.push(key);
        // The stemmer wants the word as written (umlauts); kept only where folding changed it.
        if (lower !== key) written.set(key, lower);
      }
      members.push(n);
    }
  }
  setStart.push(members.length);
  number.clear();
  // Each word with the synsets it is in, and the words by their first letters (the prefix search of
  // a stem; sorting 67,000 words would cost more than all the rest of the load).
  const sets = setStart.length - 1;
  const setBegin = Int32Array.from(setStart);
  const setMembers = Int32Array.from(members);
  const wordStart = new Int32Array(keys.length + 1);
  for (const k of setMembers) wordStart[k + 1]! += 1;
  for (let k = 0; k < keys.length; k++) wordStart[k + 1]! += wordStart[k]!;
  const wordSets = new Int32Array(setMembers.length);
  const fill = wordStart.slice(0, keys.length);
  for (let s = 0; s < sets; s++) for (let m = setBegin[s]!; m < setBegin[s + 1]!; m++) wordSets[fill[setMembers[m]!]!++] = s;
  const byPrefix = new Map<string, number[]>();
  keys.forEach((key, k) => {
    const prefix = key.slice(0, PREFIX);
    const list = byPrefix.get(prefix);
    if (list) list.push(k);
    else byPrefix.set(prefix, [k]);
  });

  // Stems of words as look-ups need them; bounded by the thesaurus itself, like the look-ups.
  const stems = new Map<number, string>();
  const stemOf = (k: number): string => {
    let s = stems.get(k);
    if (s === undefined) stems.set(k, (s = stemUncached(written.get(keys[k]!) ?? keys[k]!, 'de')));
    return s;
  };
  const cache = new Map<string, ThesaurusEntry | null>();
  return {
    synsets: sets,
    lookup(term) {
      const hit = cache.get(term);
      if (hit !== undefined) return hit;
      // A stem begins every folded form of its word: the candidates are the listed words that begin
      // with it and are at most a few letters longer.
      const ids = new Set<number>();
      const own = new Set<number>();
      if (term.length >= PREFIX)
        for (const k of byPrefix.get(term.slice(0, PREFIX)) ?? []) {
          const key = keys[k]!;
          if (key.length > term.length + maxEnding || !key.startsWith(term) || stemOf(k) !== term) continue;
          own.add(k);
          for (let i = wordStart[k]!; i < wordStart[k + 1]!; i++) ids.add(wordSets[i]!);
        }
      let entry: ThesaurusEntry | null = null;
      if (ids.size) {
        const related = new Map<string, number>();
        for (const id of ids) {
          const seen = new Set<string>();
          for (let m = setBegin[id]!; m < setBegin[id + 1]!; m++) {
            const k = setMembers[m]!;
            if (own.has(k)) continue;
            const s = stemOf(k);
            if (s === term || seen.has(s)) continue;
            seen.add(s);
            related.set(s, (related.get(s) ?? 0) + 1);
          }
        }
        entry = { senses: ids.size, related };
      }
      cache.set(term, entry);
      return entry;
    },
  };
}

let german: Thesaurus | null | undefined;

/** The shipped German thesaurus, read on first use and kept; null when the file is missing or unreadable. */
export function germanThesaurus(): Thesaurus | null {
  if (german === undefined) {
    try {
      german = loadThesaurus();
    } catch {
      german = null;
    }
  }
  return german;
}
