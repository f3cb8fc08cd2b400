// Images are stored without their metadata: EXIF (a phone photo's GPS position, its camera serial),
// XMP, IPTC, comments, and whatever trails the image (a polyglot's second file). Each format is a
// small streaming parser that copies the segments an image needs and drops the rest, so a 10 MB
// photo passes through in the upload's chunks and is never held whole. A JPEG keeps its
// orientation as a minimal EXIF block of one tag (without it a phone's portrait photo lies on its
// side). The parsers also read the image's size from its header, and refuse what is not a valid
// image of the type its magic number claims. HEIF (an iPhone's HEIC photo) cannot be rewritten
// without moving its picture's bytes, so its metadata is overwritten with zeros in place.
import { ErrorCode } from '@servus/shared';
import { ServusError } from '../core/errors.js';

/** What a parser asks of the stream: bytes to look at, to copy, to drop, or to add. */
type Op =
  | { read: number }
  | { pass: number }
  | { skip: number }
  | { emit: Buffer }
  /** JPEG entropy-coded data: copy up to the next marker and answer with the marker's byte. */
  | { scan: true }
  /** Write a little-endian u32 at `at` of the output once it is complete: its length minus `minus`. */
  | { patchLength: { at: number; minus: number } }
  /** The input may end here (a file of boxes has no end marker). */
  | { mayEnd: true };

type Parser = Generator<Op, void, unknown>;

export interface ImageFacts {
  width: number;
  height: number;
}

/** A patch to the output's first bytes, known only at the end (WebP's RIFF length). */
export interface HeadPatch {
  at: number;
  bytes: Buffer;
}

export interface Rewriter {
  /** The output for this input chunk (views of it, or small new buffers). */
  push(chunk: Buffer): Buffer[];
  /** The end of the input: throws when the image stopped short. */
  end(): { patches: HeadPatch[] };
  readonly facts: ImageFacts | null;
}

const invalid = (type: string) => new ServusError(ErrorCode.UNSUPPORTED_TYPE, `The file is not a valid ${type} image.`);

