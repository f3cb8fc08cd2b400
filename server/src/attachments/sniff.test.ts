// Sniffing: the bytes decide, never the name.
import { describe, expect, it } from 'vitest';
import {
  GIF_HTML_POLYGLOT,
  HEIC_WITH_GPS,
  HTML_AS_PNG,
  PDF,
  PLAIN_JPEG,
  PLAIN_PNG,
  PLAIN_WEBP,
  SVG_WITH_SCRIPT,
  gifWithComment,
  isoBox,
  textFile,
  zipBomb,
} from '../testing/attachment-files.js';
import { sniffType } from './sniff.js';

describe('sniffType', () => {
  it('recognises images, PDF and zip by their magic numbers', () => {
    expect(sniffType(PLAIN_JPEG())).toBe('image/jpeg');
    expect(sniffType(PLAIN_PNG())).toBe('image/png');
    expect(sniffType(PLAIN_WEBP())).toBe('image/webp');
    expect(sniffType(gifWithComment())).toBe('image/gif');
    expect(sniffType(PDF)).toBe('application/pdf');
    expect(sniffType(zipBomb().subarray(0, 4096))).toBe('application/zip');
  });

  it('recognises HEIC and HEIF by the brands of their ftyp box, and no other ISO-BMFF file', () => {
    expect(sniffType(HEIC_WITH_GPS())).toBe('image/heic');
    const ftyp = (major: string, ...compatible: string[]) =>
      Buffer.concat([
        isoBox('ftyp', Buffer.from(major), Buffer.alloc(4), ...compatible.map((b) => Buffer.from(b))),
        isoBox('meta', Buffer.alloc(4)),
      ]);
    expect(sniffType(ftyp('mif1', 'mif1', 'heic'))).toBe('image/heic'); // an iPhone names heic among the compatible brands
    expect(sniffType(ftyp('heix'))).toBe('image/heic');
    expect(sniffType(ftyp('msf1', 'msf1', 'hevc'))).toBe('image/heic');
    expect(sniffType(ftyp('avif', 'mif1', 'miaf'))).toBe('image/heif');
    expect(sniffType(ftyp('mif1'))).toBe('image/heif');
    expect(sniffType(ftyp('isom', 'isom', 'mp41'))).toBe('application/octet-stream'); // a video
    // A box size beyond the bytes sniffed, or not a whole number of brands: not taken for HEIF.
    const broken = ftyp('heic');
    broken.writeUInt32BE(9999, 0);
    expect(sniffType(broken)).toBe('application/octet-stream');
  });

  it('names markup as markup: SVG, HTML (whatever the name), XML, and HTML further down a text', () => {
    expect(sniffType(SVG_WITH_SCRIPT)).toBe('image/svg+xml');
    expect(sniffType(HTML_AS_PNG)).toBe('text/html');
    expect(sniffType(Buffer.from('\uFEFF  <div>hi</div>'))).toBe('text/html');
    expect(sniffType(Buffer.from('Dear team,\nsee <script src=//x></script>'))).toBe('text/html');
    expect(sniffType(Buffer.from('<?xml version="1.0"?><order/>'))).toBe('application/xml');
    expect(sniffType(GIF_HTML_POLYGLOT)).toBe('image/gif'); // and then refused as no valid GIF (rewrite.test.ts)
  });

  it('takes UTF-8 without control bytes as text, anything else as unknown bytes', () => {
    expect(sniffType(textFile(100))).toBe('text/plain');
    expect(sniffType(Buffer.from('Grüße, ünïcödé ✓\n'))).toBe('text/plain');
    expect(sniffType(Buffer.from([0x00, 0x01, 0x02, 0x41]))).toBe('application/octet-stream');
    expect(sniffType(Buffer.from([0xc3, 0x28]))).toBe('application/octet-stream');
  });
});
