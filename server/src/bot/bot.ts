// The FAQ bot: intents first (a person, greetings, thanks), then retrieval; below the threshold it
// says it is unsure and offers suggestions and a person; the second miss in a row hands over.
import type { FaqEntry } from './faq.js';
import { createRetriever, type SearchHit } from './retrieval.js';
import { classify, frustrationSign } from './intents.js';
import { botTexts } from './texts.js';
import { detectLanguage, languageOf, type Lang } from './text.js';

export interface BotState {
  misses: number;
  recent: string[];
  lang?: Lang;
}

export const initialBotState = (): BotState => ({ misses: 0, recent: [] });

export interface BotTurn {
  kind: 'answer' | 'unsure' | 'smalltalk' | 'handoff';
  text: string;
  lang: Lang;
  faqId?: string;
  confidence: number;
  suggestions: { id: string; title: string }[];
  offerHandoff: boolean;
  handoffReason?: 'visitor_request' | 'low_confidence' | 'frustration';
  intent?: string;
  state: BotState;
}

export interface FaqBotOptions {
  entries: FaqEntry[];
  defaultLang?: Lang;
  /** Confidence below which the bot says it is unsure (default 0.5). */
  threshold?: number;
  synonyms?: Record<string, string[]>;
}

export const DEFAULT_THRESHOLD = 0.5;
const RECENT = 5;

export function createFaqBot({ entries, defaultLang = 'de', threshold: fixedThreshold = DEFAULT_THRESHOLD, synonyms }: FaqBotOptions) {
  const retriever = createRetriever({ entries, defaultLang, ...(synonyms ? { synonyms } : {}) });
  const byId = new Map(entries.map((e) => [e.id, e]));
  const languages = new Set(entries.map((e) => e.lang ?? defaultLang));
  const langOf = (id: string) => byId.get(id)?.lang ?? defaultLang;
  // A visitor is answered and offered entries in one language only, when the FAQ has both: the
  // language their question shows, or where it shows none ("Quokka Zustellung"), the best match's.
  const inLanguage = (hits: SearchHit[], text: string) => {
    if (languages.size < 2 || !hits.length) return hits;
    const shown = languageOf(text);
    const lang = shown && languages.has(shown) ? shown : langOf(hits[0]!.id);
    return hits.filter((h) => langOf(h.id) === lang);
  };
  const suggestionsOf = (hits: SearchHit[], lang: Lang) =>
    hits
      .filter((h) => byId.has(h.id))
      .slice(0, 3)
      .map((h) => ({ id: h.id, title: preferLang(byId.get(h.id)!, lang) }));

  return {
    search(text: string, lang?: Lang): SearchHit[] {
      return inLanguage(retriever.search(text, lang ?? detectLanguage(text, defaultLang), 10), text).slice(0, 5);
    },
    /** `threshold`: the site's own (learning/), instead of the one the bot was built with. */
    reply({ text, lang: given, state, threshold: own }: { text: string; lang?: Lang; state: BotState; threshold?: number }): BotTurn {
      const threshold = own ?? fixedThreshold;
      const lang = detectLanguage(text, state.lang ?? given ?? defaultLang);
      const t = botTexts[lang];
      const recent = [...state.recent, text].slice(-RECENT);
      const base = { lang, confidence: 0, suggestions: [] as { id: string; title: string }[] };
      const intent = classify(text);
      if (intent === 'human') {
        return {
          ...base,
          kind: 'handoff',
          text: t.handoff,
          confidence: 1,
          offerHandoff: true,
          handoffReason: 'visitor_request',
          intent,
          state: { misses: 0, recent, lang },
        };
      }
      if (intent) {
        return {
          ...base,
          kind: 'smalltalk',
          text: t[intent],
          confidence: 1,
          offerHandoff: false,
          intent,
          state: { ...state, recent, lang },
        };
      }
      const sign = frustrationSign(text, state.recent);
      const frustrated = sign !== null;
      const hits = inLanguage(retriever.search(text, lang, 10), text).slice(0, 5);
      const top = hits[0];
      // A repeated question or "that didn't help" is about the last answer: answering again won't do.
      // An angry tone on a question the FAQ answers gets the answer, and a person is offered with it.
      if (top && top.confidence >= threshold && sign !== 'repeat' && sign !== 'feedback') {
        const entry = byId.get(top.id)!;
        return {
          ...base,
          kind: 'answer',
          text: sign === 'tone' ? `${entry.answer}\n\n${t.offerPerson}` : entry.answer,
          faqId: entry.id,
          confidence: top.confidence,
          suggestions: suggestionsOf(hits.slice(1), lang),
          offerHandoff: sign === 'tone',
          intent: 'faq',
          state: { misses: 0, recent, lang },
        };
      }
      const misses = state.misses + 1;
      const suggestions = suggestionsOf(hits, lang);
      const confidence = top?.confidence ?? 0;
      if (frustrated) {
        return {
          ...base,
          kind: misses >= 2 ? 'handoff' : 'unsure',
          text: misses >= 2 ? t.handoffAfterMisses : t.frustrated,
          confidence,
          suggestions,
          offerHandoff: true,
          handoffReason: 'frustration',
          intent: 'frustration',
          state: { misses, recent, lang },
        };
      }
      if (misses >= 2) {
        return {
          ...base,
          kind: 'handoff',
          text: t.handoffAfterMisses,
          confidence,
          suggestions,
          offerHandoff: true,
          handoffReason: 'low_confidence',
          intent: 'unknown',
          state: { misses, recent, lang },
        };
      }
      return {
        ...base,
        kind: 'unsure',
        text: suggestions.length ? t.unsure : t.unsureNoSuggestions,
        confidence,
        suggestions,
        offerHandoff: true,
        intent: 'unknown',
        state: { misses, recent, lang },
      };
    },
  };
}

export type FaqBot = ReturnType<typeof createFaqBot>;

/**
 * The bot's reply to a visitor's "did this answer your question?" under one of its answers: glad on
 * a yes; on a no, sorry, with the answer's other suggestions and a person offered. A no counts as a
 * miss (the next question the bot is unsure about hands over); a yes clears the misses.
 */
export function feedbackTurn(
  helpful: boolean,
  storedState: string,
  lang: Lang,
  hasSuggestions: boolean,
): { text: string; state: BotState } {
  let state = initialBotState();
  try {
    const parsed = JSON.parse(storedState) as Partial<BotState>;
    if (typeof parsed.misses === 'number' && Array.isArray(parsed.recent)) state = parsed as BotState;
  } catch {
    // A state we cannot read starts afresh, as in a reply.
  }
  const t = botTexts[lang];
  return {
    text: helpful ? t.helpful : hasSuggestions ? t.notHelpful : t.notHelpfulNoSuggestions,
    state: { ...state, misses: helpful ? 0 : state.misses + 1, lang },
  };
}

function preferLang(entry: FaqEntry, _lang: Lang): string {
  return entry.question;
}
