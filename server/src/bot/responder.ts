// What the conversation service needs from the bot: a synchronous reply for a site's FAQ.
// The FAQ bot (server/src/bot) implements it per site; tests may pass their own.
import type { BotTurn } from './bot.js';

/** A bot turn as the FAQ bot makes it; `state` is stored as JSON, and a site may name its bot. */
export type BotReply = Omit<BotTurn, 'state' | 'handoffReason'> & {
  state: unknown;
  botName?: string;
  /** `llm_handoff`: the model called its handoff tool (LLM engine). */
  handoffReason?: BotTurn['handoffReason'] | 'llm_handoff';
  /**
   * Set when a model answers instead (LLM engine): the service commits the visitor's message and
   * `state` without a bot message, then runs this outside the write transaction.
   */
  deferred?: DeferredBotReply;
};

/** A bot answer that takes time (a model call): streamed as drafts, then logged as one message. */
export interface DeferredBotReply {
  /** What the default engine says when the model fails, times out or is cut off. */
  fallback: BotReply;
  /**
   * Streams draft text through `onDelta`; resolves with the final answer, rejects for the fallback.
   * `signal` aborts when the answer is no longer wanted (a person took the conversation).
   */
  run(onDelta: (text: string) => void, signal?: AbortSignal): Promise<BotReply>;
}

export interface BotResponder {
  /** True when some replies are deferred (LLM engine): at start the service looks for lost answers. */
  readonly defers?: boolean;
  /**
   * `state` is the conversation's stored bot state (JSON text). Null: the bot stays silent.
   * `again`: the same message once more because its deferred answer was lost (a restart); the
   * stored state already counts it, so the bot reproduces the turn instead of taking a new one.
   * `threshold`: the site's own confidence threshold (fitted from its labels, learning/).
   */
  reply(siteKey: string, input: { text: string; lang: string | null; state: string; again?: boolean; threshold?: number }): BotReply | null;
}

export const silentBot: BotResponder = { reply: () => null };
