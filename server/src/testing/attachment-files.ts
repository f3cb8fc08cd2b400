// Files for the attachment tests: real images (made by Chromium, in attachments/fixtures) with
// metadata added here, and the hostile files of docs/attachments.md (script in an SVG, HTML named
// .png, a zip bomb named .jpg, polyglots).
import { readFileSync } from 'node:fs';
import { deflateRawSync, deflateSync } from 'node:zlib';

const fixture = (name: string) => readFileSync(new URL(`../attachments/fixtures/${name}`, import.meta.url));

export const PLAIN_JPEG = () => fixture('photo.jpg');
export const PLAIN_PNG = () => fixture('photo.png');
export const PLAIN_WEBP = () => fixture('photo.webp');
/**
 * A real 64 × 48 HEIC photo with EXIF (SECRET as the camera, a GPS position) and XMP (SECRET), made
 * by libheif's heif-enc (Debian's libheif-examples) from jpegWithGps(): a 2 × 1 grid of HEVC tiles
 * (the grid's description in the index's `idat`), the Exif and XMP items' bytes in `mdat`.
 */
export const HEIC_WITH_GPS = () => fixture('photo-gps.heic');

/** An ISO-BMFF box: a 32-bit size, its type, its body. */
export function isoBox(type: string, ...body: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.reduce((n, b) => n + b.length, 0), 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, ...body]);
}

/** The top-level boxes of an ISO-BMFF file (32-bit sizes), as [type, whole box]. */
export function isoBoxes(file: Buffer): [string, Buffer][] {
  const found: [string, Buffer][] = [];
  for (let p = 0; p + 8 <= file.length;) {
    const size = file.readUInt32BE(p);
    found.push([file.subarray(p + 4, p + 8).toString('latin1'), file.subarray(p, p + size)]);
    p += size;
  }
  return found;
}

/** Words planted in metadata: none may survive the upload. */
export const SECRET = 'SpyCam-4711';

/** An EXIF (TIFF, big-endian) block: Orientation, Make, and a GPS IFD at 48° 12' 30" N, 16° 22' 20" E. */
export function exifBlock(orientation = 6): Buffer {
  const t = Buffer.alloc(200);
  t.write('MM', 0, 'latin1');
  t.writeUInt16BE(42, 2);
  t.writeUInt32BE(8, 4);
  // IFD0 at 8: 3 entries
  let p = 8;
  t.writeUInt16BE(3, p);
  p += 2;
  const entry = (tag: number, type: number, count: number, value: number) => {
    t.writeUInt16BE(tag, p);
    t.writeUInt16BE(type, p + 2);
    t.writeUInt32BE(count, p + 4);
    if (type === 3 && count === 1) t.writeUInt16BE(value, p + 8);
    else t.writeUInt32BE(value, p + 8);
    p += 12;
  };
  const make = Buffer.from(`${SECRET}\0`, 'latin1');
  entry(0x010f, 2, make.length, 100); // Make -> offset 100
  entry(0x0112, 3, 1, orientation);
  entry(0x8825, 4, 1, 60); // GPS IFD at 60
  t.writeUInt32BE(0, p);
  // GPS IFD at 60: LatitudeRef N, Latitude at 130
  p = 60;
  t.writeUInt16BE(2, p);
  p += 2;
  entry(0x0001, 2, 2, 0x4e000000);
  entry(0x0002, 5, 3, 130);
  t.writeUInt32BE(0, p);
  make.copy(t, 100);
  [48, 1, 12, 1, 30, 1].forEach((v, i) => t.writeUInt32BE(v, 130 + i * 4));
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]);
}

