// The image rewriters alone: metadata and trailers dropped, the picture's own bytes kept, the size
// read from the header, and the same output whatever the chunking of the input.
import { describe, expect, it } from 'vitest';
import { ServusError } from '../core/errors.js';
import {
  GIF_HTML_POLYGLOT,
  HEIC_WITH_GPS,
  PLAIN_JPEG,
  PLAIN_PNG,
  PLAIN_WEBP,
  SECRET,
  gifWithComment,
  isoBox,
  isoBoxes,
  jpegWithGps,
  pngBomb,
  pngWithText,
  webpWithExif,
} from '../testing/attachment-files.js';
import { exifOrientation, rewriterFor } from './rewrite.js';

function rewrite(type: string, input: Buffer, pieceBytes = input.length) {
  const r = rewriterFor(type);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += pieceBytes) out.push(...r.push(input.subarray(i, i + pieceBytes)).map((b) => Buffer.from(b)));
  const { patches } = r.end();
  const bytes = Buffer.concat(out);
  for (const p of patches) p.bytes.copy(bytes, p.at);
  return { bytes, facts: r.facts };
}

/** The APP segments of a JPEG, as [marker, body]. */
function jpegSegments(jpeg: Buffer): [number, Buffer][] {
  const found: [number, Buffer][] = [];
  let p = 2;
  while (p < jpeg.length && jpeg[p] === 0xff && jpeg[p + 1] !== 0xda) {
    const length = jpeg.readUInt16BE(p + 2);
    found.push([jpeg[p + 1]!, jpeg.subarray(p + 4, p + 2 + length)]);
    p += 2 + length;
  }
  return found;
}

describe('image rewriting', () => {
  it('strips EXIF GPS, XMP and comments from a JPEG, keeps its orientation, and drops what trails it', () => {
    const input = jpegWithGps({ trailer: '<html><script>alert(1)</script>' });
    expect(input.includes(SECRET)).toBe(true);
    const { bytes, facts } = rewrite('image/jpeg', input);
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes('<script>')).toBe(false);
    expect(bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    const app1 = jpegSegments(bytes).filter(([m]) => m === 0xe1);
    expect(app1).toHaveLength(1);
    expect(exifOrientation(app1[0]![1])).toBe(6);
    expect(app1[0]![1].length).toBeLessThan(40); // the orientation alone: no GPS IFD
    // Orientation 6 turns the 64 × 48 picture upright: 48 wide, 64 high.
    expect(facts).toEqual({ width: 48, height: 64 });
    // The picture's bytes are untouched: the plain fixture (no EXIF) comes out as it went in.
    expect(rewrite('image/jpeg', PLAIN_JPEG()).bytes).toEqual(PLAIN_JPEG());
  });

  it('gives the same output for any chunking of the input', () => {
    for (const [type, input] of [
      ['image/jpeg', jpegWithGps()],
      ['image/png', pngWithText()],
      ['image/gif', gifWithComment()],
      ['image/webp', webpWithExif()],
      ['image/heic', HEIC_WITH_GPS()],
    ] as const) {
      const whole = rewrite(type, input).bytes;
      for (const piece of [1, 3, 7, 64, 500]) expect(rewrite(type, input, piece).bytes, `${type} in ${piece}-byte pieces`).toEqual(whole);
    }
  });

  it('drops a PNG’s text and eXIf chunks and anything after IEND', () => {
    const { bytes, facts } = rewrite('image/png', pngWithText());
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes('<script>')).toBe(false);
    expect(bytes).toEqual(PLAIN_PNG());
    expect(facts).toEqual({ width: 64, height: 48 });
  });

  it('drops a GIF’s comment and XMP extensions and its trailer, and keeps looping', () => {
    const { bytes, facts } = rewrite('image/gif', gifWithComment());
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes('NETSCAPE2.0')).toBe(true);
    expect(bytes.at(-1)).toBe(0x3b);
    expect(facts).toEqual({ width: 2, height: 1 });
  });

  it('drops a WebP’s EXIF chunk, clears its flag and writes the RIFF length anew', () => {
    const input = webpWithExif();
    expect(input.includes(SECRET)).toBe(true);
    const { bytes, facts } = rewrite('image/webp', input);
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes[20]! & 0x08).toBe(0);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes).toEqual(PLAIN_WEBP());
    expect(facts).toEqual({ width: 64, height: 48 });
  });

  it('refuses an image whose header claims more than the pixel limit, and one that is not what its magic number says', () => {
    expect(() => rewrite('image/png', pngBomb())).toThrow(/megapixels/);
    expect(() => rewrite('image/gif', GIF_HTML_POLYGLOT)).toThrow(ServusError);
    expect(() => rewrite('image/jpeg', PLAIN_JPEG().subarray(0, 400))).toThrow(/not a valid JPEG/);
  });

  it('blanks a HEIC photo’s Exif (GPS) and XMP items where they lie, and keeps every other byte', () => {
    const input = HEIC_WITH_GPS();
    const secrets: number[] = [];
    for (let i = input.indexOf(SECRET); i >= 0; i = input.indexOf(SECRET, i + 1)) secrets.push(i);
    expect(secrets).toHaveLength(2); // the camera in the Exif item, the XMP item
    const { bytes, facts } = rewrite('image/heic', input);
    expect(bytes.includes(SECRET)).toBe(false);
    for (const at of secrets) expect(bytes.subarray(at, at + SECRET.length)).toEqual(Buffer.alloc(SECRET.length));
    // Nothing moved: the same length, the index untouched, only zeros where bytes changed, all in mdat.
    expect(bytes.length).toBe(input.length);
    const [ftyp, meta, mdat] = isoBoxes(input);
    expect(mdat![0]).toBe('mdat');
    const mdatStart = ftyp![1].length + meta![1].length;
    expect(bytes.subarray(0, mdatStart)).toEqual(input.subarray(0, mdatStart));
    const changed = [...bytes.keys()].filter((i) => bytes[i] !== input[i]);
    expect(changed.every((i) => i >= mdatStart && bytes[i] === 0)).toBe(true);
    // The Exif item is 204 bytes and the XMP item 34 (heif-info): the pictures' bytes are not touched.
    expect(changed.length).toBeGreaterThan(SECRET.length * 2);
    expect(changed.length).toBeLessThanOrEqual(204 + 34);
    expect(facts).toBeNull(); // never inline: no size is claimed
  });

  it('refuses a HEIF laid out so that its metadata would pass before its index, an image sequence, and a cut-off file', () => {
    const [ftyp, meta, mdat] = isoBoxes(HEIC_WITH_GPS()).map(([, box]) => box);
    expect(() => rewrite('image/heic', Buffer.concat([ftyp!, mdat!, meta!]))).toThrow(/index comes after its data/);
    expect(() => rewrite('image/heic', Buffer.concat([ftyp!, meta!, mdat!, isoBox('moov', Buffer.alloc(8))]))).toThrow(/sequences/);
    expect(() => rewrite('image/heic', HEIC_WITH_GPS().subarray(0, 1500))).toThrow(/not a valid HEIF/);
    const toTheEnd = Buffer.concat([ftyp!, meta!, mdat!]);
    toTheEnd.writeUInt32BE(0, ftyp!.length + meta!.length); // mdat "to the end of the file"
    expect(() => rewrite('image/heic', toTheEnd)).toThrow(/not a valid HEIF/);
    expect(() => rewrite('image/heic', Buffer.concat([isoBox('free'), ftyp!, meta!, mdat!]))).toThrow(/not a valid HEIF/);
  });
});
