// The LLM engine on a real server with real sockets, wired as `npm start` wires it (config → FAQ bots
// → LLM engine), against a local fake OpenAI server scripted per test. No real model is involved.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../core/config.js';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { createFaqBots } from './faq-bots.js';
import { connect, newAgent, newVisitor, type Frame, type TestClient } from '../testing/client.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { loadFaqFiles } from './faq.js';
import { languageInstruction } from './llm-prompt.js';
import { createLlmEngine } from './llm.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;

/** A server with the real FAQ bots (and the LLM engine when `overrides` configure one). */
function start(overrides: Partial<Record<keyof Config, unknown>>, { postgres = false } = {}): Promise<TestServer> {
  return startTestServer({ overrides: { autoAssign: false, ...overrides }, bots: createFaqBots, postgres });
}

let fake: FakeOpenAI;
let server: TestServer;
let answers: Map<string, string>;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await start({
    openaiBaseUrl: fake.url,
    openaiApiKey: 'sk-test-key',
    openaiModel: 'fake-model',
    // Long enough that a slow, shared machine never turns a held stream into a timeout.
    llmTimeoutSeconds: 30,
    llmMaxTokens: 200,
    llmMaxCallsPerConversation: 2,
  });
  const { entries } = await loadFaqFiles([join(repoRoot, 'examples/faq/shop.en.md'), join(repoRoot, 'examples/faq/shop.de.md')]);
  answers = new Map(entries.map((e) => [e.id, e.answer]));
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

type Message = { text: string; author: { type: string }; streamId?: string; bot?: { intent?: string; faqId?: string; outcome?: string } };
const message = (f: Frame) => f.message as Message;
const isBot = (f: Frame) => f.type === 'message.created' && message(f).author.type === 'bot';

