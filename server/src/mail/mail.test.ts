// Email against a real SMTP server started in the test (smtp-server): the team hears about an
// offline message, and a visitor gets their transcript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailText as body, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newVisitor } from '../testing/client.js';
import type { BotResponder } from '../bot/index.js';

let smtp: SmtpInbox;
let server: TestServer;

const bot: BotResponder = {
  reply: () => ({
    kind: 'answer',
    text: 'Wir liefern in 2–3 Werktagen.',
    lang: 'de',
    confidence: 0.9,
    suggestions: [],
    offerHandoff: false,
    state: {},
    botName: 'Servus Bot',
  }),
};

beforeAll(async () => {
  smtp = await startSmtpInbox();
  server = await startTestServer({
    bots: bot,
    overrides: { smtpUrl: smtp.url, mailFrom: 'Servus <servus@shop.example>', autoAssign: false },
  });
});
afterAll(async () => {
  await server.close();
  await smtp.close();
});

describe('email', () => {
  it('notifies the site admins of an offline message, with a reply-to of the visitor', async () => {
    const v = await newVisitor(server.url);
    v.client.send({
      type: 'offline.submit',
      cid: 'o1',
      email: 'kundin@example.com',
      message: 'Bitte rufen Sie mich zurück <b>dringend</b>',
    });
    const ack = await v.client.next((f) => f.cid === 'o1');
    expect(ack.type).toBe('ack');
    const mail = await smtp.next((m) => m.raw.includes('kundin@example.com'));
    expect(mail.to).toEqual(['admin@example.com']);
    expect(mail.from).toBe('servus@shop.example');
    expect(mail.raw).toMatch(/^Reply-To: kundin@example.com/m);
    expect(body(mail.raw)).toContain('Bitte rufen Sie mich zurück <b>dringend</b>');
    expect(body(mail.raw)).toContain(`/console/conversations/${ack.conversationId as string}`);
    v.client.close();
  });

  it('emails the transcript to the visitor, and refuses when no address is known', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'q', text: 'Wie lange dauert der Versand?' });
    const conversationId = (await v.client.next((f) => f.cid === 'q')).conversationId as string;
    await v.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot');
    v.client.send({ type: 'conversation.transcript', cid: 't0', conversationId });
    expect(await v.client.next((f) => f.cid === 't0')).toMatchObject({ type: 'error', code: 'INVALID_STATE' });
    // A file in the conversation is named in the transcript (not attached: it stays behind the access check).
    const uploaded = await fetch(`${server.url}/api/visitor/attachments?cid=f1&name=Lieferschein.txt&conversationId=${conversationId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'x-servus-site': 'demo' },
      body: 'Lieferschein 4711\n'.repeat(200),
    });
    expect(uploaded.status).toBe(201);
    v.client.send({ type: 'conversation.transcript', cid: 't1', conversationId, email: 'leser@example.com' });
    expect(await v.client.next((f) => f.cid === 't1')).toMatchObject({ type: 'ack' });
    const mail = await smtp.next((m) => m.to.includes('leser@example.com'));
    const text = body(mail.raw);
    expect(text).toContain('Wie lange dauert der Versand?');
    expect(text).toMatch(/Sie: \[Datei: Lieferschein.txt, 4 KB\]/);
    expect(text).toContain('Servus Bot: Wir liefern in 2');
    // Someone else's conversation: the same answer as a missing one, and no mail.
    const other = await newVisitor(server.url);
    other.client.send({ type: 'conversation.transcript', cid: 't2', conversationId, email: 'thief@example.com' });
    expect(await other.client.next((f) => f.cid === 't2')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(smtp.mails.some((m) => m.to.includes('thief@example.com'))).toBe(false);
    v.client.close();
    other.client.close();
  });
});
