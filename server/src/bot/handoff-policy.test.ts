// The handoff policy end to end, with the real FAQ bot on the example shop FAQs over the real
// protocol: a request for a person hands over at once (reason recorded), the bot is silent once the
// conversation is queued, frustration ends in a handoff with its reason, and an angry question the
// FAQ answers is answered.
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newVisitor, type Frame } from '../testing/client.js';
import { createFaqBots } from './faq-bots.js';
import { createLogger } from '../core/logger.js';

const examples = fileURLToPath(new URL('../../../examples/faq', import.meta.url));
let server: TestServer;
let bots: Awaited<ReturnType<typeof createFaqBots>>;

beforeAll(async () => {
  const faqDir = mkdtempSync(join(tmpdir(), 'servus-faq-'));
  mkdirSync(join(faqDir, 'demo'));
  for (const f of ['shop.de.md', 'shop.en.md']) cpSync(join(examples, f), join(faqDir, 'demo', f));
  bots = await createFaqBots({ faqDir, logger: createLogger('silent'), llm: null });
  server = await startTestServer({ bots, overrides: { autoAssign: false } });
});
afterAll(async () => {
  bots.close();
  await server.close();
});

const isBot = (f: Frame) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot';
const botText = (f: Frame) => (f.message as { text: string }).text;

async function conversationRow(id: string) {
  return server.database.db.selectFrom('conversations').select(['status', 'handoff_reason']).where('id', '=', id).executeTakeFirstOrThrow();
}
async function botMessages(id: string) {
  return server.database.db
    .selectFrom('events')
    .select(['seq', 'text'])
    .where('conversation_id', '=', id)
    .where('kind', '=', 'message')
    .where('author_type', '=', 'bot')
    .execute();
}

describe('handoff policy with the FAQ bot', () => {
  it('hands over at once when the visitor asks for a person, records why, and is silent afterwards', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'p1', text: 'Ich möchte mit einem Mitarbeiter sprechen' });
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    const id = handoff.conversationId as string;
    expect(await conversationRow(id)).toMatchObject({ status: 'queued', handoff_reason: 'visitor_request' });
    const before = (await botMessages(id)).length;
    // Queued: a question the bot could answer gets no bot answer any more.
    v.client.send({ type: 'message.send', cid: 'p2', text: 'Wie lange dauert der Versand?' });
    await v.client.next((f) => f.type === 'ack' && f.cid === 'p2');
    expect((await botMessages(id)).length).toBe(before);
    v.client.close();
  });

  it('answers an angry question it knows, and hands over when its answer did not help', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'f1', text: 'HOW LONG DOES SHIPPING TAKE?' });
    const answer = await v.client.next(isBot);
    expect(botText(answer)).toContain('We ship within 24 hours');
    expect(botText(answer)).toContain('connect you with a person');
    v.client.send({ type: 'message.send', cid: 'f2', text: "That doesn't help" });
    await v.client.next((f) => isBot(f) && botText(f).includes('Shall I connect you'));
    v.client.send({ type: 'message.send', cid: 'f3', text: 'still not working' });
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    expect(await conversationRow(handoff.conversationId as string)).toMatchObject({ status: 'queued', handoff_reason: 'frustration' });
    v.client.close();
  });
});
