// Conversations that go on by email, with real parts: a real SMTP server receives what Servus sends,
// and a real SMTP client (nodemailer) delivers the visitor's answer to Servus's own SMTP listener.
// An agent's replies to a visitor who left arrive as one mail in the conversation's language, with
// a reply address and a single-use link; the answer by email appears live in the console, once,
// without the quoted text; automatic replies and bounces never loop; unknown addresses are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailText as body, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { connect, newAgent, type TestClient } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

let smtp: SmtpInbox;
let server: TestServer;
let agent: TestClient;

beforeAll(async () => {
  smtp = await startSmtpInbox();
  server = await startTestServer({
    overrides: {
      smtpUrl: smtp.url,
      mailFrom: 'Servus Shop <servus@shop.example>',
      mailReplyDelaySeconds: 0.3,
      smtpListenPort: 0,
      autoAssign: false,
    },
  });
  agent = (await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password)).client;
});
afterAll(async () => {
  agent.close();
  await server.close();
  await smtp.close();
});

/** A German visitor on a shop page who gives their email, asks, and is taken by the agent; then leaves. */
async function visitorWhoLeft(email: string, question: string) {
  const client = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`);
  client.send({ type: 'visitor.hello', context: { lang: 'de', url: 'https://shop.example/produkte/quokka?x=1' } });
  const welcome = await client.next((f) => f.type === 'welcome');
  client.send({ type: 'visitor.profile', cid: 'p', email });
  await client.next((f) => f.cid === 'p');
  client.send({ type: 'message.send', cid: 'q', text: question });
  const conversationId = (await client.next((f) => f.cid === 'q')).conversationId as string;
  client.send({ type: 'handoff.request', cid: 'h' });
  await client.next((f) => f.cid === 'h');
  agent.send({ type: 'conversation.claim', cid: `claim-${conversationId}`, conversationId });
  await agent.next((f) => f.cid === `claim-${conversationId}`);
  client.close();
  await client.closed;
  return { token: welcome.token as string, conversationId };
}

const smtpClient = () =>
  nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.smtpPort!,
    secure: false,
    ignoreTLS: true,
    tls: { rejectUnauthorized: false },
  });

describe('conversations that go on by email', () => {
  it('emails replies to a visitor who left, batched, in German, with a reply address and a single-use link', async () => {
    const { token, conversationId } = await visitorWhoLeft('quokka@example.com', 'Ist der Quokka-Pulli in M da?');
    agent.send({ type: 'message.send', cid: 'r1', conversationId, text: 'Ja, in M ist er da.' });
    agent.send({ type: 'message.send', cid: 'r2', conversationId, text: 'Soll ich ihn reservieren?' });
    await agent.next((f) => f.cid === 'r2');
    const mail = await smtp.next((m) => m.to.includes('quokka@example.com'));
    const text = body(mail.raw);
    expect(mail.raw).toMatch(/^Subject: Neue Antwort von /m);
    expect(text).toContain('Ja, in M ist er da.');
    expect(text).toContain('Soll ich ihn reservieren?');
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated/m);
    expect(mail.raw).toMatch(/^Reply-To: reply\+[A-Za-z0-9_-]{20,}@shop\.example/m);
    expect(smtp.mails.filter((m) => m.to.includes('quokka@example.com'))).toHaveLength(1);
    // The link: the page they chatted on, the token in the fragment, never the visitor's own token.
    const link = /https:\/\/shop\.example\/produkte\/quokka\?x=1#servus-link=([A-Za-z0-9_-]+)/.exec(text);
    expect(link).not.toBeNull();
    expect(mail.raw).not.toContain(token);
    const redeem = () =>
      fetch(`${server.url}/api/widget/link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ site: 'demo', token: link![1] }),
      });
    const first = await redeem();
    expect(first.status).toBe(200);
    const redeemed = (await first.json()) as { token: string; conversationId: string };
    expect(redeemed.conversationId).toBe(conversationId);
    expect((await redeem()).status).toBe(404);
    // The fresh token resumes the conversation with both replies.
    const back = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token: redeemed.token });
    back.send({ type: 'visitor.hello', resume: { conversationId, lastSeq: 0 } });
    await back.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'Soll ich ihn reservieren?');
    // Read now: the next reply is not mailed (the visitor sees it in the chat).
    back.close();
  });

  it('takes the visitor’s answer by SMTP into the conversation, live, once, without the quote', async () => {
    const { conversationId } = await visitorWhoLeft('wombat@example.com', 'Liefern Sie nach Tirol?');
    agent.send({ type: 'message.send', cid: 'w1', conversationId, text: 'Ja, nach ganz Österreich.' });
    const mail = await smtp.next((m) => m.to.includes('wombat@example.com'));
    const replyTo = /^Reply-To: (\S+)/m.exec(mail.raw)![1]!;
    // The console has the conversation open.
    agent.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    const answer = {
      from: 'wombat@example.com',
      to: replyTo,
      subject: 'Re: Neue Antwort',
      messageId: '<antwort-1@example.com>',
      text: 'Super, dann bestelle ich heute.\n\nViele Grüße\n-- \nWalter Wombat\nTel. 0123\n\nAm 7.12.2026 um 10:00 schrieb Servus Shop:\n> Ja, nach ganz Österreich.\n',
    };
    await smtpClient().sendMail(answer);
    const live = await agent.next(
      (f) =>
        f.type === 'message.created' &&
        f.conversationId === conversationId &&
        (f.message as { author: { type: string } }).author.type === 'visitor' &&
        (f.message as { text: string }).text.startsWith('Super'),
    );
    expect((live.message as { text: string }).text).toBe('Super, dann bestelle ich heute.\n\nViele Grüße');
    // The same mail delivered again (a retrying MTA) is stored once.
    await smtpClient().sendMail(answer);
    const rows = await server.database.db
      .selectFrom('events')
      .select('text')
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'visitor')
      .where('kind', '=', 'message')
      .execute();
    expect(rows.map((r) => r.text)).toEqual(['Liefern Sie nach Tirol?', 'Super, dann bestelle ich heute.\n\nViele Grüße']);

    // By the HTTP endpoint for mail providers, a second answer.
    const raw = `From: wombat@example.com\r\nTo: ${replyTo}\r\nSubject: Re\r\nMessage-ID: <antwort-2@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nUnd in Größe L?\r\n`;
    const posted = await fetch(`${server.url}/api/mail/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822' },
      body: raw,
    });
    expect(await posted.json()).toEqual({ outcome: 'stored' });
    await agent.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'Und in Größe L?');
    const unknown = raw.replace(replyTo, 'reply+AAAAAAAAAAAAAAAAAAAAAAAA@shop.example').replace('antwort-2', 'antwort-3');
    expect((await fetch(`${server.url}/api/mail/inbound`, { method: 'POST', body: unknown })).status).toBe(404);
  });

  it('never answers an automatic reply, stops after a bounce, and refuses unknown addresses', async () => {
    const { conversationId } = await visitorWhoLeft('urlaub@example.com', 'Habt ihr Gutscheine?');
    agent.send({ type: 'message.send', cid: 'u1', conversationId, text: 'Ja, ab 10 Euro.' });
    const mail = await smtp.next((m) => m.to.includes('urlaub@example.com'));
    const replyTo = /^Reply-To: (\S+)/m.exec(mail.raw)![1]!;
    await smtpClient().sendMail({
      from: 'urlaub@example.com',
      to: replyTo,
      subject: 'Abwesenheitsnotiz',
      text: 'Ich bin bis Montag nicht im Büro.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await smtpClient().sendMail({
      from: 'urlaub@example.com',
      to: replyTo,
      subject: 'Out of office',
      text: 'Away.',
      headers: { Precedence: 'bulk' },
    });
    // Unknown reply addresses are refused at RCPT TO: no open relay, no guessing.
    await expect(
      smtpClient().sendMail({ from: 'x@example.com', to: 'reply+BBBBBBBBBBBBBBBBBBBBBBBB@shop.example', subject: 'x', text: 'x' }),
    ).rejects.toThrow(/550/);
    await expect(
      smtpClient().sendMail({ from: 'x@example.com', to: 'someone@elsewhere.example', subject: 'x', text: 'x' }),
    ).rejects.toThrow(/550/);
    // A bounce (null sender, delivery report) stops the thread.
    await smtpClient().sendMail({
      envelope: { from: '', to: [replyTo] },
      from: 'MAILER-DAEMON@mx.example.com',
      to: replyTo,
      subject: 'Undelivered Mail Returned to Sender',
      text: 'The mail system: user unknown',
    });
    const log = await server.database.db
      .selectFrom('mail_log')
      .select(['outcome'])
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'in')
      .execute();
    expect(log.map((l) => l.outcome).sort()).toEqual(['auto-reply', 'auto-reply', 'bounce']);
    const visitorTexts = await server.database.db
      .selectFrom('events')
      .select('text')
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'visitor')
      .where('kind', '=', 'message')
      .execute();
    expect(visitorTexts.map((r) => r.text)).toEqual(['Habt ihr Gutscheine?']);
    // After the bounce: another reply is not mailed (the job runs and finds the thread stopped).
    agent.send({ type: 'message.send', cid: 'u2', conversationId, text: 'Noch da?' });
    await agent.next((f) => f.cid === 'u2');
    const thread = await server.database.db
      .selectFrom('mail_threads')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    expect(thread.stopped_at).not.toBeNull();
    // Only the first reply was ever mailed to this address, and nothing went to the auto-replier's headers.
    await new Promise<void>((resolve) => {
      const check = async () => {
        if (!(await server.database.db.selectFrom('jobs').select('id').where('key', '=', conversationId).executeTakeFirst())) resolve();
        else setTimeout(() => void check(), 50);
      };
      void check();
    });
    expect(smtp.mails.filter((m) => m.to.includes('urlaub@example.com'))).toHaveLength(1);
  });

  it('sends no more than the per-conversation limit of reply mails a day', async () => {
    const { conversationId } = await visitorWhoLeft('viel@example.com', 'Noch eine Frage');
    const { db } = server.database;
    // Ten mails already went to this conversation today (MAIL_MAX_PER_CONVERSATION_PER_DAY = 10).
    await db
      .insertInto('mail_log')
      .values(
        Array.from({ length: 10 }, (_, i) => ({
          id: `ml_limit_${i}`,
          conversation_id: conversationId,
          site_key: 'demo',
          direction: 'out' as const,
          message_id: `<limit-${i}@shop.example>`,
          outcome: 'sent',
          created_at: Date.now() - 1000,
        })),
      )
      .execute();
    agent.send({ type: 'message.send', cid: 'lim1', conversationId, text: 'Die elfte Antwort' });
    await agent.next((f) => f.cid === 'lim1');
    // The job runs (and is done) without sending.
    await new Promise<void>((resolve) => {
      const check = async () => {
        if (!(await db.selectFrom('jobs').select('id').where('key', '=', conversationId).executeTakeFirst())) resolve();
        else setTimeout(() => void check(), 50);
      };
      void check();
    });
    expect(smtp.mails.filter((m) => m.to.includes('viel@example.com'))).toHaveLength(0);
    // A day later the window has room again: the waiting reply goes out with the next one.
    await db
      .updateTable('mail_log')
      .set({ created_at: Date.now() - 2 * 86_400_000 })
      .where('conversation_id', '=', conversationId)
      .execute();
    agent.send({ type: 'message.send', cid: 'lim2', conversationId, text: 'Und die zwölfte' });
    const mail = await smtp.next((m) => m.to.includes('viel@example.com'));
    expect(body(mail.raw)).toContain('Die elfte Antwort');
    expect(body(mail.raw)).toContain('Und die zwölfte');
  });
});
