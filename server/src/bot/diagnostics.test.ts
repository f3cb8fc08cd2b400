import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faqDiagnostics, unreachedEntries } from './diagnostics.js';
import { createFaqBots } from './faq-bots.js';
import { createLogger } from '../core/logger.js';
import type { FaqEntry } from './faq.js';

const en = (id: string, question: string, variants: string[]): FaqEntry => ({ id, question, variants, answer: '-', lang: 'en' });
const faq = [
  en('cancel-order', 'How do I cancel my order?', ['Cancel my order', 'I want to cancel an order']),
  en('cancel-subscription', 'How do I cancel my order subscription?', ['Cancel my order plan', 'Stop my monthly order']),
  en('password', 'I forgot my password', ['Reset my password', 'I cannot log in']),
  en('sizes', 'Which size should I order?', ['Size chart', 'Do the shoes run small?']),
];

describe('FAQ diagnostics', () => {
  it('reports two entries whose phrasings the bot confuses with each other, and not distinct ones', () => {
    const d = faqDiagnostics({ entries: faq, defaultLang: 'en' });
    expect(d.checked).toBe(12);
    expect(d.entries.map((e) => [e.id, e.phrasings])).toEqual([
      ['cancel-order', 3],
      ['cancel-subscription', 3],
      ['password', 3],
      ['sizes', 3],
    ]);
    const [first] = d.nearDuplicates;
    expect(first).toMatchObject({ a: 'cancel-order', b: 'cancel-subscription' });
    expect(first!.confusions).toBeGreaterThanOrEqual(1);
    expect(first!.examples[0]!.matched).not.toBe(first!.examples[0]!.of);
    for (const p of d.nearDuplicates) expect([p.a, p.b]).not.toContain('password');
  });

  it('lists the entries no visitor reached', () => {
    expect(unreachedEntries(faq, ['password', 'sizes', 'unknown-id']).map((e) => e.id)).toEqual(['cancel-order', 'cancel-subscription']);
  });

  it("is computed when a site's FAQ loads and exposed per site", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-diag-'));
    mkdirSync(join(dir, 'shop'));
    writeFileSync(
      join(dir, 'shop', 'faq.en.md'),
      faq.map((e) => `## ${e.question}\nid: ${e.id}\nAlso:\n${e.variants.map((v) => `- ${v}`).join('\n')}\n\nAnswer.\n`).join('\n'),
    );
    const bots = await createFaqBots({ faqDir: dir, logger: createLogger('silent'), llm: null });
    try {
      expect(bots.diagnostics('shop')?.nearDuplicates[0]).toMatchObject({ a: 'cancel-order', b: 'cancel-subscription' });
      expect(bots.diagnostics('no-such-site')).toBeNull();
    } finally {
      bots.close();
    }
  });
});
