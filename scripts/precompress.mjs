#!/usr/bin/env node
// Writes FILE.br and FILE.gz beside every text file of the given build folders (brotli quality 11,
// gzip level 9), so the server sends compressed bytes without compressing per request
// (server/src/http/static-files.ts). A variant that would not be smaller is not written.
// Usage: node scripts/precompress.mjs widget/dist server/console/dist
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Source maps are left out: only DevTools fetch them, and brotli 11 on them costs seconds per build. */
const TEXT = new Set(['.js', '.css', '.html', '.svg', '.json']);

export function precompress(dir) {
  const written = [];
  if (!existsSync(dir)) return written;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      written.push(...precompress(file));
      continue;
    }
    if (!TEXT.has(extname(name))) continue;
    const raw = readFileSync(file);
    const variants = {
      '.br': brotliCompressSync(raw, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
      }),
      '.gz': gzipSync(raw, { level: 9 }),
    };
    for (const [suffix, bytes] of Object.entries(variants)) {
      if (bytes.length < raw.length) {
        writeFileSync(file + suffix, bytes);
        written.push({ file: file + suffix, bytes: bytes.length, of: raw.length });
      } else rmSync(file + suffix, { force: true });
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const dir of process.argv.slice(2)) precompress(dir);
}
