#!/usr/bin/env node
// Regenerates server/lexicon/openthesaurus-de.txt.gz, the German thesaurus the FAQ bot reads, from
// OpenThesaurus's text export (LGPL-2.1, www.openthesaurus.de; Debian package openthesaurus-de-text,
// file /usr/share/openthesaurus-de/openthesaurus.txt). Build the server first (it uses its stemmer):
//
//   node scripts/build.mjs && node server/scripts/build-openthesaurus.mjs [/path/to/openthesaurus.txt]
//
// Kept: the single words of each synset (the bot matches words, not phrases), with usage notes such as
// "(ugs.)" or "(sich)" stripped; synsets left with fewer than two words are dropped. Output: one synset
// per line, words separated by ';', gzip-compressed. A '|' inside a word marks where its Snowball stem
// ends ("Symptom|e"; none: the whole word), so that the server need not stem 68,000 words at run time
// (the stemmer takes about 20 µs a word); thesaurus.test.ts checks the marks against the stemmer.
// The output is deterministic for a given input.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { foldUncached, stemUncached } from '../dist/bot/text.js';

/** The word with '|' where its stem ends, as the bot stems it (lower case, folded). */
function marked(word) {
  const lower = word.toLowerCase();
  const stem = stemUncached(lower, 'de');
  if (foldUncached(lower) === stem) return word;
  for (let i = 0; i < lower.length; i++) if (foldUncached(lower.slice(0, i)) === stem) return `${word.slice(0, i)}|${word.slice(i)}`;
  throw new Error(`the stem of ${word} (${stem}) does not begin the word`);
}

const source = process.argv[2] ?? '/usr/share/openthesaurus-de/openthesaurus.txt';
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'lexicon', 'openthesaurus-de.txt.gz');

// One word: letters only (hyphenated terms and abbreviations with dots are phrases to the bot's tokenizer).
const WORD = /^\p{L}{2,40}$/u;

const lines = [];
const header = [];
for (const line of readFileSync(source, 'utf8').split('\n')) {
  if (line.startsWith('#')) {
    header.push(line);
    continue;
  }
  const seen = new Set();
  const terms = [];
  for (const raw of line.split(';')) {
    const term = raw
      .replace(/\([^)]*\)/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (!WORD.test(term)) continue;
    const key = term.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(term);
  }
  if (terms.length >= 2) lines.push(terms.map(marked).join(';'));
}
const generated = header.find((l) => /generated/i.test(l))?.replace(/^#\s*/, '') ?? 'unknown date';
const text = [
  `# OpenThesaurus (www.openthesaurus.de), ${generated}; Copyright (C) Daniel Naber and the OpenThesaurus contributors.`,
  '# GNU LGPL 2.1 or later (see LICENSE-openthesaurus.txt beside this file). Single words only, usage notes',
  "# removed, '|' where the Snowball stem ends, by server/scripts/build-openthesaurus.mjs. One synset per line.",
  ...lines,
  '',
].join('\n');
mkdirSync(dirname(target), { recursive: true });
const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
writeFileSync(target, gz);
console.log(`${lines.length} synsets, ${text.length} characters, ${gz.length} bytes gzipped → ${target}`);
