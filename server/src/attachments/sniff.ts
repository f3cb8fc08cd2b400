// What a file is, from its first bytes alone: the name and the uploader's Content-Type are never
// asked. Raster images are recognised by their magic numbers; text is valid UTF-8 without NUL, and
// text that a browser could run as markup (HTML, SVG, XML) is named as such so it is never inline.
// HEIF (an iPhone's HEIC photo) is an ISO-BMFF file whose `ftyp` box names a HEIF brand.
import type { AttachmentType } from '@servus/shared';

/** Bytes of the file's start the sniffer looks at (fewer when the file is shorter). */
export const SNIFF_BYTES = 4096;

/** Types shown inline (re-written without metadata); everything else is only ever a download. */
export const INLINE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const startsWith = (b: Uint8Array, bytes: readonly number[], at = 0) => bytes.every((x, i) => b[at + i] === x);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** Markup a browser would render or run, anywhere in the sniffed text. */
const MARKUP =
  /<(?:!doctype\s+html|html|head|body|script|iframe|frame|object|embed|img|a\s|meta|link|style|form|svg|math|xsl:|\?xml-stylesheet)/i;

export function sniffType(head: Uint8Array): AttachmentType {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  const heif = heifType(head);
  if (heif) return heif;
  if (ascii(head, 0, 5) === '%PDF-') return 'application/pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'application/zip';
  const text = asText(head);
  if (text === null) return 'application/octet-stream';
  const start = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (/<svg[\s>]/i.test(text)) return 'image/svg+xml';
  if (start.startsWith('<?xml')) return MARKUP.test(text) ? 'text/html' : 'application/xml';
  if (start.startsWith('<') || MARKUP.test(text)) return 'text/html';
  return 'text/plain';
}

/** Brands of HEVC-coded HEIF images and sequences (ISO/IEC 23008-12): an iPhone's HEIC photo. */
const HEIC_BRANDS: ReadonlySet<string> = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
/** The brands of any HEIF file (an AVIF is one too: the same container, the same Exif item). */
const HEIF_BRANDS: ReadonlySet<string> = new Set(['mif1', 'msf1', 'mif2', 'avif', 'avis']);

/** `image/heic` or `image/heif` when the file opens with an ISO-BMFF `ftyp` box naming a HEIF brand. */
function heifType(head: Uint8Array): 'image/heic' | 'image/heif' | null {
  if (head.length < 16 || ascii(head, 4, 8) !== 'ftyp') return null;
  const size = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (size < 16 || size % 4 || size > head.length) return null;
  // The major brand, then (after the minor version) the compatible brands.
  const brands = [ascii(head, 8, 12)];
  for (let at = 16; at < size; at += 4) brands.push(ascii(head, at, at + 4));
  if (brands.some((b) => HEIC_BRANDS.has(b))) return 'image/heic';
  return brands.some((b) => HEIF_BRANDS.has(b)) ? 'image/heif' : null;
}

/** The head as text when it is UTF-8 without NUL or other control bytes (tabs and newlines aside); else null. */
function asText(head: Uint8Array): string | null {
  let text: string;
  try {
    // `stream: true`: a character cut off at the end of the head is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? null : text;
}
