// A model answer in progress when the server process is SIGKILLed: its take-over job (committed
// with the question, due after the model's time-out and a margin) has the restarted process answer
// the question again, once, with the streamId derived from the visitor's message; a further restart
// neither calls the model again nor adds a second answer. Built server in a child process, fake model.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { connect, newVisitor, type Frame } from '../testing/client.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';

let fake: FakeOpenAI;
let server: ServerProcess;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await startServerProcess({
    env: { OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'fake-model', LLM_TIMEOUT_SECONDS: '5', AUTO_ASSIGN: 'false' },
    keepData: true,
  });
});
afterAll(async () => {
  await server?.stop();
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
  await fake?.close();
});

const isBot = (f: Frame) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot';
const bot = (f: Frame) => f.message as { text: string; streamId?: string };

describe('a model answer lost in a crash', () => {
  it('is given after the restart, exactly once', async () => {
    fake.script({ hang: true, content: ['We ship with'] });
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'q1', text: 'How long does shipping take?' });
    const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'q1');
    await v.client.next((f) => f.type === 'message.delta');
    await server.kill();

    fake.script({ content: ['We ship within 24 hours.'] });
    server = await server.restart();
    const resumed = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: v.token });
    resumed.send({ type: 'visitor.hello', resume: { conversationId: ack.conversationId, lastSeq: 0 } });
    // Due 15 s after the question (5 s time-out + 10 s): the take-over job, not a scan at start.
    const answer = await resumed.next(isBot, 40_000);
    expect(bot(answer)).toEqual(expect.objectContaining({ text: 'We ship within 24 hours.', streamId: `bot_${String(ack.id)}` }));
    expect(fake.requests).toHaveLength(2);
    // The recovered call saw the same question, not a repeated one.
    expect(fake.requests[1]!.body.messages!.at(-1)).toEqual({ role: 'user', content: 'How long does shipping take?' });
    expect(fake.requests[1]!.body.messages![0]!.content).not.toContain('Earlier in this conversation');
    resumed.close();

    await server.stop();
    server = await server.restart();
    const again = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: v.token });
    again.send({ type: 'visitor.hello', resume: { conversationId: ack.conversationId, lastSeq: 0 } });
    await again.next((f) => f.type === 'replay.done');
    expect(again.frames.filter(isBot).map((f) => bot(f).text)).toEqual(['We ship within 24 hours.']);
    expect(fake.requests).toHaveLength(2);
    again.close();
    // Three process starts (each loads the bot's word vectors): up to 20 s each on a busy 2-core machine.
  }, 180_000);
});
