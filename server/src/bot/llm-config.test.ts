// The LLM settings: validated like every setting, and no engine unless a key or a base URL is set.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../core/config.js';
import { llmOptionsFromConfig } from './llm-config.js';

describe('LLM settings', () => {
  it('are off by default, with small named limits', () => {
    const config = loadConfig({ env: {} });
    expect(llmOptionsFromConfig(config)).toBeNull();
    expect(config).toMatchObject({
      openaiModel: 'gpt-4o-mini',
      llmTimeoutSeconds: 8,
      llmMaxTokens: 400,
      llmMaxCallsPerConversation: 10,
      llmMinConfidence: 0.1,
      llmMaxEntries: 3,
      llmMaxConcurrent: 8,
    });
  });

  it('switch the engine on with OPENAI_BASE_URL alone (a local server needs no key)', () => {
    const config = loadConfig({
      env: { OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'llama3.1:8b', LLM_TIMEOUT_SECONDS: '20' },
    });
    expect(llmOptionsFromConfig(config)).toEqual({
      baseURL: 'http://localhost:11434/v1',
      apiKey: undefined,
      model: 'llama3.1:8b',
      timeoutMs: 20_000,
      maxTokens: 400,
      maxCallsPerConversation: 10,
      minConfidence: 0.1,
      maxEntries: 3,
      maxConcurrent: 8,
    });
  });

  it('switch the engine on with OPENAI_API_KEY alone (OpenAI itself)', () => {
    const options = llmOptionsFromConfig(loadConfig({ env: { OPENAI_API_KEY: 'sk-x' } }));
    expect(options).toMatchObject({ apiKey: 'sk-x', baseURL: undefined, timeoutMs: 8000 });
  });

  it('reject wrong values, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({
        env: { OPENAI_BASE_URL: 'ftp://models.example', LLM_TIMEOUT_SECONDS: '0', LLM_MAX_TOKENS: '1000000', LLM_MIN_CONFIDENCE: '2' },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join('\n');
    for (const name of ['OPENAI_BASE_URL', 'LLM_TIMEOUT_SECONDS', 'LLM_MAX_TOKENS', 'LLM_MIN_CONFIDENCE']) expect(text).toContain(name);
  });
});
