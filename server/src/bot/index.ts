export { createFaqBot, initialBotState, DEFAULT_THRESHOLD } from './bot.js';
export type { BotState, BotTurn, FaqBotOptions, FaqBot } from './bot.js';
export { parseFaq, loadFaqFiles, watchFaqFiles, slug, langFromFile } from './faq.js';
export type { FaqEntry, FaqError, FaqParseResult } from './faq.js';
export { detectLanguage } from './text.js';
export type { Lang } from './text.js';
export { createRetriever } from './retrieval.js';
export type { SearchHit, Retriever } from './retrieval.js';
