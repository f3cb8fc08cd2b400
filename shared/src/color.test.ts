import { describe, expect, it } from 'vitest';
import { contrast, parseHex, themeVars } from './color.js';

describe('theme colours', () => {
  it('gives every theme colour text with at least 4.5:1 contrast, and an accent that reads on white', () => {
    for (let n = 0; n < 4096; n++) {
      const hex = '#' + n.toString(16).padStart(3, '0');
      const vars = themeVars(hex);
      expect(contrast(parseHex(vars['--sv-c']!)!, parseHex(vars['--sv-on']!)!)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(parseHex(vars['--sv-ink']!)!, [255, 255, 255])).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('falls back to the default colour for anything that is not a hex colour', () => {
    expect(themeVars('red; background: url(x)')['--sv-c']).toBe('#0f766e');
    expect(parseHex('#abc')).toEqual([170, 187, 204]);
  });
});
