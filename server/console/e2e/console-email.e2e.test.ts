// Issue 19's end-to-end test in real Chromium: a visitor leaves a question for later with their
// email and goes; an agent answers in the console; the visitor gets the mail (real SMTP server),
// answers it by mail (nodemailer to Servus's own SMTP listener); the answer appears live in the
// console; the visitor comes back through the mail's link on another device and sees the whole
// conversation in the widget; "Email me this conversation" mails the transcript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSmtpInbox, type SmtpInbox } from '../../src/testing/smtp-inbox.js';
import nodemailer from 'nodemailer';
import type { TestServer } from '../../src/testing/in-process.js';
import { login } from '../../src/testing/client.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer } from './harness.js';

let smtp: SmtpInbox;
let server: TestServer;
let browser: Browser;

/** Quoted-printable undone. */
const body = (raw: string) =>
  Buffer.from(
    raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

beforeAll(async () => {
  ensureBuilt();
  smtp = await startSmtpInbox();
  [server, browser] = await Promise.all([
    startConsoleServer({
      smtpUrl: smtp.url,
      mailFrom: 'Servus Shop <servus@shop.example>',
      mailReplyDelaySeconds: 0.2,
      smtpListenPort: 0,
    }),
    launch(),
  ]);
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  const res = await fetch(`${server.url}/api/sites/demo/proactive`, {
    method: 'PUT',
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [] }),
  });
  expect(res.ok).toBe(true);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await smtp.close();
});

