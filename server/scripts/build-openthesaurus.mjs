#!/usr/bin/env node
// Regenerates server/lexicon/openthesaurus-de.txt.gz, the German thesaurus the FAQ bot reads, from
// OpenThesaurus's text export (LGPL-2.1, www.openthesaurus.de; Debian package openthesaurus-de-text,
// file /usr/share/openthesaurus-de/openthesaurus.txt):
//
//   node server/scripts/build-openthesaurus.mjs [/path/to/openthesaurus.txt]
//
// Kept: the single words of each synset (the bot matches words, not phrases), with usage notes such as
// "(ugs.)" or "(sich)" stripped; synsets left with fewer than two words are dropped. Output: one synset
// per line, words separated by ';', gzip-compressed. The data is deterministic for a given input.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

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
  if (terms.length >= 2) lines.push(terms.join(';'));
}
const generated = header.find((l) => /generated/i.test(l))?.replace(/^#\s*/, '') ?? 'unknown date';
const text = [
  `# OpenThesaurus (www.openthesaurus.de), ${generated}; Copyright (C) Daniel Naber and the OpenThesaurus contributors.`,
  '# GNU LGPL 2.1 or later (see LICENSE-openthesaurus.txt beside this file). Single words only, usage notes',
  '# removed, by server/scripts/build-openthesaurus.mjs. One synset per line.',
  ...lines,
  '',
].join('\n');
mkdirSync(dirname(target), { recursive: true });
const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
writeFileSync(target, gz);
console.log(`${lines.length} synsets, ${text.length} characters, ${gz.length} bytes gzipped → ${target}`);