/** The rewriter for a sniffed type: a parser for images, a copy for anything else. */
export function rewriterFor(type: string): Rewriter {
  const facts: { value: ImageFacts | null } = { value: null };
  const setFacts = (f: ImageFacts) => (facts.value = f);
  switch (type) {
    case 'image/jpeg':
      return run(jpeg(setFacts), 'JPEG', facts);
    case 'image/png':
      return run(png(setFacts), 'PNG', facts);
    case 'image/gif':
      return run(gif(setFacts), 'GIF', facts);
    case 'image/webp':
      return run(webp(setFacts), 'WebP', facts);
    case 'image/heic':
    case 'image/heif':
      return run(heif(), 'HEIF', facts);
    default:
      return { push: (chunk) => [chunk], end: () => ({ patches: [] }), facts: null };
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Drives a parser over pushed chunks; bytes after the parser's end (a trailer) are dropped. */
function run(parser: Parser, name: string, facts: { value: ImageFacts | null }): Rewriter {
  let buf = EMPTY;
  let out: Buffer[] = [];
  let written = 0;
  let remaining = 0;
  let op: Op | undefined;
  let done = false;
  /** The parser said the input may end here, and nothing was read since. */
  let mayEnd = false;
  const patches: { at: number; minus: number }[] = [];
  const output = (b: Buffer) => {
    if (!b.length) return;
    out.push(b);
    written += b.length;
  };
  const advance = (value?: unknown) => {
    let r: IteratorResult<Op, void>;
    try {
      r = parser.next(value);
    } catch (err) {
      throw err instanceof ServusError ? err : invalid(name);
    }
    if (r.done) {
      done = true;
      op = undefined;
      return;
    }
    op = r.value;
    if ('pass' in op) remaining = op.pass;
    else if ('skip' in op) remaining = op.skip;
  };
  advance();

  function step(): boolean {
    const o = op!;
    if ('emit' in o) {
      output(o.emit);
      advance();
      return true;
    }
    if ('patchLength' in o) {
      patches.push(o.patchLength);
      advance();
      return true;
    }
    if ('mayEnd' in o) {
      mayEnd = true;
      advance();
      return true;
    }
    if (buf.length) mayEnd = false;
    if ('read' in o) {
      if (buf.length < o.read) return false;
      const bytes = Buffer.from(buf.subarray(0, o.read));
      buf = buf.subarray(o.read);
      advance(bytes);
      return true;
    }
    if ('pass' in o || 'skip' in o) {
      const n = Math.min(remaining, buf.length);
      if ('pass' in o) output(buf.subarray(0, n));
      buf = buf.subarray(n);
      remaining -= n;
      if (remaining > 0) return false;
      advance();
      return true;
    }
    // scan: copy entropy-coded bytes up to a marker (FF followed by neither 00, FF nor RSTn).
    let from = 0;
    for (;;) {
      const j = buf.indexOf(0xff, from);
      if (j < 0 || j + 1 >= buf.length) {
        const cut = j < 0 ? buf.length : j;
        output(buf.subarray(0, cut));
        buf = buf.subarray(cut);
        return false;
      }
      const m = buf[j + 1]!;
      if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) {
        from = j + 1;
        continue;
      }
      output(buf.subarray(0, j));
      buf = buf.subarray(j + 2);
      advance(m);
      return true;
    }
  }

  return {
    get facts() {
      return facts.value;
    },
    push(chunk) {
      if (done) return [];
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (!done && step());
      if (done) buf = EMPTY;
      const result = out;
      out = [];
      return result;
    },
    end() {
      if (!done && !(mayEnd && !buf.length)) throw invalid(name);
      return {
        patches: patches.map((p) => {
          const bytes = Buffer.alloc(4);
          bytes.writeUInt32LE(written - p.minus);
          return { at: p.at, bytes };
        }),
      };
    },
  };
}

/** Images larger than this (either side, or in pixels) are refused: a decompression bomb for whoever views it. */
export const MAX_IMAGE_SIDE = 20_000;
export const MAX_IMAGE_PIXELS = 60_000_000;

function checked(width: number, height: number, name: string): ImageFacts {
  if (!width || !height) throw invalid(name);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new ServusError(
      ErrorCode.TOO_LARGE,
      `Images may have at most ${MAX_IMAGE_PIXELS / 1e6} megapixels (${MAX_IMAGE_SIDE} px a side).`,
    );
  }
  return { width, height };
}

// -----------------------------------------------------------------------------------------------
// JPEG: segments up to each scan; kept are the ones decoding needs (tables, frame, scans, restart
// intervals), JFIF (APP0), an ICC profile (APP2) and Adobe's colour transform (APP14).

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function* jpeg(setFacts: (f: ImageFacts) => void): Parser {
  const soi = (yield { read: 2 }) as Buffer;
  if (soi[0] !== 0xff || soi[1] !== 0xd8) throw invalid('JPEG');
  yield { emit: soi };
  let orientation = 1;
  let orientationWritten = false;
  let sawFrame = false;
  const nextMarker = function* (): Generator<Op, number, unknown> {
    let b = ((yield { read: 1 }) as Buffer)[0]!;
    if (b !== 0xff) throw invalid('JPEG');
    while (b === 0xff) b = ((yield { read: 1 }) as Buffer)[0]!;
    return b;
  };
  let marker = yield* nextMarker();
  for (;;) {
    if (marker === 0xd9) {
      if (!sawFrame) throw invalid('JPEG');
      yield { emit: Buffer.from([0xff, 0xd9]) };
      return;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      yield { emit: Buffer.from([0xff, marker]) };
      marker = yield* nextMarker();
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) throw invalid('JPEG');
    const lengthBytes = (yield { read: 2 }) as Buffer;
    const length = lengthBytes.readUInt16BE(0);
    if (length < 2) throw invalid('JPEG');
    const body = length - 2;
    const isApp = marker >= 0xe0 && marker <= 0xef;
    if (!isApp && !orientationWritten) {
      orientationWritten = true;
      if (orientation !== 1) yield { emit: orientationExif(orientation) };
    }
    if (marker === 0xe1) {
      const data = (yield { read: body }) as Buffer;
      orientation = exifOrientation(data) ?? orientation;
    } else if (marker === 0xe2) {
      const data = (yield { read: body }) as Buffer;
      if (data.subarray(0, 12).toString('latin1') === 'ICC_PROFILE\0')
        yield { emit: Buffer.concat([Buffer.from([0xff, marker]), lengthBytes, data]) };
    } else if (isApp && marker !== 0xe0 && marker !== 0xee) {
      yield { skip: body };
    } else if (marker === 0xfe) {
      yield { skip: body };
    } else if (isSof(marker)) {
      const data = (yield { read: body }) as Buffer;
      if (data.length < 5) throw invalid('JPEG');
      const height = data.readUInt16BE(1);
      const width = data.readUInt16BE(3);
      // Orientations 5 to 8 turn the picture a quarter: shown, its sides swap.
      setFacts(orientation >= 5 ? checked(height, width, 'JPEG') : checked(width, height, 'JPEG'));
      sawFrame = true;
      yield { emit: Buffer.concat([Buffer.from([0xff, marker]), lengthBytes, data]) };
    } else {
      yield { emit: Buffer.concat([Buffer.from([0xff, marker]), lengthBytes]) };
      yield { pass: body };
    }
    if (marker === 0xda) {
      if (!sawFrame) throw invalid('JPEG');
      marker = (yield { scan: true }) as number;
    } else marker = yield* nextMarker();
  }
}

