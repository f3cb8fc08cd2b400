// Every handoff reason the server can record has a label in both languages, so the conversation
// view never shows a raw code such as `llm_handoff`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { has, translator } from './i18n.js';

/** The members of the server's `HandoffReason` union, read from its source (a new reason fails here). */
function serverHandoffReasons(): string[] {
  const source = readFileSync(new URL('../../src/conversations/lifecycle.ts', import.meta.url), 'utf8');
  const union = /export type HandoffReason =([^;]+);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

describe('console strings', () => {
  it('labels every handoff reason in English and German', () => {
    const reasons = serverHandoffReasons();
    expect(reasons).toContain('llm_handoff');
    // Not in the union: the lifecycle fills it in when an agent takes a conversation from the bot.
    reasons.push('agent_takeover');
    const en = translator('en');
    const de = translator('de');
    for (const reason of reasons) {
      const key = `reason_${reason}`;
      expect(has(key), key).toBe(true);
      if (!has(key)) continue;
      expect(en(key)).not.toBe('');
      expect(de(key), `${key} in German`).not.toBe(en(key));
    }
    expect(en('reason_llm_handoff')).toBe('AI bot could not answer');
    expect(de('reason_llm_handoff')).toBe('KI-Bot konnte nicht antworten');
  });
});