/** A JPEG with EXIF (GPS, camera make, orientation 6), XMP and a comment, and HTML after its end. */
export function jpegWithGps({ trailer = '' } = {}): Buffer {
  const jpeg = PLAIN_JPEG();
  const segment = (marker: number, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xff00 | marker, 0);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const app0End = 2 + 2 + jpeg.readUInt16BE(4);
  return Buffer.concat([
    jpeg.subarray(0, app0End),
    segment(0xe1, exifBlock()),
    segment(0xe1, Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>${SECRET}</x:xmpmeta>`, 'latin1')),
    segment(0xfe, Buffer.from(`comment ${SECRET}`, 'latin1')),
    jpeg.subarray(app0End),
    Buffer.from(trailer, 'latin1'),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, data, Buffer.alloc(4)]); // the CRC is not checked by the parser; browsers do check it
}

/** A PNG with tEXt and eXIf chunks, and a script after IEND. */
export function pngWithText(): Buffer {
  const png = PLAIN_PNG();
  const ihdrEnd = 8 + 8 + 13 + 4;
  return Buffer.concat([
    png.subarray(0, ihdrEnd),
    pngChunk('tEXt', Buffer.from(`Comment\0${SECRET}`, 'latin1')),
    pngChunk('eXIf', exifBlock().subarray(6)),
    png.subarray(ihdrEnd),
    Buffer.from('<script>alert(1)</script>', 'latin1'),
  ]);
}

/** A PNG whose header claims 100,000 × 100,000 pixels (a decompression bomb for whoever views it). */
export function pngBomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1000))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 2 × 1 GIF with a comment, an XMP application extension, the looping extension, and a trailer. */
export function gifWithComment(): Buffer {
  const sub = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b, Buffer.from([0])]);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([2, 0, 1, 0, 0x80, 0, 0]), // 2 × 1, global colour table of 2
    Buffer.from([0, 0, 0, 255, 255, 255]),
    Buffer.from([0x21, 0xff, 11]),
    Buffer.from('NETSCAPE2.0', 'latin1'),
    Buffer.from([3, 1, 0, 0, 0]),
    Buffer.from([0x21, 0xfe]),
    sub(Buffer.from(`comment ${SECRET}`, 'latin1')),
    Buffer.from([0x21, 0xff, 11]),
    Buffer.from('XMP DataXMP', 'latin1'),
    sub(Buffer.from(`<x:xmpmeta>${SECRET}</x:xmpmeta>`, 'latin1')),
    Buffer.from([0x2c, 0, 0, 0, 0, 2, 0, 1, 0, 0]),
    Buffer.from([2, 2, 0x44, 0x01, 0]), // LZW min 2, one sub-block of 2 bytes
    Buffer.from([0x3b]),
    Buffer.from(`<script>${SECRET}</script>`, 'latin1'),
  ]);
}

/** The fixture WebP with an EXIF chunk (GPS) and its flag set. */
export function webpWithExif(): Buffer {
  const webp = Buffer.from(PLAIN_WEBP());
  if (webp.subarray(12, 16).toString('latin1') !== 'VP8X') throw new Error('fixture WebP is not extended');
  webp[20] = webp[20]! | 0x08;
  const exif = exifBlock().subarray(6);
  const head = Buffer.alloc(8);
  head.write('EXIF', 0, 'latin1');
  head.writeUInt32LE(exif.length, 4);
  const pad = exif.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  const out = Buffer.concat([webp, head, exif, pad]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

export const SVG_WITH_SCRIPT = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>',
);
export const HTML_AS_PNG = Buffer.from('<!doctype html><html><body><script>fetch("/api/agents")</script></body></html>');
/** HTML behind a GIF's magic number and a 1 × 1 screen (a GIF/HTML polyglot): no valid GIF follows. */
export const GIF_HTML_POLYGLOT = Buffer.concat([
  Buffer.from('GIF89a', 'latin1'),
  Buffer.from([1, 0, 1, 0, 0, 0, 0]),
  Buffer.from('<script>alert(1)</script>'),
]);

export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** A zip whose one entry inflates from a few KB to 50 MB, named like a photo. */
export function zipBomb(): Buffer {
  const data = deflateRawSync(Buffer.alloc(50 * 1024 * 1024));
  const name = Buffer.from('zeros.bin');
  const head = Buffer.alloc(30);
  head.writeUInt32LE(0x04034b50, 0);
  head.writeUInt16LE(20, 4);
  head.writeUInt16LE(8, 8); // deflate
  head.writeUInt32LE(data.length, 18);
  head.writeUInt32LE(50 * 1024 * 1024, 22);
  head.writeUInt16LE(name.length, 26);
  return Buffer.concat([head, name, data]);
}

/** Bytes that do not look like anything but text: a file of `size` bytes. */
export const textFile = (size: number) => Buffer.alloc(size, 'Servus attachment test line.\n');
