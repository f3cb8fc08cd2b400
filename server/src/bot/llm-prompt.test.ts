// The prompt and the engine's decision whether to ask a model at all (no model, no network here).
import { describe, expect, it } from 'vitest';
import type { BotTurn } from './bot.js';
import type { FaqEntry } from './faq.js';
import { createLlmEngine, type ChatClient } from './llm.js';
import { buildPrompt, languageInstruction } from './llm-prompt.js';

const entries: FaqEntry[] = [
  { id: 'shipping', question: 'How long does shipping take?', variants: ['Delivery time?'], answer: 'Two to three days.' },
  { id: 'returns', question: 'Can I return my order?', variants: [], answer: 'Within 30 days.' },
  { id: 'sizes', question: 'Which size?', variants: [], answer: 'See the size chart.' },
];
const byId = new Map(entries.map((e) => [e.id, e]));

const neverCalled: ChatClient = {
  chat: new Proxy({} as ChatClient['chat'], {
    get() {
      throw new Error('the model must not be called');
    },
  }),
};

const turn = (kind: BotTurn['kind'], extra: Partial<BotTurn> = {}): BotTurn => ({
  kind,
  text: 'default',
  lang: 'en',
  confidence: 0.9,
  suggestions: [],
  offerHandoff: false,
  state: { misses: 0, recent: ['q'] },
  ...extra,
});

describe('the prompt', () => {
  it('holds the entries, the rule to use only them, the language and the visitor’s question', () => {
    const [system, user] = buildPrompt({ question: 'Wie lange?', lang: 'de', entries: entries.slice(0, 2), earlier: ['Hallo'] });
    expect(system!.content).toContain('ONLY from the FAQ entries');
    expect(system!.content).toContain(languageInstruction('de'));
    expect(system!.content).toContain(
      '[1] Question: How long does shipping take?\nAlso asked as: Delivery time?\nAnswer: Two to three days.',
    );
    expect(system!.content).toContain('[2] Question: Can I return my order?\nAnswer: Within 30 days.');
    expect(system!.content).toContain('- Hallo');
    expect(system!.content).toContain('handoff_to_human');
    expect(user).toEqual({ role: 'user', content: 'Wie lange?' });
  });
});

describe('whether the model is asked', () => {
  const engine = createLlmEngine({ model: 'm', client: neverCalled, minConfidence: 0.2, maxEntries: 2, maxCallsPerConversation: 3 });
  const base = { question: 'q', lang: 'en' as const, entry: (id: string) => byId.get(id), calls: 0 };
  const hits = [
    { id: 'shipping', score: 9, confidence: 0.9 },
    { id: 'returns', score: 5, confidence: 0.5 },
    { id: 'sizes', score: 1, confidence: 0.3 },
  ];

  it('not for greetings, requests for a person or the policy’s own handoffs', () => {
    expect(engine.decide({ ...base, turn: turn('smalltalk', { intent: 'greeting' }), hits }).action).toBe('keep');
    expect(engine.decide({ ...base, turn: turn('handoff', { handoffReason: 'visitor_request' }), hits }).action).toBe('keep');
    expect(engine.decide({ ...base, turn: turn('handoff', { handoffReason: 'frustration' }), hits }).action).toBe('keep');
  });

  it('not below the confidence floor: hand over instead', () => {
    expect(engine.decide({ ...base, turn: turn('unsure'), hits: [{ id: 'sizes', score: 1, confidence: 0.19 }] }).action).toBe('handoff');
    expect(engine.decide({ ...base, turn: turn('unsure'), hits: [] }).action).toBe('handoff');
  });

  it('not once the conversation used its calls', () => {
    expect(engine.decide({ ...base, calls: 3, turn: turn('answer'), hits }).action).toBe('keep');
  });

  it('otherwise, with the best entries above the floor, at most maxEntries', () => {
    const decision = engine.decide({ ...base, calls: 2, turn: turn('unsure'), hits });
    expect(decision.action).toBe('call');
    expect(decision.action === 'call' && decision.entries.map((e) => e.id)).toEqual(['shipping', 'returns']);
  });
});