/** The Orientation tag (0x0112) of an APP1 EXIF block, if it has one. */
export function exifOrientation(data: Buffer): number | null {
  if (data.length < 14 || data.subarray(0, 6).toString('latin1') !== 'Exif\0\0') return null;
  const tiff = data.subarray(6);
  const little = tiff.subarray(0, 2).toString('latin1') === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  try {
    const ifd = u32(4);
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (u16(entry) === 0x0112) {
        const value = u16(entry + 8);
        return value >= 1 && value <= 8 ? value : null;
      }
    }
  } catch {
    return null; // an offset beyond the block
  }
  return null;
}

/** An APP1 EXIF block with nothing but the orientation (big-endian TIFF, one IFD entry). */
function orientationExif(orientation: number): Buffer {
  const b = Buffer.alloc(2 + 2 + 6 + 8 + 2 + 12 + 4);
  b.writeUInt16BE(0xffe1, 0);
  b.writeUInt16BE(b.length - 2, 2);
  b.write('Exif\0\0', 4, 'latin1');
  b.write('MM', 10, 'latin1');
  b.writeUInt16BE(42, 12);
  b.writeUInt32BE(8, 14); // IFD0 right after the TIFF header
  b.writeUInt16BE(1, 18); // one entry
  b.writeUInt16BE(0x0112, 20);
  b.writeUInt16BE(3, 22); // SHORT
  b.writeUInt32BE(1, 24);
  b.writeUInt16BE(orientation, 28);
  b.writeUInt32BE(0, 32); // no next IFD
  return b;
}

// -----------------------------------------------------------------------------------------------
// PNG: the chunks that decide how it looks; text (tEXt, zTXt, iTXt), eXIf, tIME and any private
// chunk are dropped, and so is anything after IEND.

const PNG_KEEP = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'gAMA',
  'cHRM',
  'sRGB',
  'iCCP',
  'sBIT',
  'bKGD',
  'pHYs',
  'cICP',
  'acTL',
  'fcTL',
  'fdAT',
]);

function* png(setFacts: (f: ImageFacts) => void): Parser {
  const signature = (yield { read: 8 }) as Buffer;
  if (!signature.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw invalid('PNG');
  yield { emit: signature };
  let first = true;
  for (;;) {
    const header = (yield { read: 8 }) as Buffer;
    const length = header.readUInt32BE(0);
    const type = header.subarray(4, 8).toString('latin1');
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) throw invalid('PNG');
    if (first) {
      if (type !== 'IHDR' || length !== 13) throw invalid('PNG');
      const data = (yield { read: 17 }) as Buffer;
      setFacts(checked(data.readUInt32BE(0), data.readUInt32BE(4), 'PNG'));
      yield { emit: Buffer.concat([header, data]) };
      first = false;
      continue;
    }
    if (PNG_KEEP.has(type)) {
      yield { emit: header };
      yield { pass: length + 4 };
    } else yield { skip: length + 4 };
    if (type === 'IEND') return;
  }
}

