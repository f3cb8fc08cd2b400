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
      // Small limits, so that the tests below reach them.
      mailInboundMaxBytes: 16 * 1024,
      mailInboundMaxPerConversationHour: 4,
      mailInboundMaxPerSiteHour: 30,
      mailMaxPerSiteHour: 40,
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

/**
 * Resolves once the conversation's reply-mail job is done (its row gone). Polled: the job runs in
 * the server's own loop and announces nothing a test could await.
 */
async function replyJobDone(conversationId: string): Promise<void> {
  while (await server.database.db.selectFrom('jobs').select('id').where('key', '=', conversationId).executeTakeFirst())
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The Reply-To of the first mail to an address (after an agent's reply to a visitor who left). */
async function replyAddressFor(conversationId: string, email: string, text: string): Promise<string> {
  agent.send({ type: 'message.send', cid: `reply-${conversationId}`, conversationId, text });
  const mail = await smtp.next((m) => m.to.includes(email));
  return /^Reply-To: (\S+)/m.exec(mail.raw)![1]!;
}

/** Visitor message texts stored in a conversation. */
const visitorTexts = async (conversationId: string) =>
  (
    await server.database.db
      .selectFrom('events')
      .select('text')
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'visitor')
      .where('kind', '=', 'message')
      .orderBy('seq')
      .execute()
  ).map((r) => r.text);

/** Inbound outcomes logged for a conversation, in order. */
const inboundLog = async (conversationId: string) =>
  (
    await server.database.db
      .selectFrom('mail_log')
      .select('outcome')
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'in')
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  ).map((r) => r.outcome);

/**
 * Fills the demo site's mail log for the last hour up to `limit` in one direction (outbound: sent
 * mails), as if its other conversations had used the hour, so the next mail meets the site's limit.
 */
