import { describe, expect, it } from 'vitest';
import { h, render } from 'preact';
import { parseInline, parseMarkdown, plainText, safeHref } from './markdown.js';
import { Rich } from './app/Rich.js';

describe('markdown subset', () => {
  it('parses bold, italic and links', () => {
    expect(parseInline('a **b** *c* _d_ [e](https://x.example/y)')).toEqual([
      'a ',
      { b: ['b'] },
      ' ',
      { i: ['c'] },
      ' ',
      { i: ['d'] },
      ' ',
      { a: 'https://x.example/y', c: ['e'] },
    ]);
  });

  it('parses bullet and numbered lists and paragraphs', () => {
    expect(parseMarkdown('Intro\n\n- one\n- two\n\n1. first\n2. second')).toEqual([
      { p: ['Intro'] },
      { ul: [['one'], ['two']] },
      { ol: [['first'], ['second']] },
    ]);
  });

  it('allows only http(s) and mailto links', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('/relative')).toBeNull();
    expect(safeHref('mailto:a@b.example')).toBe('mailto:a@b.example');
    expect(parseInline('[click](javascript:alert(1))')).not.toContainEqual(expect.objectContaining({ a: expect.anything() }));
  });

  it('renders DOM nodes, never HTML: markup in the text stays text', () => {
    const root = document.createElement('div');
    render(h(Rich, { text: '<img src=x onerror=alert(1)> **bold** [site](https://example.com)' }), root);
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(root.querySelector('strong')?.textContent).toBe('bold');
    const a = root.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('links bare URLs without their trailing punctuation', () => {
    expect(parseInline('See https://shop.example/help.')).toEqual([
      'See ',
      { a: 'https://shop.example/help', c: ['https://shop.example/help'] },
      '.',
    ]);
  });

  it('gives the text as rendered, without Markdown marks, for screen readers', () => {
    expect(plainText('Shipping is **free from €50**, see [our terms](https://shop.example/terms).')).toBe(
      'Shipping is free from €50, see our terms.',
    );
    expect(plainText('Pay with:\n\n- *card*\n- _invoice_\n\n1. first\n2. second')).toBe('Pay with:\ncard\ninvoice\n1. first\n2. second');
  });
});