// -----------------------------------------------------------------------------------------------
// GIF: frames, their control blocks and the looping extension; comments and other application
// extensions (XMP lives in one) are dropped, and anything after the trailer.

function* gif(setFacts: (f: ImageFacts) => void): Parser {
  const header = (yield { read: 13 }) as Buffer;
  setFacts(checked(header.readUInt16LE(6), header.readUInt16LE(8), 'GIF'));
  yield { emit: header };
  const flags = header[10]!;
  if (flags & 0x80) yield { pass: 3 * 2 ** ((flags & 7) + 1) };
  const subBlocks = function* (keep: boolean): Generator<Op, void, unknown> {
    for (;;) {
      const size = (yield { read: 1 }) as Buffer;
      if (keep) yield { emit: size };
      if (size[0] === 0) return;
      yield keep ? { pass: size[0]! } : { skip: size[0]! };
    }
  };
  for (;;) {
    const block = ((yield { read: 1 }) as Buffer)[0]!;
    if (block === 0x3b) {
      yield { emit: Buffer.from([0x3b]) };
      return;
    }
    if (block === 0x2c) {
      const descriptor = (yield { read: 9 }) as Buffer;
      yield { emit: Buffer.concat([Buffer.from([0x2c]), descriptor]) };
      const local = descriptor[8]!;
      if (local & 0x80) yield { pass: 3 * 2 ** ((local & 7) + 1) };
      yield { pass: 1 }; // LZW minimum code size
      yield* subBlocks(true);
    } else if (block === 0x21) {
      const label = ((yield { read: 1 }) as Buffer)[0]!;
      if (label === 0xf9 || label === 0x01) {
        yield { emit: Buffer.from([0x21, label]) };
        yield* subBlocks(true);
      } else if (label === 0xff) {
        const size = (yield { read: 1 }) as Buffer;
        const id = (yield { read: size[0]! }) as Buffer;
        const name = id.toString('latin1');
        const keep = name === 'NETSCAPE2.0' || name === 'ANIMEXTS1.0';
        if (keep) yield { emit: Buffer.concat([Buffer.from([0x21, 0xff]), size, id]) };
        yield* subBlocks(keep);
      } else yield* subBlocks(false);
    } else throw invalid('GIF');
  }
}

// -----------------------------------------------------------------------------------------------
// WebP: the RIFF chunks of the picture and its animation and colour profile; EXIF and XMP chunks
// are dropped, their flags cleared, and the RIFF length written anew at the end.

