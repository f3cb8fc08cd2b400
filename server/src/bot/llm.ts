// The optional LLM engine (docs/llm.md): the default engine retrieves first, then an OpenAI-compatible
// model writes the answer from the retrieved entries only, streaming, or hands over with a tool call.
// It decides synchronously whether to ask the model at all; the call itself runs later, outside the
// write transaction, and every failure (timeout, HTTP error, cut-off answer) rejects so the caller
// can fall back to the default engine's answer.
import OpenAI from 'openai';
import type { BotTurn } from './bot.js';
import type { FaqEntry } from './faq.js';
import type { SearchHit } from './retrieval.js';
import type { Lang } from './text.js';
import { buildPrompt, handoffTool, HANDOFF_TOOL } from './llm-prompt.js';

/** The part of the `openai` client the engine uses (tests may pass their own). */
export type ChatClient = Pick<OpenAI, 'chat'>;

export interface LlmEngineOptions {
  /** OpenAI-compatible endpoint (default: OpenAI's). */
  baseURL?: string | undefined;
  apiKey?: string | undefined;
  model: string;
  /** Longest a whole answer may take, stream included (default 8 s). */
  timeoutMs?: number;
  /** max_tokens per answer (default 400). */
  maxTokens?: number;
  /** Model calls per conversation (default 10); then the default engine answers alone. */
  maxCallsPerConversation?: number;
  /** Retrieval confidence below which no model is asked and the conversation is handed over (default 0.1). */
  minConfidence?: number;
  /** Retrieved entries shown to the model (default 3). */
  maxEntries?: number;
  /** Earlier visitor messages given as context (default 4). */
  maxEarlierMessages?: number;
  /** Model calls running at once, over all conversations (default 8); beyond it the default engine answers. */
  maxConcurrent?: number;
  client?: ChatClient;
}

export type LlmOutcome = { kind: 'answer'; text: string } | { kind: 'handoff'; text: string; reason: string | null };

export type LlmDecision =
  /** The default engine's turn stands: intents, frustration, a policy handoff, or the call limit reached. */
  | { action: 'keep' }
  /** Retrieval found nothing close: hand over without asking the model. */
  | { action: 'handoff' }
  /** Ask the model; `run` streams text through `onDelta` and rejects on any failure or when `signal` aborts. */
  | { action: 'call'; entries: FaqEntry[]; run(onDelta: (text: string) => void, signal?: AbortSignal): Promise<LlmOutcome> };

export type LlmErrorCode = 'timeout' | 'cancelled' | 'busy' | 'failed' | 'truncated' | 'empty' | 'unknown_tool';

export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LlmError';
  }
}

export interface DecideInput {
  question: string;
  lang: Lang;
  /** The default engine's turn for this message (intents and policy already applied). */
  turn: BotTurn;
  /** Retrieval results, best first. */
  hits: SearchHit[];
  entry(id: string): FaqEntry | undefined;
  /** Model calls this conversation has had. */
  calls: number;
  /** The visitor's messages before this one. */
  earlier?: string[];
}

