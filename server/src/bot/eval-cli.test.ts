import { describe, expect, it } from 'vitest';
import { labelOf, learningCurve } from './eval-cli.js';
import { initialBotState, type BotTurn } from './bot.js';
import { MIN_LABELS } from './site-calibration.js';

const topics = ['card', 'pin', 'transfer', 'refund', 'account', 'loan', 'cash', 'fee', 'limit', 'statement', 'address'];
const file = {
  name: 'synthetic',
  language: 'en' as const,
  faq: topics.map((t) => ({
    id: t,
    question: `How do I manage my ${t}?`,
    variants: [`Question about my ${t}`],
    answer: `About the ${t}.`,
  })),
  cases: [
    ...topics.flatMap((t) =>
      ['help with my', 'problem with the', 'where is my', 'change my', 'my new', 'lost my', 'check the'].map((p) => ({
        text: `${p} ${t}`,
        expect: t,
      })),
    ),
    ...[
      'weather tomorrow',
      'tell me a joke',
      'book a flight',
      'best pizza near me',
      'play some music',
      'translate hello',
      'what time is it',
    ].map((text) => ({ text, expect: null })),
  ],
};

const turn = (kind: BotTurn['kind'], faqId: string | undefined, suggestions: string[]): BotTurn => ({
  kind,
  text: '',
  lang: 'en',
  ...(faqId ? { faqId } : {}),
  confidence: 0.4,
  suggestions: suggestions.map((id) => ({ id, title: id })),
  offerHandoff: false,
  state: initialBotState(),
});

describe('the learning curve (--learn)', () => {
  it('labels a turn as a site does: the answer or the first suggestion, right or wrong; not covered without an entry', () => {
    expect(labelOf(turn('answer', 'pin', ['card']), { text: 'q', expect: 'pin' })).toMatchObject({ faqId: 'pin', label: 'right' });
    expect(labelOf(turn('answer', 'pin', []), { text: 'q', expect: 'card' })).toMatchObject({ faqId: 'pin', label: 'wrong' });
    expect(labelOf(turn('unsure', undefined, ['card', 'pin']), { text: 'q', expect: 'card' })).toMatchObject({
      faqId: 'card',
      label: 'right',
    });
    expect(labelOf(turn('unsure', undefined, []), { text: 'q', expect: null })).toMatchObject({ faqId: null, label: 'not_covered' });
    expect(labelOf(turn('smalltalk', undefined, []), { text: 'hi', expect: null })).toBeNull();
  });

  it('adds k questions per entry with their labels, fits the threshold from enough labels, and measures the same other cases', () => {
    const curve = learningCurve(file, { ks: [0, 1, 5] });
    expect(curve.map((p) => p.k)).toEqual([0, 1, 5]);
    // 11 entries × 7 cases, 7 out of scope: 5 per entry labelled, 2 of them measured; out of scope in the same share.
    const held = 11 * 2 + 7 - Math.round((7 * 11) / 77) * 5;
    for (const p of curve) expect(p.cases).toBe(held);
    expect(curve[0]).toMatchObject({ labels: 0, fitted: false, threshold: 0.5 });
    expect(curve[1]!.labels).toBe(11 + 1);
    expect(curve[1]!.fitted).toBe(12 >= MIN_LABELS);
    expect(curve[2]!.labels).toBe(5 * 12);
    expect(curve[2]!.fitted).toBe(true);
    // Without labels the site's threshold is the default: the figures are those of the phrasings alone.
    expect(curve[0]!.phrasings_only).toEqual({
      in_scope_accuracy: curve[0]!.in_scope_accuracy,
      oos_recall: curve[0]!.oos_recall,
      answer_rate: curve[0]!.answer_rate,
      right_when_answered: curve[0]!.right_when_answered,
    });
  }, 180_000);
});
