import { describe, expect, it } from 'vitest';
import { createFaqBot, initialBotState } from './bot.js';
import { classify, frustration, frustrationSign } from './intents.js';
import { detectLanguage, editDistance, stem, tokens } from './text.js';
import type { FaqEntry } from './faq.js';

const faq: FaqEntry[] = [
  {
    id: 'versanddauer',
    question: 'Wie lange dauert der Versand?',
    variants: ['Wann kommt mein Paket an?', 'Lieferzeit nach Österreich'],
    answer: 'Zwei bis drei Werktage.',
    lang: 'de',
  },
  {
    id: 'rueckgabe',
    question: 'Kann ich Ware zurückschicken?',
    variants: ['Wie funktioniert die Rücksendung?', 'Umtausch'],
    answer: '30 Tage Rückgaberecht.',
    lang: 'de',
  },
  {
    id: 'zahlung',
    question: 'Welche Zahlungsarten gibt es?',
    variants: ['Kann ich mit PayPal bezahlen?'],
    answer: 'Kreditkarte, PayPal, Rechnung.',
    lang: 'de',
  },
  {
    id: 'shipping',
    question: 'How long does shipping take?',
    variants: ['When will my parcel arrive?'],
    answer: 'Two to three days.',
    lang: 'en',
  },
  { id: 'returns', question: 'Can I return my order?', variants: ['How do returns work?'], answer: 'Within 30 days.', lang: 'en' },
  { id: 'password', question: 'I forgot my password', variants: ['Reset my password'], answer: 'Use "Forgot password".', lang: 'en' },
];
const bot = createFaqBot({ entries: faq, defaultLang: 'de' });
const ask = (text: string, state = initialBotState()) => bot.reply({ text, state });

describe('text', () => {
  it('stems German and English and folds umlauts', () => {
    expect(stem('Rücksendungen', 'de')).toBe(stem('rucksendung', 'de'));
    expect(stem('refunds', 'en')).toBe('refund');
    expect(tokens('Wie lange dauert der Versand?', 'de').map((t) => t.term)).toEqual(['?how', 'lang', 'dauert', 'versand']);
  });
  it('measures edit distance with transpositions and stops early', () => {
    expect(editDistance('paket', 'pakte', 2)).toBe(1);
    expect(editDistance('paket', 'packet', 2)).toBe(1);
    expect(editDistance('paket', 'zahlung', 1)).toBe(2);
  });
  it('guesses the language', () => {
    expect(detectLanguage('Wo ist mein Paket?', 'en')).toBe('de');
    expect(detectLanguage('Where is my parcel?', 'de')).toBe('en');
    expect(detectLanguage('Transfer was declined.', 'en')).toBe('en');
    expect(detectLanguage('Was kostet der Versand?', 'en')).toBe('de');
  });
});

