// What the conversation service needs from the bot: a synchronous reply for a site's FAQ.
// The FAQ bot (server/src/bot) implements it per site; tests may pass their own.
import type { BotTurn } from '../bot/index.js';

/** A bot turn as the FAQ bot makes it; `state` is stored as JSON, and a site may name its bot. */
export type BotReply = Omit<BotTurn, 'state'> & { state: unknown; botName?: string };

export interface BotResponder {
  /** `state` is the conversation's stored bot state (JSON text). Null: the bot stays silent. */
  reply(siteKey: string, input: { text: string; lang: string | null; state: string }): BotReply | null;
}

export const silentBot: BotResponder = { reply: () => null };
