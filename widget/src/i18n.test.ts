import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '@servus/shared';
import de from './strings-de.js';
import en from './strings-en.js';
import { FORM_STRINGS } from './app/form-strings.js';
import { formatDay, formatOpening } from './i18n.js';
import { WIDGET_DEFAULTS } from './options.js';

describe('languages', () => {
  it('has every string in German and English, none empty', () => {
    for (const [a, b] of [
      [de, en],
      [FORM_STRINGS.de, FORM_STRINGS.en],
    ] as const) {
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const v of [...Object.values(a), ...Object.values(b)]) expect(typeof v === 'function' || (v as string).length > 0).toBe(true);
    }
  });

  it('formats days and opening times in the visitor language', () => {
    const now = new Date('2026-03-04T12:00:00').getTime();
    expect(formatDay(now, 'de', de, now)).toBe('Heute');
    expect(formatDay(now - 86_400_000, 'en', en, now)).toBe('Yesterday');
    expect(formatDay(now - 3 * 86_400_000, 'de', de, now)).toMatch(/Sonntag/);
    expect(formatOpening(now + 3600_000, 'de', now)).toMatch(/^ab 13:00$/);
    expect(formatOpening(now + 86_400_000, 'en', now)).toMatch(/^on Thursday at/);
  });
});

describe('limits', () => {
  it('mirror the protocol limits in shared/', () => {
    expect(WIDGET_DEFAULTS.maxMessageChars).toBe(DEFAULT_LIMITS.maxMessageChars);
  });
});