describe('intents', () => {
  it('recognises requests for a person in many phrasings in both languages', () => {
    for (const t of [
      'Can I talk to a human?',
      'agent please',
      'I want a real person',
      'connect me to customer service',
      'Ich möchte mit einem Mitarbeiter sprechen',
      'Mitarbeiter bitte',
      'echter Mensch',
      'Kann ich mit jemandem reden?',
      'kein Bot bitte',
      'transfer me to an agent',
      'speak to a manager',
      'Ich möchte einen Menschen',
      'Bitte einen Mitarbeiter',
      'Verbinden Sie mich mit dem Kundenservice',
      'Ich hätte gern einen Berater',
      'Ich will nicht mit einem Bot reden',
    ]) {
      expect(classify(t), t).toBe('human');
    }
    expect(classify('How long does shipping take?')).toBeNull();
    expect(classify('Wie lange dauert der Versand?')).toBeNull();
    expect(classify('Ich möchte meine Bestellung stornieren')).toBeNull();
    expect(classify('I want to transfer money to a person')).toBeNull();
  });
  it('recognises greetings, thanks and goodbyes', () => {
    expect(classify('Servus!')).toBe('greeting');
    expect(classify('Hallo zusammen')).toBe('greeting');
    expect(classify('Danke schön')).toBe('thanks');
    expect(classify('thanks a lot!')).toBe('thanks');
    expect(classify('Tschüss')).toBe('goodbye');
  });
  it('sees frustration: negative phrases, swearing, shouting, repetition', () => {
    expect(frustration('Das hilft mir nicht', [])).toBe(true);
    expect(frustration("that doesn't help", [])).toBe(true);
    expect(frustration('so ein Mist', [])).toBe(true);
    expect(frustration('WHERE IS MY PARCEL', [])).toBe(true);
    expect(frustration('where is my parcel', ['Where is my parcel?'])).toBe(true);
    expect(frustration('where is my parcel', [])).toBe(false);
  });
  it('tells a problem in a question from a reaction to the bot', () => {
    // "doesn't work" in a first question describes the visitor's problem…
    expect(frustrationSign('My card doesn’t work in shops, what can I do?', [])).toBeNull();
    expect(frustrationSign('PayPal funktioniert nicht, was tun?', [])).toBeNull();
    // …and as a short reply after the bot's answer, it is feedback on that answer.
    expect(frustrationSign('still not working', ['How do I reset my password'])).toBe('feedback');
    expect(frustrationSign('Das hilft mir nicht', [])).toBe('feedback');
    expect(frustrationSign('where is my damn parcel', [])).toBe('tone');
    expect(frustrationSign('Where is my parcel', ['where is my parcel?'])).toBe('repeat');
  });
});

describe('the FAQ bot', () => {
  it('answers from the FAQ despite typos and different words, in the visitor’s language', () => {
    expect(ask('Wie lange brauch der Versnad?')).toMatchObject({ kind: 'answer', faqId: 'versanddauer', lang: 'de' });
    expect(ask('Wann kommt mein Packet?')).toMatchObject({ kind: 'answer', faqId: 'versanddauer' });
    expect(ask('Kann ich mit Paypal zahlen?')).toMatchObject({ kind: 'answer', faqId: 'zahlung' });
    expect(ask('how do I reset my pasword')).toMatchObject({ kind: 'answer', faqId: 'password', lang: 'en' });
  });

  it('hands over at once when the visitor asks for a person', () => {
    const turn = ask('Ich will mit einem Menschen sprechen');
    expect(turn).toMatchObject({ kind: 'handoff', handoffReason: 'visitor_request', offerHandoff: true });
  });

  it('is unsure with suggestions on the first miss and hands over on the second', () => {
    const first = ask('Habt ihr auch Kinderschuhe in Größe 28 lagernd?');
    expect(first.kind).toBe('unsure');
    expect(first.offerHandoff).toBe(true);
    expect(first.confidence).toBeLessThan(0.5);
    const second = ask('Und Wanderstöcke aus Carbon?', first.state);
    expect(second).toMatchObject({ kind: 'handoff', handoffReason: 'low_confidence' });
    // An answer in between resets the count.
    const answered = ask('Wie lange dauert der Versand?', first.state);
    expect(answered.state.misses).toBe(0);
  });

  it('offers a person when the visitor is frustrated, and never mutates the given state', () => {
    const state = Object.freeze({ ...initialBotState(), recent: Object.freeze([]) as unknown as string[] });
    const turn = ask('Das hilft mir überhaupt nicht!', state);
    expect(turn).toMatchObject({ offerHandoff: true, handoffReason: 'frustration' });
    expect(state.misses).toBe(0);
  });

  it('answers an angry question it knows, and offers a person with the answer', () => {
    const turn = ask('WIE LANGE DAUERT DER VERSAND?');
    expect(turn).toMatchObject({ kind: 'answer', faqId: 'versanddauer', offerHandoff: true });
    expect(turn.text).toContain('Zwei bis drei Werktage.');
    expect(turn.text).toContain('Menschen');
    expect(turn.handoffReason).toBeUndefined();
  });

  it('does not answer the same question twice: it offers a person instead', () => {
    const first = ask('Wie lange dauert der Versand?');
    expect(first.kind).toBe('answer');
    const again = ask('Wie lange dauert der Versand?', first.state);
    expect(again).toMatchObject({ kind: 'unsure', offerHandoff: true, handoffReason: 'frustration' });
    const third = ask('wie lange dauert der versand', again.state);
    expect(third).toMatchObject({ kind: 'handoff', handoffReason: 'frustration' });
  });

  it('answers a question that describes a problem with "doesn’t work"', () => {
    expect(ask('PayPal bezahlen funktioniert nicht')).toMatchObject({ kind: 'answer', faqId: 'zahlung', offerHandoff: false });
  });

  it('answers small talk without FAQ entries', () => {
    expect(ask('Hallo')).toMatchObject({ kind: 'smalltalk', intent: 'greeting', lang: 'de' });
    expect(ask('Thank you!')).toMatchObject({ kind: 'smalltalk', intent: 'thanks', lang: 'en' });
  });

  it('gives calibrated confidence: clear matches high, unrelated questions low', () => {
    expect(bot.search('Wie lange dauert der Versand?')[0]!.confidence).toBeGreaterThan(0.5);
    expect(bot.search('Quantenphysik Vorlesung Skriptum')[0]?.confidence ?? 0).toBeLessThan(0.3);
  });
});