async function fillSiteHour(direction: 'in' | 'out', limit: number): Promise<void> {
  const { db } = server.database;
  let counted = db
    .selectFrom('mail_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('site_key', '=', 'demo')
    .where('direction', '=', direction)
    .where('created_at', '>=', Date.now() - 3_600_000);
  if (direction === 'out') counted = counted.where('outcome', '=', 'sent');
  const taken = Number((await counted.executeTakeFirstOrThrow()).n);
  await db
    .insertInto('mail_log')
    .values(
      Array.from({ length: limit - taken }, (_, i) => ({
        id: `ml_site_${direction}_${i}`,
        conversation_id: null,
        site_key: 'demo',
        direction,
        message_id: `<site-${direction}-${i}@example.com>`,
        outcome: direction === 'out' ? 'sent' : 'stored',
        created_at: Date.now(),
      })),
    )
    .execute();
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
    await replyJobDone(conversationId);
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
    await replyJobDone(conversationId);
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

  it('refuses a mail over MAIL_INBOUND_MAX_BYTES by SMTP (552) and by HTTP (413), and stores nothing', async () => {
    const { conversationId } = await visitorWhoLeft('gross@example.com', 'Passt das Foto?');
    const replyTo = await replyAddressFor(conversationId, 'gross@example.com', 'Schicken Sie es gern.');
    const big = 'Ein sehr langer Text. '.repeat(1000); // 22 KB, over the 16 KiB limit
    await expect(
      smtpClient().sendMail({ from: 'gross@example.com', to: replyTo, subject: 'Foto', messageId: '<gross-1@example.com>', text: big }),
    ).rejects.toThrow(/552/);
    const raw = `From: gross@example.com\r\nTo: ${replyTo}\r\nSubject: Foto\r\nMessage-ID: <gross-2@example.com>\r\n\r\n${big}\r\n`;
    const posted = await fetch(`${server.url}/api/mail/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822' },
      body: raw,
    });
    expect(posted.status).toBe(413);
    expect(((await posted.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    // A mail within the limit is taken.
    await smtpClient().sendMail({
      from: 'gross@example.com',
      to: replyTo,
      subject: 'Foto',
      messageId: '<gross-3@example.com>',
      text: 'Klein.',
    });
    expect(await visitorTexts(conversationId)).toEqual(['Passt das Foto?', 'Klein.']);
  });

  it('drops inbound mail over the hourly limits of a conversation and of a site, logged as limited', async () => {
    const { conversationId } = await visitorWhoLeft('oft@example.com', 'Eine Frage');
    const replyTo = await replyAddressFor(conversationId, 'oft@example.com', 'Eine Antwort');
    // MAIL_INBOUND_MAX_PER_CONVERSATION_HOUR = 4: four mails are taken, the fifth is not.
    for (let i = 1; i <= 5; i++)
      await smtpClient().sendMail({
        from: 'oft@example.com',
        to: replyTo,
        subject: 'Re',
        messageId: `<oft-${i}@example.com>`,
        text: `Mail ${i}`,
      });
    expect(await visitorTexts(conversationId)).toEqual(['Eine Frage', 'Mail 1', 'Mail 2', 'Mail 3', 'Mail 4']);
    expect(await inboundLog(conversationId)).toEqual(['stored', 'stored', 'stored', 'stored', 'limited']);

    // MAIL_INBOUND_MAX_PER_SITE_HOUR = 30: the site's other conversations have taken the rest of the hour.
    const second = await visitorWhoLeft('selten@example.com', 'Noch eine Frage');
    const secondReplyTo = await replyAddressFor(second.conversationId, 'selten@example.com', 'Noch eine Antwort');
    await fillSiteHour('in', 30);
    await smtpClient().sendMail({
      from: 'selten@example.com',
      to: secondReplyTo,
      subject: 'Re',
      messageId: '<selten-1@example.com>',
      text: 'Hallo?',
    });
    expect(await visitorTexts(second.conversationId)).toEqual(['Noch eine Frage']);
    expect(await inboundLog(second.conversationId)).toEqual(['limited']);
    // An hour later there is room again (the fillers are moved back, as the clock would).
    await server.database.db
      .updateTable('mail_log')
      .set({ created_at: Date.now() - 3_600_001 })
      .where('id', 'like', 'ml_site_in_%')
      .execute();
    await smtpClient().sendMail({
      from: 'selten@example.com',
      to: secondReplyTo,
      subject: 'Re',
      messageId: '<selten-2@example.com>',
      text: 'Hallo jetzt?',
    });
    expect(await visitorTexts(second.conversationId)).toEqual(['Noch eine Frage', 'Hallo jetzt?']);
  });

  it('never takes its own mails back (a loop) nor machine mail, and never mails a reply address', async () => {
    const { conversationId } = await visitorWhoLeft('schleife@example.com', 'Was kostet der Versand?');
    const replyTo = await replyAddressFor(conversationId, 'schleife@example.com', '4,90 Euro.');
    const send = (from: string, messageId: string, headers: Record<string, string> = {}) =>
      smtpClient().sendMail({ from, to: replyTo, subject: 'Re: Neue Antwort', messageId, text: 'Automatisch?', headers });
    // Our own mails, come back: from our address, from a reply address, with a Message-ID we made.
    await send('servus@shop.example', '<own-1@example.com>');
    await send(replyTo, '<own-2@example.com>');
    await send('schleife@example.com', '<servus.0123456789abcdef@shop.example>');
    // Machine mail by its headers (RFC 3834 and the usual vendor ones).
    await send('schleife@example.com', '<auto-1@example.com>', { 'Auto-Submitted': 'auto-generated' });
    await send('schleife@example.com', '<auto-2@example.com>', { Precedence: 'junk' });
    await send('schleife@example.com', '<auto-3@example.com>', { Precedence: 'list' });
    await send('schleife@example.com', '<auto-4@example.com>', { 'X-Autoreply': 'yes' });
    await send('schleife@example.com', '<auto-5@example.com>', { 'List-Id': '<kunden.shop.example>' });
    expect(await inboundLog(conversationId)).toEqual([
      'own',
      'own',
      'own',
      'auto-reply',
      'auto-reply',
      'auto-reply',
      'auto-reply',
      'auto-reply',
    ]);
    expect(await visitorTexts(conversationId)).toEqual(['Was kostet der Versand?']);
    // None of it was answered: the only mail to this address is the agent's reply.
    expect(smtp.mails.filter((m) => m.to.includes('schleife@example.com'))).toHaveLength(1);

    // A visitor who gives one of our reply addresses as theirs is never mailed (it would loop).
    const looped = await visitorWhoLeft(replyTo, 'Und nach Südtirol?');
    agent.send({ type: 'message.send', cid: 'loop1', conversationId: looped.conversationId, text: 'Auch.' });
    await agent.next((f) => f.cid === 'loop1');
    await replyJobDone(looped.conversationId);
    expect(smtp.mails.filter((m) => m.to.includes(replyTo.toLowerCase()) || m.to.includes(replyTo))).toHaveLength(0);
  });

  it('sends no more than the per-site limit of reply mails an hour', async () => {
    const { conversationId } = await visitorWhoLeft('viele@example.com', 'Letzte Frage');
    // MAIL_MAX_PER_SITE_HOUR = 40: the site's other conversations have had the hour's mails.
    await fillSiteHour('out', 40);
    agent.send({ type: 'message.send', cid: 'site1', conversationId, text: 'Antwort über dem Limit' });
    await agent.next((f) => f.cid === 'site1');
    await replyJobDone(conversationId);
    expect(smtp.mails.filter((m) => m.to.includes('viele@example.com'))).toHaveLength(0);
    // An hour later the waiting reply goes out with the next one.
    await server.database.db
      .updateTable('mail_log')
      .set({ created_at: Date.now() - 3_600_001 })
      .where('site_key', '=', 'demo')
      .where('direction', '=', 'out')
      .execute();
    agent.send({ type: 'message.send', cid: 'site2', conversationId, text: 'Und noch eine' });
    const mail = await smtp.next((m) => m.to.includes('viele@example.com'));
    expect(body(mail.raw)).toContain('Antwort über dem Limit');
    expect(body(mail.raw)).toContain('Und noch eine');
  });
});