describe('a conversation that goes on by email (issue 19)', () => {
  it('answer by mail, reply by mail live in the console, back through the link into the widget', async () => {
    // A visitor asks for a person while nobody is online, leaves their email and goes.
    const first = await browser.newContext({ locale: 'de-DE' });
    const page = await first.newPage();
    await page.goto(`${server.url}/demo`);
    const w = page.locator('servus-chat');
    await w.locator('.launcher').click();
    await w.locator('#sv-input').fill('Habt ihr den Quokka-Pulli in M?');
    await w.locator('#sv-input').press('Enter');
    await w.locator('.chip.person').click();
    const offline = w.locator('form[aria-labelledby=sv-off]');
    await offline.locator('input[type=email]').fill('kundin@example.com');
    await offline.locator('textarea').fill('Bitte per Mail antworten.');
    await offline.locator('button[type=submit]').click();
    await w.locator('.thanks').waitFor();
    const conversationId = await page.evaluate(() => localStorage.getItem('servus:demo:conv'));
    expect(conversationId).toMatch(/^c_/);
    await first.close();

    // The agent answers in the console.
    const agent = await openConsole(browser, server.url, TEST_ADMIN);
    await agent.page.goto(`${server.url}/console/conversations/${conversationId!}`);
    const view = agent.page.locator('servus-conversation');
    await view.locator('[data-action=claim]').click();
    await view.locator('[data-conv-status=assigned]').waitFor();
    const box = view.locator('servus-composer textarea');
    await box.fill('Ja, M ist da. Soll ich ihn zurücklegen?');
    await box.press('Enter');

    // The visitor gets one mail in German with a reply address and a link.
    const mail = await smtp.next((m) => m.to.includes('kundin@example.com') && /Neue Antwort/.test(m.raw));
    const text = body(mail.raw);
    expect(text).toContain('Ja, M ist da. Soll ich ihn zurücklegen?');
    const replyTo = /^Reply-To: (\S+)/m.exec(mail.raw)![1]!;
    const link = /(http:\/\/\S+\/demo#servus-link=[\w-]+)/.exec(text)![1]!;

    // The visitor answers by mail: it appears in the open console, live, without the quote.
    await nodemailer.createTransport({ host: '127.0.0.1', port: server.smtpPort!, secure: false, ignoreTLS: true }).sendMail({
      from: 'kundin@example.com',
      to: replyTo,
      subject: 'Re: Neue Antwort',
      text: 'Ja bitte, bis Freitag!\n\nAm 7.12.2026 schrieb Servus Shop:\n> Ja, M ist da.',
    });
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Ja bitte, bis Freitag!' }).waitFor();
    expect(await view.locator('.msg[data-author=visitor] .text', { hasText: 'Am 7.12.2026' }).count()).toBe(0);

    // Back through the link on another device: the widget opens with the whole conversation, and
    // the token is gone from the address bar.
    const second = await browser.newContext({ locale: 'de-DE' });
    const back = await second.newPage();
    await back.goto(link);
    const w2 = back.locator('servus-chat');
    await w2.locator('.group.agent .bubble', { hasText: 'Soll ich ihn zurücklegen?' }).waitFor();
    await w2.locator('.bubble', { hasText: 'Ja bitte, bis Freitag!' }).waitFor();
    expect(back.url()).not.toContain('servus-link');
    // The link works once.
    const again = await fetch(`${server.url}/api/widget/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'demo', token: link.split('servus-link=')[1] }),
    });
    expect(again.status).toBe(404);

    // "Email me this conversation" from the conversation's options.
    await w2.locator('.head button[aria-expanded]').click();
    const tools = w2.locator('.tools');
    await tools.locator('input[type=email]').fill('kopie@example.com');
    await tools.locator('button.primary').click();
    await tools.locator('[role=status]', { hasText: 'Gesendet' }).waitFor();
    const copy = await smtp.next((m) => m.to.includes('kopie@example.com'));
    expect(body(copy.raw)).toContain('Ja bitte, bis Freitag!');
    await second.close();
    await agent.context.close();
  });

  it('an admin finds the visitor in Settings → Privacy, exports and erases them, and sees it in the audit log', async () => {
    const admin = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'de' });
    await admin.page.goto(`${server.url}/console/settings`);
    const privacy = admin.page.locator('servus-privacy-settings');
    await privacy.locator('input[name=q]').fill('kundin@example.com');
    await privacy.locator('button[type=submit]', { hasText: 'Suchen' }).click();
    await privacy.locator('[data-found]', { hasText: '1 Gespräch' }).waitFor();
    const exportHref = await privacy.locator('[data-action=export]').getAttribute('href');
    const exported = await admin.page.evaluate(async (href) => (await fetch(href!)).json(), exportHref);
    expect(JSON.stringify(exported)).toContain('Ja bitte, bis Freitag!');
    admin.page.once('dialog', (d) => void d.accept());
    await privacy.locator('[data-action=erase]').click();
    await privacy.locator('[role=status]', { hasText: 'Gelöscht: 1' }).waitFor();
    await privacy.locator('tr[data-audit="person.erase"]').waitFor();
    await privacy.locator('input[name=q]').fill('kundin@example.com');
    await privacy.locator('button[type=submit]', { hasText: 'Suchen' }).click();
    await privacy.locator('p', { hasText: 'Niemand gefunden.' }).waitFor();
    // The 401 is the console's own "am I logged in?" before the login form.
    expect(admin.errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
    await admin.context.close();
  });

  it('a visitor deletes all their data from the widget, confirmed by email; the open console shows it erased', async () => {
    const visit = await browser.newContext({ locale: 'de-DE' });
    const page = await visit.newPage();
    await page.goto(`${server.url}/demo`);
    const w = page.locator('servus-chat');
    await w.locator('.launcher').click();
    await w.locator('#sv-input').fill('Bitte alles löschen: Kormoran 8');
    await w.locator('#sv-input').press('Enter');
    await w.locator('.group.mine .bubble', { hasText: 'Kormoran 8' }).waitFor();
    const conversationId = await page.evaluate(() => localStorage.getItem('servus:demo:conv'));
    expect(conversationId).toMatch(/^c_/);

    // An agent has the conversation open.
    const agent = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'de' });
    await agent.page.goto(`${server.url}/console/conversations/${conversationId!}`);
    const view = agent.page.locator('servus-conversation');
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Kormoran 8' }).waitFor();

    // The conversation's options: "delete all my data", to the address given there.
    await w.locator('.head button[aria-expanded]').click();
    const tools = w.locator('.tools');
    await tools.locator('input[type=email]').fill('kormoran@example.com');
    await tools.locator('button', { hasText: 'Alle meine Daten löschen' }).click();
    await tools.locator('[role=status]', { hasText: 'Gesendet' }).waitFor();
    const mail = await smtp.next((m) => m.to.includes('kormoran@example.com'));
    const link = /(http:\/\/\S+\/privacy\/erase\?t=[\w-]+)/.exec(body(mail.raw))![1]!;

    // The link opens a page that asks first; its button erases.
    const confirmPage = await visit.newPage();
    await confirmPage.goto(link);
    await confirmPage.locator('p', { hasText: 'ein Gespräch' }).waitFor();
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Kormoran 8' }).waitFor();
    await confirmPage.locator('button[type=submit]').click();
    await confirmPage.locator('p', { hasText: 'sind gelöscht' }).waitFor();
    // The console that had it open says so, live; its texts are gone from the page.
    await view.locator('[data-erased]').waitFor();
    expect(await view.locator('.msg', { hasText: 'Kormoran 8' }).count()).toBe(0);
    expect(agent.errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
    await visit.close();
    await agent.context.close();
  });
});
