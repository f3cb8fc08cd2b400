// What the conversation service needs from the bot: a synchronous reply for a site's FAQ.
// The FAQ bot (server/src/bot) implements it per site; tests may pass their own.

export interface BotReply {
  kind: 'answer' | 'unsure' | 'smalltalk' | 'handoff';
  text: string;
  lang: 'de' | 'en';
  faqId?: string;
  confidence: number;
  suggestions: { id: string; title: string }[];
  offerHandoff: boolean;
  handoffReason?: 'visitor_request' | 'low_confidence' | 'frustration';
  intent?: string;
  state: unknown;
  botName?: string;
}

export interface BotResponder {
  /** `state` is the conversation's stored bot state (JSON text). Null: the bot stays silent. */
  reply(siteKey: string, input: { text: string; lang: string | null; state: string }): BotReply | null;
}

export const silentBot: BotResponder = { reply: () => null };
