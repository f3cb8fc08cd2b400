// What is left of a reply by email: the visitor's words, not the quote or the signature.
import { describe, expect, it } from 'vitest';
import { stripReply } from './strip.js';

describe('stripReply', () => {
  it('cuts the quoted original after the "wrote:" line, in English and German', () => {
    expect(stripReply('Thanks!\n\nOn Mon, 7 Dec 2026 at 10:00, Servus <reply+x@shop.example> wrote:\n> Hello')).toBe('Thanks!');
    expect(stripReply('Danke!\r\n\r\nAm 07.12.2026 um 10:00 schrieb Servus Shop <reply+x@shop.example>:\r\n> Hallo')).toBe('Danke!');
    expect(stripReply('Yes.\nOn Mon, 7 Dec 2026 at 10:00, Servus Shop\n<reply+x@shop.example> wrote:\n> Hi')).toBe('Yes.');
  });
  it('cuts Outlook headers, signatures and device footers', () => {
    expect(stripReply('Passt.\n\n-----Ursprüngliche Nachricht-----\nVon: Servus\nBetreff: x')).toBe('Passt.');
    expect(stripReply('Fine.\n\nFrom: Servus Shop <servus@shop.example>\nSent: Monday')).toBe('Fine.');
    expect(stripReply('Ok\n-- \nAnna\n+43 1 234')).toBe('Ok');
    expect(stripReply('Ok\n\nSent from my iPhone')).toBe('Ok');
  });
  it('keeps answers written between quoted lines', () => {
    expect(stripReply('> Size M?\nYes, M please.\n> Colour?\nBlue')).toBe('Yes, M please.\nBlue');
  });
});