function* webp(setFacts: (f: ImageFacts) => void): Parser {
  const riff = (yield { read: 12 }) as Buffer;
  const total = riff.readUInt32LE(4);
  if (total < 4 || total % 2) throw invalid('WebP');
  yield { emit: riff };
  yield { patchLength: { at: 4, minus: 8 } };
  let left = total - 4;
  while (left > 0) {
    if (left < 8) throw invalid('WebP');
    const header = (yield { read: 8 }) as Buffer;
    const fourcc = header.subarray(0, 4).toString('latin1');
    const size = header.readUInt32LE(4);
    const padded = size + (size & 1);
    if (padded + 8 > left) throw invalid('WebP');
    left -= padded + 8;
    if (fourcc === 'EXIF' || fourcc === 'XMP ') {
      yield { skip: padded };
      continue;
    }
    if (fourcc === 'VP8X') {
      if (size < 10) throw invalid('WebP');
      const data = Buffer.from((yield { read: padded }) as Buffer);
      data[0] = data[0]! & ~0x0c; // no EXIF (0x08), no XMP (0x04)
      const u24 = (at: number) => data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
      setFacts(checked(u24(4) + 1, u24(7) + 1, 'WebP'));
      yield { emit: Buffer.concat([header, data]) };
      continue;
    }
    yield { emit: header };
    if (fourcc === 'VP8 ' && size >= 10) {
      const start = (yield { read: 10 }) as Buffer;
      if (start[3] !== 0x9d || start[4] !== 0x01 || start[5] !== 0x2a) throw invalid('WebP');
      setFacts(checked(start.readUInt16LE(6) & 0x3fff, start.readUInt16LE(8) & 0x3fff, 'WebP'));
      yield { emit: start };
      yield { pass: padded - 10 };
    } else if (fourcc === 'VP8L' && size >= 5) {
      const start = (yield { read: 5 }) as Buffer;
      if (start[0] !== 0x2f) throw invalid('WebP');
      const bits = start.readUInt32LE(1);
      setFacts(checked((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1, 'WebP'));
      yield { emit: start };
      yield { pass: padded - 5 };
    } else yield { pass: padded };
  }
}

// -----------------------------------------------------------------------------------------------
// HEIF (HEIC): ISO-BMFF boxes: `ftyp`, then `meta`, the index of the file's items (pictures, tiles,
// thumbnails, Exif, XMP) and where their bytes lie, then `mdat` with those bytes. Exif (a phone's
// GPS position) and XMP are items like the picture, so their bytes are overwritten with zeros where
// they lie: every offset in the index stays true and the picture's bytes are untouched. Every item
// that is not a coded picture (Exif, XMP, any other or unknown kind) is blanked. The index must
// come before the bytes it points to, as cameras and encoders write it; a file laid out otherwise,
// without an index, or with tracks (an image sequence, whose metadata could hide in them) is refused.

/** Item types that are pictures (coded images, tiles, derived images): kept; every other item is blanked. */
const HEIF_PICTURE_ITEMS: ReadonlySet<string> = new Set([
  'hvc1',
  'hvt1',
  'lhv1',
  'av01',
  'vvc1',
  'jpeg',
  'unci',
  'grid',
  'iovl',
  'iden',
  'tmap',
]);
/** The largest `meta` box read (held in memory while its items are found); a photo's is a few KB. */
export const MAX_HEIF_INDEX_BYTES = 1024 * 1024;
const BLANK_PIECE = 64 * 1024;

interface ByteRange {
  from: number;
  to: number;
}

const refusedHeif = (why: string) => new ServusError(ErrorCode.UNSUPPORTED_TYPE, `This HEIF/HEIC file cannot be accepted: ${why}.`);

function* heif(): Parser {
  /** The file offset of the next input byte. */
  let at = 0;
  let blank: ByteRange[] | null = null;
  let first = true;
  /** Copies `length` bytes, as zeros where they fall into a range to blank. */
  const passBlanking = function* (length: number): Generator<Op, void, unknown> {
    const end = at + length;
    for (const r of blank ?? []) {
      const from = Math.max(r.from, at);
      const to = Math.min(r.to, end);
      if (to <= from) continue;
      if (from > at) yield { pass: from - at };
      for (let left = to - from; left > 0;) {
        const n = Math.min(left, BLANK_PIECE);
        yield { skip: n };
        yield { emit: Buffer.alloc(n) };
        left -= n;
      }
      at = to;
    }
    if (end > at) yield { pass: end - at };
    at = end;
  };
  for (;;) {
    yield { mayEnd: true };
    let header = (yield { read: 8 }) as Buffer;
    let size = header.readUInt32BE(0);
    const type = header.subarray(4, 8).toString('latin1');
    if (size === 1) {
      const large = (yield { read: 8 }) as Buffer;
      size = safeNumber(large.readBigUInt64BE(0));
      header = Buffer.concat([header, large]);
    }
    // Size 0 ("to the end of the file") is refused with the rest: the end could not be checked.
    if (size < header.length || (first && type !== 'ftyp')) throw invalid('HEIF');
    first = false;
    yield { emit: header };
    at += header.length;
    const body = size - header.length;
    if (type === 'moov') throw refusedHeif('image sequences are not accepted');
    if (type === 'meta') {
      if (blank) throw invalid('HEIF');
      if (body > MAX_HEIF_INDEX_BYTES) throw refusedHeif('its index is too large');
      const data = Buffer.from((yield { read: body }) as Buffer);
      const ranges = heifMetadata(data);
      at += body;
      if (ranges.some((r) => r.from < at)) throw refusedHeif('its metadata lies before its index');
      blank = ranges.sort((a, b) => a.from - b.from);
      yield { emit: data };
      continue;
    }
    if (type === 'mdat' && !blank) throw refusedHeif('its index comes after its data');
    yield* passBlanking(body);
  }
}

function safeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('HEIF');
  return Number(n);
}

