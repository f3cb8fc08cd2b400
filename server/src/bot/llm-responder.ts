// Puts the LLM engine on top of a site's default turn: intents and the handoff policy of the default
// engine run first; a question it could answer (or is unsure about) goes to the model, deferred so that
// the call happens after the visitor's message is committed; very low confidence hands over at once.
import type { BotReply } from './responder.js';
import type { Logger } from '../core/logger.js';
import type { BotTurn } from './bot.js';
import type { FaqEntry } from './faq.js';
import type { LlmEngine } from './llm.js';
import type { SearchHit } from './retrieval.js';
import type { Lang } from './text.js';
import { botTexts } from './texts.js';

export interface LlmSite {
  siteKey: string;
  search(text: string, lang: Lang): SearchHit[];
  entry(id: string): FaqEntry | undefined;
}

/** Model calls so far, kept in the conversation's stored bot state beside the default engine's fields. */
export function llmCallsOf(state: unknown): number {
  const calls = (state as { llmCalls?: unknown } | null)?.llmCalls;
  return typeof calls === 'number' && Number.isInteger(calls) && calls >= 0 ? calls : 0;
}

export function llmReply(engine: LlmEngine, site: LlmSite, logger: Logger, text: string, calls: number, turn: BotTurn): BotReply {
  const keep: BotReply = { ...turn, state: { ...turn.state, llmCalls: calls } };
  // Greetings, thanks, a request for a person, frustration, the second miss: as the default engine says.
  if (turn.kind !== 'answer' && turn.kind !== 'unsure') return keep;
  const hits = site.search(text, turn.lang);
  const decision = engine.decide({
    question: text,
    lang: turn.lang,
    turn,
    hits,
    entry: site.entry,
    calls,
    earlier: turn.state.recent.slice(0, -1),
  });
  if (decision.action === 'keep') return keep;
  if (decision.action === 'handoff') {
    return {
      ...keep,
      kind: 'handoff',
      text: botTexts[turn.lang].handoffAfterMisses,
      offerHandoff: true,
      handoffReason: 'low_confidence',
      intent: 'unknown',
    };
  }
  const fallback: BotReply = { ...turn, state: { ...turn.state, llmCalls: calls + 1 } };
  const faqId = decision.entries[0]!.id;
  const confidence = hits[0]?.confidence ?? 0;
  return {
    ...fallback,
    deferred: {
      fallback,
      async run(onDelta, signal) {
        const started = Date.now();
        try {
          const out = await decision.run(onDelta, signal);
          logger.debug({ site: site.siteKey, outcome: out.kind, ms: Date.now() - started }, 'model answered');
          if (out.kind === 'handoff') {
            return {
              kind: 'handoff',
              text: out.text || botTexts[turn.lang].handoff,
              lang: turn.lang,
              confidence,
              suggestions: [],
              offerHandoff: true,
              handoffReason: 'llm_handoff',
              intent: 'llm_handoff',
              state: fallback.state,
            };
          }
          return {
            kind: 'answer',
            text: out.text,
            lang: turn.lang,
            faqId,
            confidence,
            suggestions: fallback.suggestions.filter((s) => s.id !== faqId),
            offerHandoff: false,
            intent: 'llm',
            state: fallback.state,
          };
        } catch (err) {
          // The default engine's answer goes out instead; the log says why.
          const code = (err as { code?: string }).code ?? 'failed';
          if (code === 'cancelled') throw err;
          logger.warn(
            { site: site.siteKey, code, err: (err as Error).message, ms: Date.now() - started },
            'model failed; default engine answers',
          );
          throw err;
        }
      },
    },
  };
}
