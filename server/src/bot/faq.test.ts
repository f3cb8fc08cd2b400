import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFaq, watchFaqFiles, type FaqParseResult } from './faq.js';

describe('Markdown FAQ', () => {
  it('reads questions, phrasings, metadata and Markdown answers', () => {
    const { entries, errors } = parseFaq(
      `# Shop\n\n## Wie lange dauert der Versand?\nid: versand\ntags: versand, post\nAuch:\n- Wann kommt mein Paket?\n- Lieferzeit\n\nIn **2 Tagen**.\n\n- Österreich\n- Deutschland\n\n## Was kostet das?\nGratis.\n`,
      { format: 'md', file: 'shop.de.md' },
    );
    expect(errors).toEqual([]);
    expect(entries[0]).toEqual({
      id: 'versand',
      question: 'Wie lange dauert der Versand?',
      variants: ['Wann kommt mein Paket?', 'Lieferzeit'],
      answer: 'In **2 Tagen**.\n\n- Österreich\n- Deutschland',
      tags: ['versand', 'post'],
      lang: 'de',
    });
    expect(entries[1]).toMatchObject({ id: 'was-kostet-das', answer: 'Gratis.', variants: [] });
  });

  it('reports problems with line numbers and keeps the good entries', () => {
    const { entries, errors } = parseFaq(`stray text\n## One?\nAnswer.\n## Two?\n\n## One?\nAgain.\n## Three?\nlang: fr\nBonjour.\n`, {
      format: 'md',
      file: 'x.md',
    });
    expect(entries.map((e) => e.id)).toEqual(['one']);
    expect(errors).toEqual([
      { file: 'x.md', line: 1, message: 'text before the first "## question" heading' },
      { file: 'x.md', line: 4, message: '"Two?" has no answer' },
      { file: 'x.md', line: 8, message: 'lang must be de or en, not "fr"' },
      { file: 'x.md', line: 6, message: 'duplicate id "one" (first on line 2)' },
    ]);
  });
});

describe('YAML FAQ', () => {
  it('reads a list of entries with a file language', () => {
    const { entries, errors } = parseFaq(`lang: en\nentries:\n  - question: Gift wrap?\n    variants: [Present box]\n    answer: Yes.\n`, {
      format: 'yaml',
    });
    expect(errors).toEqual([]);
    expect(entries).toEqual([{ id: 'gift-wrap', question: 'Gift wrap?', variants: ['Present box'], answer: 'Yes.', lang: 'en' }]);
  });

  it('reports syntax errors and missing answers with their line', () => {
    expect(parseFaq(`- question: a\n  answer: [unclosed\n`, { format: 'yaml' }).errors[0]!.line).toBeGreaterThanOrEqual(2);
    expect(parseFaq(`- question: fine\n  answer: ok\n- question: no answer\n`, { format: 'yaml' }).errors).toEqual([
      { line: 3, message: '"no answer" has no answer' },
    ]);
  });
});

describe('hot reload', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('picks up changes and keeps the last good version of a file that became invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-faq-'));
    dirs.push(dir);
    const file = join(dir, 'faq.en.md');
    writeFileSync(file, '## Hours?\nNine to five.\n');
    const results: FaqParseResult[] = [];
    let notify: (() => void) | null = null;
    const watcher = watchFaqFiles(
      [file],
      (r) => {
        results.push(r);
        notify?.();
      },
      { debounceMs: 20 },
    );
    const next = () => new Promise<FaqParseResult>((resolve) => (notify = () => resolve(results.at(-1)!)));
    // Give the watcher its first read of the good file.
    await new Promise((r) => setImmediate(r));
    let changed = next();
    writeFileSync(file, '## Hours?\nNine to six.\n## Phone?\n0123\n');
    expect((await changed).entries.map((e) => e.answer)).toEqual(['Nine to six.', '0123']);
    changed = next();
    writeFileSync(file, '## Hours?\n');
    const broken = await changed;
    expect(broken.errors[0]).toMatchObject({ line: 1, message: '"Hours?" has no answer' });
    expect(broken.entries.map((e) => e.answer)).toEqual(['Nine to six.', '0123']);
    watcher.close();
  });
});