async function ask(client: TestClient, cid: string, text: string, conversationId?: string) {
  client.send({ type: 'message.send', cid, text, ...(conversationId ? { conversationId } : {}) });
  return client.next((f) => f.type === 'ack' && f.cid === cid);
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('LLM engine: streaming', () => {
  it('streams the model’s tokens as deltas to the visitor and the agent, then logs one message with the same streamId, also on resume', async () => {
    const begin = gate();
    const release = gate();
    fake.script({ content: [begin.opened, 'We ship ', 'within 24 hours; ', 'Germany takes 2–3 days.', release.opened] });
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    const ack = await ask(v.client, 'q1', 'How long does shipping take?');
    const conversationId = ack.conversationId as string;
    // The visitor's message is committed and acknowledged while the model is still writing.
    await fake.nextRequest(seen);
    const a = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    a.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    await a.client.next((f) => f.type === 'replay.done');
    begin.open();
    const deltas = () => v.client.frames.filter((f) => f.type === 'message.delta');
    await v.client.next((f) => f.type === 'message.delta' && f.delta === 'Germany takes 2–3 days.');
    expect(deltas().map((f) => f.delta)).toEqual(['We ship ', 'within 24 hours; ', 'Germany takes 2–3 days.']);
    expect(v.client.frames.some(isBot)).toBe(false);
    const streamId = deltas()[0]!.streamId as string;
    expect(deltas().every((f) => f.streamId === streamId && f.conversationId === conversationId && !('seq' in f))).toBe(true);

    release.open();
    const final = await v.client.next(isBot);
    expect(message(final)).toMatchObject({ text: 'We ship within 24 hours; Germany takes 2–3 days.', streamId });
    // Agents following the conversation saw the draft too, and get the model's provenance.
    await a.client.next((f) => f.type === 'message.delta' && f.streamId === streamId);
    const agentFinal = await a.client.next(isBot);
    expect(message(agentFinal)).toMatchObject({ streamId, bot: { intent: 'llm', faqId: 'shipping-time', outcome: 'answer' } });

    // Resume from the start on a new socket: the answer is in the log exactly once, drafts are not.
    const again = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: v.token });
    again.send({ type: 'visitor.hello', resume: { conversationId, lastSeq: 0 } });
    await again.next((f) => f.type === 'replay.done');
    const replayedBot = again.frames.filter(isBot);
    expect(replayedBot.map((f) => [message(f).text, message(f).streamId])).toEqual([[message(final).text, streamId]]);
    expect(again.frames.some((f) => f.type === 'message.delta')).toBe(false);
    const rows = await server.database.db
      .selectFrom('events')
      .select(['text', 'cid'])
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'bot')
      .execute();
    expect(rows).toEqual([{ text: message(final).text, cid: streamId }]);
    v.client.close();
    again.close();
    a.client.close();
  });

  it('never sends the model the visitor’s email, name or address (privacy, docs/privacy.md)', async () => {
    fake.script({ content: ['We ship within 24 hours.'] });
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.profile', cid: 'p', name: 'Petra Pelikan', email: 'petra.pelikan@example.com' });
    await v.client.next((f) => f.cid === 'p');
    const seen = fake.requests.length;
    await ask(v.client, 'q-privacy', 'How long does shipping take?');
    const request = await fake.nextRequest(seen);
    await v.client.next(isBot);
    const sent = JSON.stringify(request.body);
    expect(sent).toContain('How long does shipping take?');
    for (const secret of ['Petra', 'Pelikan', 'petra.pelikan@example.com', '127.0.0.1', v.visitorId, v.token])
      expect(sent).not.toContain(secret);
    v.client.close();
  });

  it('asks the model to answer only from the retrieved entries, in the visitor’s language, with the handoff tool', async () => {
    fake.script({ content: ['Wir versenden innerhalb von 24 Stunden.'] });
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    await ask(v.client, 'q1', 'Wie lange dauert der Versand nach Deutschland?');
    const request = await fake.nextRequest(seen);
    await v.client.next(isBot);
    expect(request.authorization).toBe('Bearer sk-test-key');
    expect(request.body).toMatchObject({ model: 'fake-model', stream: true, max_tokens: 200 });
    expect(request.body.tools?.map((t) => t.function.name)).toEqual(['handoff_to_human']);
    const [system, user] = request.body.messages!;
    expect(user).toEqual({ role: 'user', content: 'Wie lange dauert der Versand nach Deutschland?' });
    expect(system!.role).toBe('system');
    expect(system!.content).toContain(languageInstruction('de'));
    expect(system!.content).toContain('ONLY from the FAQ entries');
    // The best entry's answer is there word for word; an unrelated entry is not.
    expect(system!.content).toContain(answers.get('versanddauer'));
    expect(system!.content).not.toContain(answers.get('zahlungsarten'));
    v.client.close();
  });
});

