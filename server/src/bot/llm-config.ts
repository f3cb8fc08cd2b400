// Turns the LLM settings of the configuration into engine options, or null when no model is
// configured: neither OPENAI_API_KEY nor OPENAI_BASE_URL means the engine does not exist.
import type { Config } from '../core/config.js';
import type { LlmEngineOptions } from './llm.js';

export function llmOptionsFromConfig(config: Config): LlmEngineOptions | null {
  if (!config.openaiApiKey && !config.openaiBaseUrl) return null;
  return {
    baseURL: config.openaiBaseUrl,
    apiKey: config.openaiApiKey,
    model: config.openaiModel,
    timeoutMs: Math.round(config.llmTimeoutSeconds * 1000),
    maxTokens: config.llmMaxTokens,
    maxCallsPerConversation: config.llmMaxCallsPerConversation,
    minConfidence: config.llmMinConfidence,
    maxEntries: config.llmMaxEntries,
    maxConcurrent: config.llmMaxConcurrent,
  };
}