/** The child boxes of a box's body: type, and where the child's body starts and ends. */
function* boxes(data: Buffer, from: number, to: number): Generator<{ type: string; start: number; end: number }> {
  let p = from;
  while (p + 8 <= to) {
    let size = data.readUInt32BE(p);
    let start = p + 8;
    if (size === 1) {
      size = safeNumber(data.readBigUInt64BE(p + 8));
      start += 8;
    } else if (size === 0) size = to - p;
    const end = p + size;
    if (end > to || end < start) throw invalid('HEIF');
    yield { type: data.subarray(p + 4, p + 8).toString('latin1'), start, end };
    p = end;
  }
}

/**
 * Reads a `meta` box's body: blanks (in `meta` itself) the bytes of every item that is not a
 * picture when they lie in its `idat`, and returns the file ranges of those that lie further on.
 */
function heifMetadata(meta: Buffer): ByteRange[] {
  const children = [...boxes(meta, 4, meta.length)]; // after the full box's version and flags
  const iinf = children.find((b) => b.type === 'iinf');
  const iloc = children.find((b) => b.type === 'iloc');
  const idat = children.find((b) => b.type === 'idat');
  if (!iinf || !iloc) throw invalid('HEIF');

  const hidden = new Set<number>();
  const infoVersion = meta[iinf.start]!;
  for (const infe of boxes(meta, iinf.start + 4 + (infoVersion === 0 ? 2 : 4), iinf.end)) {
    if (infe.type !== 'infe') continue;
    const version = meta[infe.start]!;
    let p = infe.start + 4;
    const id = version === 3 ? meta.readUInt32BE(p) : meta.readUInt16BE(p);
    p += (version === 3 ? 4 : 2) + 2; // the id, the protection index
    // Versions 0 and 1 name a MIME type, never a picture's coding.
    const itemType = version >= 2 ? meta.subarray(p, p + 4).toString('latin1') : 'mime';
    if (!HEIF_PICTURE_ITEMS.has(itemType)) hidden.add(id);
  }

  const ranges: ByteRange[] = [];
  const version = meta[iloc.start]!;
  let p = iloc.start + 4;
  const uint = (bytes: number): number => {
    const at = p;
    p += bytes;
    if (bytes === 0) return 0;
    if (bytes === 4) return meta.readUInt32BE(at);
    if (bytes === 8) return safeNumber(meta.readBigUInt64BE(at));
    throw invalid('HEIF');
  };
  const sizes = meta.readUInt16BE(p);
  p += 2;
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 15;
  const baseSize = (sizes >> 4) & 15;
  const indexSize = version === 1 || version === 2 ? sizes & 15 : 0;
  const count = version < 2 ? meta.readUInt16BE(p) : meta.readUInt32BE(p);
  p += version < 2 ? 2 : 4;
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? meta.readUInt16BE(p) : meta.readUInt32BE(p);
    p += version < 2 ? 2 : 4;
    let method = 0;
    if (version === 1 || version === 2) {
      method = meta.readUInt16BE(p) & 15;
      p += 2;
    }
    const dataReference = meta.readUInt16BE(p);
    p += 2;
    const base = uint(baseSize);
    const extents = meta.readUInt16BE(p);
    p += 2;
    for (let e = 0; e < extents; e++) {
      p += indexSize;
      const offset = uint(offsetSize);
      const length = uint(lengthSize);
      if (!hidden.has(id) || dataReference !== 0) continue; // a picture, or bytes in another file
      if (method === 2) throw refusedHeif('its metadata is built from other items');
      if (length === 0) throw refusedHeif('its metadata has no length');
      if (method === 1) {
        if (!idat || idat.start + base + offset + length > idat.end) throw invalid('HEIF');
        meta.fill(0, idat.start + base + offset, idat.start + base + offset + length);
      } else ranges.push({ from: base + offset, to: base + offset + length });
    }
  }
  return ranges;
}