describe('LLM engine: handoff and fallbacks', () => {
  it('hands over when the model calls handoff_to_human, recording the reason llm_handoff', async () => {
    fake.script({ toolCall: { name: 'handoff_to_human', arguments: ['{"reason":', '"needs a custom offer"}'] } });
    const v = await newVisitor(server.url);
    const ack = await ask(v.client, 'q1', 'Can I return an item that I have already used?');
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    expect(handoff.conversation).toMatchObject({ status: 'queued' });
    const bot = await v.client.next(isBot);
    expect(message(bot).text).toBe('I am connecting you with our team.');
    const row = await server.database.db
      .selectFrom('conversations')
      .select(['status', 'handoff_reason'])
      .where('id', '=', ack.conversationId as string)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'queued', handoff_reason: 'llm_handoff' });
    v.client.close();
  });

  it('answers with the default engine when the model times out mid-stream', async () => {
    const hasty = await start({ openaiBaseUrl: fake.url, llmTimeoutSeconds: 0.5 });
    try {
      fake.script({ hang: true, content: ['We ship '] });
      const v = await newVisitor(hasty.url);
      const started = Date.now();
      await ask(v.client, 'q1', 'How long does shipping take?');
      const draft = await v.client.next((f) => f.type === 'message.delta');
      const final = await v.client.next(isBot);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      // The default engine's answer replaces the abandoned draft (same streamId).
      expect(message(final)).toMatchObject({ text: answers.get('shipping-time'), streamId: draft.streamId });
      v.client.close();
    } finally {
      await hasty.close();
    }
  });

  it('answers with the default engine when the model answers HTTP 500, without retrying', async () => {
    fake.script({ status: 500 });
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    await ask(v.client, 'q1', 'How much is shipping?');
    const final = await v.client.next(isBot);
    expect(message(final).text).toBe(answers.get('shipping-cost'));
    expect(fake.requests.length - seen).toBe(1);
    v.client.close();
  });

  it('does not send an answer the model cut off at max_tokens', async () => {
    fake.script({ content: ['Shipping is free from'], finish: 'length' });
    const v = await newVisitor(server.url);
    await ask(v.client, 'q1', 'How much is shipping?');
    const final = await v.client.next(isBot);
    expect(message(final).text).toBe(answers.get('shipping-cost'));
    v.client.close();
  });

  it('hands over without a model call when retrieval confidence is very low', async () => {
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    const ack = await ask(v.client, 'q1', 'Who won the football world cup in 1954?');
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    await v.client.next(isBot);
    const row = await server.database.db
      .selectFrom('conversations')
      .select('handoff_reason')
      .where('id', '=', ack.conversationId as string)
      .executeTakeFirstOrThrow();
    expect(row.handoff_reason).toBe('low_confidence');
    expect(fake.requests.length).toBe(seen);
    v.client.close();
  });

  it('keeps greetings and requests for a person with the default engine (no model call)', async () => {
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    await ask(v.client, 'q1', 'Hello');
    const hello = await v.client.next(isBot);
    expect(message(hello).streamId).toBeUndefined();
    await ask(v.client, 'q2', 'I want to talk to a human', hello.conversationId as string);
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    expect(fake.requests.length).toBe(seen);
    v.client.close();
  });

  it('stops the model and drops its answer when the visitor asks for a person while it is being written', async () => {
    const release = gate();
    fake.script({ content: ['Returns are free ', release.opened] });
    const v = await newVisitor(server.url);
    const ack = await ask(v.client, 'q1', 'Can I return my order?');
    const conversationId = ack.conversationId as string;
    const draft = await v.client.next((f) => f.type === 'message.delta');
    v.client.send({ type: 'handoff.request', cid: 'h1', conversationId });
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    // The model is stopped at once: the draft is abandoned while its stream is still held open.
    await v.client.next((f) => f.type === 'message.delta' && f.streamId === draft.streamId && f.done === true);
    release.open();
    const bots = await server.database.db
      .selectFrom('events')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'bot')
      .execute();
    expect(bots).toEqual([]);
    expect(v.client.frames.some(isBot)).toBe(false);
    v.client.close();
  });
});