export function createLlmEngine({
  baseURL,
  apiKey,
  model,
  timeoutMs = 8000,
  maxTokens = 400,
  maxCallsPerConversation = 10,
  minConfidence = 0.1,
  maxEntries = 3,
  maxEarlierMessages = 4,
  maxConcurrent = 8,
  client,
}: LlmEngineOptions) {
  // Explicit values only: the client must never pick up OPENAI_* variables on its own. Retries are
  // off because one retry would already blow the deadline; the default engine is the retry.
  const chat: ChatClient =
    client ??
    new OpenAI({
      apiKey: apiKey ?? 'no-key',
      baseURL: baseURL ?? null,
      // Every credential the SDK would otherwise read from OPENAI_* variables, set explicitly.
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: timeoutMs,
    });
  // A server that ignores max_tokens is cut off here (generous: a token is rarely over 8 characters).
  const maxChars = maxTokens * 8;
  // Beyond maxConcurrent a visitor gets the default engine's answer at once rather than waiting in a
  // queue in front of a model server that is already saturated.
  let running = 0;

  async function callModel(
    input: DecideInput,
    entries: FaqEntry[],
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<LlmOutcome> {
    if (running >= maxConcurrent) throw new LlmError('busy', `${maxConcurrent} model calls are running already`);
    running += 1;
    try {
      return await streamAnswer(input, entries, onDelta, signal);
    } finally {
      running -= 1;
    }
  }

  async function streamAnswer(
    input: DecideInput,
    entries: FaqEntry[],
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<LlmOutcome> {
    const messages = buildPrompt({
      question: input.question,
      lang: input.lang,
      entries,
      earlier: (input.earlier ?? []).slice(-maxEarlierMessages),
    });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const cancel = () => controller.abort();
    if (signal?.aborted) cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let text = '';
    let finish: string | null = null;
    const tool = { name: '', args: '' };
    try {
      const stream = await chat.chat.completions.create(
        {
          model,
          stream: true,
          messages,
          tools: [handoffTool],
          max_tokens: maxTokens,
          temperature: 0.2,
        },
        { signal: controller.signal, maxRetries: 0, timeout: timeoutMs },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta;
        for (const call of delta?.tool_calls ?? []) {
          if (call.function?.name) tool.name += call.function.name;
          if (call.function?.arguments) tool.args += call.function.arguments;
        }
        if (delta?.content) {
          text += delta.content;
          if (!tool.name) onDelta(delta.content);
          if (text.length > maxChars) {
            controller.abort();
            throw new LlmError('truncated', `the answer exceeded ${maxChars} characters`);
          }
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      // The SDK ends the iteration quietly when its request is aborted: cancelled, or the deadline passed.
      if (signal?.aborted) throw new LlmError('cancelled', 'the answer is no longer wanted');
      if (timedOut) throw new LlmError('timeout', `no complete answer within ${timeoutMs} ms`);
    } catch (err) {
      if (err instanceof LlmError) throw err;
      if (signal?.aborted) throw new LlmError('cancelled', 'the answer is no longer wanted', { cause: err });
      if (timedOut) throw new LlmError('timeout', `no complete answer within ${timeoutMs} ms`, { cause: err });
      throw new LlmError('failed', err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
    if (tool.name) {
      if (tool.name !== HANDOFF_TOOL) throw new LlmError('unknown_tool', `the model called an unknown tool: ${tool.name.slice(0, 60)}`);
      return { kind: 'handoff', text: text.trim(), reason: toolReason(tool.args) };
    }
    if (finish === 'length') throw new LlmError('truncated', 'the answer hit max_tokens');
    if (finish === null) throw new LlmError('failed', 'the stream ended without a finish reason');
    if (finish === 'content_filter') throw new LlmError('failed', 'the answer was filtered');
    if (!text.trim()) throw new LlmError('empty', 'the model returned no text');
    return { kind: 'answer', text: text.trim() };
  }

  return {
    maxCallsPerConversation,
    decide(input: DecideInput): LlmDecision {
      const { turn, hits } = input;
      // Intents, frustration and the policy's own handoffs stay with the default engine.
      if (turn.kind !== 'answer' && turn.kind !== 'unsure') return { action: 'keep' };
      const top = hits[0];
      if (!top || top.confidence < minConfidence) return { action: 'handoff' };
      if (input.calls >= maxCallsPerConversation) return { action: 'keep' };
      const entries = hits
        .filter((h) => h.confidence >= minConfidence)
        .slice(0, maxEntries)
        .map((h) => input.entry(h.id))
        .filter((e): e is FaqEntry => e !== undefined);
      if (!entries.length) return { action: 'handoff' };
      return { action: 'call', entries, run: (onDelta, signal) => callModel(input, entries, onDelta, signal) };
    },
  };
}

export type LlmEngine = ReturnType<typeof createLlmEngine>;

function toolReason(args: string): string | null {
  try {
    const parsed = JSON.parse(args || '{}') as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason.slice(0, 200) : null;
  } catch {
    return null;
  }
}
