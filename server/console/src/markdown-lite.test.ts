import { describe, expect, it } from 'vitest';
import { markdownLite } from './markdown-lite.js';

const flat = (parts: ReturnType<typeof markdownLite>) =>
  parts.map((p) => (typeof p === 'string' ? p : `<${p.strings[0]!.replace(/[<>]/g, '')}|${p.values.join('|')}>`)).join('');

describe('markdownLite', () => {
  it('turns bold, italic and http links into templates and keeps the rest as text', () => {
    const parts = markdownLite('Dauer **1–2 Tage**, *gratis*, [mehr](https://shop.example/versand).');
    expect(parts.filter((p) => typeof p !== 'string')).toHaveLength(3);
    expect(flat(parts)).toContain('1–2 Tage');
  });
  it('never makes a link of javascript: or data: URLs', () => {
    const parts = markdownLite('[klick](javascript:alert(1)) [x](data:text/html,hi)');
    expect(parts.every((p) => typeof p === 'string')).toBe(true);
  });
  it('leaves HTML as plain text parts', () => {
    const parts = markdownLite('<img src=x onerror=alert(1)>');
    expect(parts).toEqual(['<img src=x onerror=alert(1)>']);
  });
});