describe('LLM engine: limits and configuration', () => {
  it('stops calling the model after the calls-per-conversation limit; the default engine answers', async () => {
    fake.script({ content: ['One.'] }, { content: ['Two.'] });
    const v = await newVisitor(server.url);
    const seen = fake.requests.length;
    const first = await ask(v.client, 'q1', 'How long does shipping take?');
    const conversationId = first.conversationId as string;
    await v.client.next((f) => isBot(f) && message(f).text === 'One.');
    await ask(v.client, 'q2', 'How much is shipping?', conversationId);
    await v.client.next((f) => isBot(f) && message(f).text === 'Two.');
    await ask(v.client, 'q3', 'Which payment methods do you accept?', conversationId);
    const third = await v.client.next((f) => isBot(f) && message(f).text !== 'One.' && message(f).text !== 'Two.');
    expect(message(third).text).toBe(answers.get('payment-methods'));
    expect(message(third).streamId).toBeUndefined();
    expect(fake.requests.length - seen).toBe(2);
    v.client.close();
  });

  it('answers with the default engine at once when LLM_MAX_CONCURRENT calls are running', async () => {
    const narrow = await start({ openaiBaseUrl: fake.url, llmTimeoutSeconds: 30, llmMaxConcurrent: 1 });
    try {
      const release = gate();
      fake.script({ content: ['Held answer.', release.opened] });
      const first = await newVisitor(narrow.url);
      const seen = fake.requests.length;
      await ask(first.client, 'q1', 'How long does shipping take?');
      await first.client.next((f) => f.type === 'message.delta');
      const second = await newVisitor(narrow.url);
      await ask(second.client, 'q1', 'How much is shipping?');
      const fallback = await second.client.next(isBot);
      expect(message(fallback).text).toBe(answers.get('shipping-cost'));
      expect(fake.requests.length - seen).toBe(1);
      release.open();
      expect(message(await first.client.next(isBot)).text).toBe('Held answer.');
      first.client.close();
      second.client.close();
    } finally {
      await narrow.close();
    }
  });

  it('uses only the configured endpoint and credentials, whatever OPENAI_* variables the process has', async () => {
    const names = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_ADMIN_KEY'] as const;
    const saved = names.map((n) => [n, process.env[n]] as const);
    Object.assign(process.env, {
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_API_KEY: 'sk-from-env',
      OPENAI_ORG_ID: 'org-from-env',
      OPENAI_PROJECT_ID: 'proj-from-env',
      OPENAI_ADMIN_KEY: 'admin-from-env',
    });
    try {
      const engine = createLlmEngine({ baseURL: fake.url, model: 'local-model' });
      const entry = { id: 'e', question: 'Q?', variants: [], answer: 'A.' };
      const decision = engine.decide({
        question: 'Q?',
        lang: 'en',
        turn: {
          kind: 'answer',
          text: 'A.',
          lang: 'en',
          confidence: 1,
          suggestions: [],
          offerHandoff: false,
          state: { misses: 0, recent: ['Q?'] },
        },
        hits: [{ id: 'e', score: 1, confidence: 1 }],
        entry: () => entry,
        calls: 0,
      });
      fake.script({ content: ['A.'] });
      const seen = fake.requests.length;
      expect(decision.action === 'call' && (await decision.run(() => {}))).toEqual({ kind: 'answer', text: 'A.' });
      const request = fake.requests[seen]!;
      expect(request.authorization).toBe('Bearer no-key');
      expect(JSON.stringify(request.headers)).not.toMatch(/from-env/);
    } finally {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
    }
  });

  it('never calls a model that is not configured', async () => {
    const plain = await start({});
    try {
      const v = await newVisitor(plain.url);
      const seen = fake.requests.length;
      await ask(v.client, 'q1', 'How long does shipping take?');
      const answer = await v.client.next(isBot);
      expect(message(answer).text).toBe(answers.get('shipping-time'));
      expect(message(answer).streamId).toBeUndefined();
      expect(fake.requests.length).toBe(seen);
      v.client.close();
    } finally {
      await plain.close();
    }
  });
});

describe('LLM engine on PostgreSQL', () => {
  it('logs a streamed answer once and hands over on the tool call', async () => {
    const pg = await start({ openaiBaseUrl: fake.url, llmTimeoutSeconds: 30 }, { postgres: true });
    try {
      fake.script({ content: ['Free from ', '€50.'] }, { toolCall: { name: 'handoff_to_human', arguments: ['{"reason":"used item"}'] } });
      const v = await newVisitor(pg.url);
      const ack = await ask(v.client, 'q1', 'How much is shipping?');
      const conversationId = ack.conversationId as string;
      const answer = await v.client.next(isBot);
      expect(message(answer)).toMatchObject({ text: 'Free from €50.', streamId: `bot_${String(ack.id)}` });
      await ask(v.client, 'q2', 'Can I return an item that I have already used?', conversationId);
      await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
      const db = pg.database.db;
      const bots = await db
        .selectFrom('events')
        .select('text')
        .where('conversation_id', '=', conversationId)
        .where('author_type', '=', 'bot')
        .execute();
      expect(bots.map((b) => b.text)).toEqual(['Free from €50.', 'I am connecting you with our team.']);
      const row = await db.selectFrom('conversations').select('handoff_reason').where('id', '=', conversationId).executeTakeFirstOrThrow();
      expect(row.handoff_reason).toBe('llm_handoff');
      v.client.close();
    } finally {
      await pg.close();
    }
  });
});