describe('fixes from the error analysis (issue 16)', () => {
  it('does not take a question about "this person" or "the person who…" for a request for a person', () => {
    for (const t of [
      'Can I send money to this person?',
      'The person who sent me money wants it back',
      'transfer it to the person who sent it',
      'Muss diese Person in Quarantäne, wenn wir Kontakt haben?',
      'Darf die Person, die positiv getestet wurde, Besuch haben?',
      'Wie kann ich eine andere Person bevollmächtigen?',
    ])
      expect(classify(t), t).toBeNull();
    for (const t of ['speak to the person in charge', 'Ich möchte mit der Person sprechen', 'i need a person', 'Ich brauche eine Person'])
      expect(classify(t), t).toBe('human');
  });

  it('sends a question about "this person" to retrieval, which answers it', () => {
    const people: FaqEntry[] = [
      { id: 'send', question: 'How do I send money to someone?', variants: ['Pay a friend'], answer: 'Tap "Send".', lang: 'en' },
      { id: 'card', question: 'How do I order a card?', variants: ['New card'], answer: 'Tap "Cards".', lang: 'en' },
    ];
    const turn = createFaqBot({ entries: people, defaultLang: 'en' }).reply({
      text: 'how do I send money to this person',
      state: initialBotState(),
    });
    expect(turn.kind).not.toBe('handoff');
    expect(turn.intent).not.toBe('human');
    expect(turn.kind === 'answer' ? turn.faqId : turn.suggestions[0]?.id).toBe('send');
  });

  it("answers and suggests in the visitor's language only when the FAQ has both", () => {
    const langOf = new Map(faq.map((e) => [e.id, e.lang]));
    for (const [text, lang] of [
      ['Wie lange dauert shipping nach Wien?', 'de'],
      ['return versand', 'en'],
      ['Kann ich meine order zurückschicken?', 'de'],
      ['password Paket', 'en'],
    ] as const) {
      const turn = bot.reply({ text, lang, state: { ...initialBotState(), lang } });
      const ids = [...(turn.faqId ? [turn.faqId] : []), ...turn.suggestions.map((s) => s.id)];
      expect(ids.length, text).toBeGreaterThan(0);
      for (const id of ids) expect(langOf.get(id), `${text}: ${id}`).toBe(turn.lang);
      for (const h of bot.search(text, turn.lang)) expect(langOf.get(h.id)).toBe(turn.lang);
    }
  });
});
