import { describe, expect, it } from 'vitest';
import {
  bucketLabel,
  describeUserAgent,
  duration,
  expandVariables,
  unresolvedVariable,
  formatDuration,
  formatPercent,
  formatShortDuration,
  plainText,
  safeHttpUrl,
} from './format.js';
import { slashTokenBefore } from './components/composer-token.js';

describe('format helpers', () => {
  it('formats waiting times compactly', () => {
    expect(duration(42_000)).toBe('42s');
    expect(duration(125_000)).toBe('2:05');
    expect(duration(3 * 3600_000 + 5 * 60_000)).toBe('3h 05m');
  });
  it('names browser and OS from a user agent', () => {
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe(
      'Firefox 128 · Windows',
    );
    expect(
      describeUserAgent(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      ),
    ).toBe('Safari 17 · macOS');
  });
  it('expands known variables and leaves unknown ones visible', () => {
    expect(
      expandVariables('Hi {{visitor.name}}, {{ agent.name }} here. {{order.id}}', { 'visitor.name': 'Eva', 'agent.name': 'Max' }),
    ).toBe('Hi Eva, Max here. {{order.id}}');
  });
  it('uses a variable’s fallback when its value is unknown, and finds what is left unresolved', () => {
    const text = 'Sorry for the trouble, {{visitor.name|there}}! {{ visitor.first_name | friend }}';
    expect(expandVariables(text, {})).toBe('Sorry for the trouble, there! friend');
    expect(expandVariables(text, { 'visitor.name': 'Eva Maier', 'visitor.first_name': 'Eva' })).toBe(
      'Sorry for the trouble, Eva Maier! Eva',
    );
    expect(unresolvedVariable(expandVariables('Hi {{visitor.name}}!', {}))).toBe('{{visitor.name}}');
    expect(unresolvedVariable('Hi there!')).toBeNull();
  });
  it('only lets http(s) URLs become links', () => {
    expect(safeHttpUrl('https://shop.example/a?b=1')).toBe('https://shop.example/a?b=1');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,x')).toBeNull();
    expect(safeHttpUrl('not a url')).toBeNull();
  });
  it('finds the /shortcut being typed before the caret', () => {
    expect(slashTokenBefore('/dan', 4)).toEqual({ start: 0, query: 'dan' });
    expect(slashTokenBefore('Hallo /Gru', 10)).toEqual({ start: 6, query: 'gru' });
    expect(slashTokenBefore('a/b', 3)).toBeNull();
    expect(slashTokenBefore('/dan x', 6)).toBeNull();
  });
  it('strips Markdown markers for previews', () => {
    expect(plainText('In der **Größentabelle** auf\n*jeder* [Seite](https://x.example)')).toBe('In der Größentabelle auf jeder Seite');
  });
  it('strips the whole FAQ Markdown subset for previews: lists, underscores, nesting', () => {
    expect(plainText('Wir liefern:\n- **Österreich** 1–2 Tage\n- _Schweiz_ 3–5 Tage')).toBe(
      'Wir liefern: · Österreich 1–2 Tage · Schweiz 3–5 Tage',
    );
    expect(plainText('1. Anmelden\r\n2) Etikett *drucken*')).toBe('Anmelden · Etikett drucken');
    expect(plainText('***Wichtig*** und **[fett](https://x.example)**')).toBe('Wichtig und fett');
    // Not Markdown: snake_case, a lone star, arithmetic.
    expect(plainText('file_name_here, 2 * 3 = 6, 5*')).toBe('file_name_here, 2 * 3 = 6, 5*');
  });
});

describe('dashboard formats', () => {
  it('says durations the way people do', () => {
    expect(formatDuration(42, 'en')).toBe('42 s');
    expect(formatDuration(185, 'en')).toBe('3 min 5 s');
    expect(formatDuration(120, 'en')).toBe('2 min');
    expect(formatDuration(1500, 'en')).toBe('25 min');
    expect(formatDuration(3900, 'en')).toBe('1 h 5 min');
    expect(formatDuration(null, 'en')).toBe('–');
    expect(formatShortDuration(90)).toBe('1m30s');
    expect(bucketLabel([5, 60, 3600], 1)).toBe('≤1m');
    expect(bucketLabel([5, 60, 3600], 3)).toBe('>1h');
  });

  it('writes rates as percentages in the reader’s language', () => {
    expect(formatPercent(0.4567, 'en')).toBe('45.7%');
    expect(formatPercent(0.4567, 'de').replace(/\s/g, ' ')).toBe('45,7 %');
    expect(formatPercent(null, 'de')).toBe('–');
  });
});
