// German synonyms from OpenThesaurus (LGPL-2.1, www.openthesaurus.de), a preprocessed copy shipped in
// server/lexicon/ and read from disk once per process: the German counterpart of wordnet.ts. Words are
// compared by their Snowball stems ("Symptome" finds the synset of "Symptom"): the file marks where
// each word's stem ends ("Symptom|e"), since stemming its 68,000 words would take over a second.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { foldUncached } from './text.js';

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
}

export function loadThesaurus({ path = GERMAN_THESAURUS_PATH, maxSynsetSize = 30 }: ThesaurusOptions = {}): Thesaurus {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  // Stems are numbered; a synset is a run of stem numbers, and each stem lists its synsets.
  const number = new Map<string, number>();
  const stems: string[] = [];
  const members: number[] = [];
  const setStart: number[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const words = line.split(';');
    if (words.length > maxSynsetSize) continue;
    const begin = members.length;
    setStart.push(begin);
    for (const word of words) {
      const bar = word.indexOf('|');
      const stem = foldUncached(bar < 0 ? word : word.slice(0, bar));
      let n = number.get(stem);
      if (n === undefined) {
        number.set(stem, (n = stems.length));
        stems.push(stem);
      }
      // Two words of a synset may share a stem ("Test", "Tests"): it is one member.
      if (members.indexOf(n, begin) < 0) members.push(n);
    }
  }
  setStart.push(members.length);
  const sets = setStart.length - 1;
  const setBegin = Int32Array.from(setStart);
  const setMembers = Int32Array.from(members);
  const stemStart = new Int32Array(stems.length + 1);
  for (const n of setMembers) stemStart[n + 1]! += 1;
  for (let n = 0; n < stems.length; n++) stemStart[n + 1]! += stemStart[n]!;
  const stemSets = new Int32Array(setMembers.length);
  const fill = stemStart.slice(0, stems.length);
  for (let id = 0; id < sets; id++) for (let m = setBegin[id]!; m < setBegin[id + 1]!; m++) stemSets[fill[setMembers[m]!]!++] = id;
  const cache = new Map<string, ThesaurusEntry | null>();
  return {
    synsets: sets,
    lookup(term) {
      const hit = cache.get(term);
      if (hit !== undefined) return hit;
      const n = number.get(term);
      let entry: ThesaurusEntry | null = null;
      if (n !== undefined) {
        const related = new Map<string, number>();
        for (let k = stemStart[n]!; k < stemStart[n + 1]!; k++) {
          const id = stemSets[k]!;
          for (let m = setBegin[id]!; m < setBegin[id + 1]!; m++) {
            const other = stems[setMembers[m]!]!;
            if (other !== term) related.set(other, (related.get(other) ?? 0) + 1);
          }
        }
        entry = { senses: stemStart[n + 1]! - stemStart[n]!, related };
      }
      if (cache.size >= CACHE_SIZE) cache.clear();
      cache.set(term, entry);
      return entry;
    },
  };
}

/** Look-ups kept (each costs a few microseconds; the cache spares the garbage of building the maps). */
const CACHE_SIZE = 20_000;

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
