// The admin side of the console in Chromium: the FAQ editor (test box, an unanswered question added
// as a phrasing in one action, an entry edited and saved to the file), Settings (add an agent and a
// canned response), and the keyboard shortcuts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login, newVisitor } from '../../src/testing/client.js';
import { parseFaq } from '../../src/bot/index.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let admin: AgentPage;
beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  admin = await openConsole(browser, server.url, TEST_ADMIN);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const deFaq = () => parseFaq(readFileSync(join(server.dataDir, 'faq', 'demo', 'shop.de.md'), 'utf8'), { format: 'md', file: 'shop.de.md' });

describe('console: FAQ editor, settings, shortcuts', () => {
  it('tests the bot, turns an unanswered question into a phrasing, edits, adds and deletes an entry', async () => {
    const { page } = admin;
    await server.database.db
      .insertInto('unanswered_questions')
      .values({
        site_key: 'demo',
        normalized: 'wann ist mein päckchen da',
        text: 'Wann ist mein Päckchen da',
        lang: 'de',
        count: 4,
        last_conversation_id: null,
        first_at: Date.now(),
        last_at: Date.now(),
      })
      .execute();
    await page.locator('nav [data-nav=faq]').click();
    const editor = page.locator('servus-faq-editor');
    await editor.locator('[data-entry=versanddauer]').waitFor();

    await editor.locator('#try').fill('Wann kommt mein Paket an?');
    await editor.locator('form.try button').click();
    await editor.locator('[data-bot-test=answer]').waitFor();
    expect(await editor.locator('[data-bot-test]').textContent()).toContain('Wie lange dauert der Versand?');

    const question = editor.locator('[data-unanswered]', { hasText: 'Wann ist mein Päckchen da' });
    await question.waitFor();
    await question.locator('select').selectOption('versanddauer');
    await expect.poll(() => editor.locator('[data-unanswered]').count()).toBe(0);
    expect(deFaq().entries.find((e) => e.id === 'versanddauer')?.variants).toContain('Wann ist mein Päckchen da');

    await editor.locator('[data-entry=versandkosten]').click();
    const form = editor.locator('[data-faq-form]');
    await form.waitFor();
    await form.locator('textarea[name=variants]').fill('Wie hoch sind die Versandkosten?\nPorto nach Österreich');
    await form.locator('textarea[name=answer]').fill('Ab 50 € **gratis**, sonst 4,90 €.');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => editor.locator('[data-faq-form]').count()).toBe(0);
    expect(deFaq().entries.find((e) => e.id === 'versandkosten')).toMatchObject({
      variants: ['Wie hoch sind die Versandkosten?', 'Porto nach Österreich'],
      answer: 'Ab 50 € **gratis**, sonst 4,90 €.',
    });

    // A new entry.
    await editor.locator('[data-new-entry]').click();
    await form.locator('input[name=question]').fill('Habt ihr einen Newsletter?');
    await form.locator('textarea[name=answer]').fill('Ja, unten auf jeder Seite.');
    await form.locator('select[name=lang]').selectOption('de');
    await form.locator('button[type=submit]').click();
    await editor.locator('[data-entry=habt-ihr-einen-newsletter]').waitFor();
    expect(deFaq().entries.some((e) => e.id === 'habt-ihr-einen-newsletter')).toBe(true);

    // Delete it again: only after the confirmation, which names the entry; cancelling keeps it.
    const newEntry = editor.locator('[data-entry=habt-ihr-einen-newsletter]');
    await newEntry.click();
    await form.locator('[data-delete-entry]').waitFor();
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await form.locator('[data-delete-entry]').click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain('Habt ihr einen Newsletter?');
    expect(await form.count()).toBe(1);
    expect(deFaq().entries.some((e) => e.id === 'habt-ihr-einen-newsletter')).toBe(true);
    page.once('dialog', (d) => void d.accept());
    await form.locator('[data-delete-entry]').click();
    await newEntry.waitFor({ state: 'detached' });
    expect(await form.count()).toBe(0);
    const after = deFaq();
    expect(after.errors).toEqual([]);
    expect(after.entries.some((e) => e.id === 'habt-ihr-einen-newsletter')).toBe(false);
    expect(after.entries.some((e) => e.id === 'versanddauer')).toBe(true);
    // A new entry has nothing to delete yet.
    await editor.locator('[data-new-entry]').click();
    expect(await form.locator('[data-delete-entry]').count()).toBe(0);
    await form.locator('button', { hasText: 'Cancel' }).click();
  });

  it('lets an admin add an agent and a canned response under Settings', async () => {
    const { page } = admin;
    await page.locator('nav [data-nav=settings]').click();
    const settings = page.locator('servus-settings');
    await settings.locator('tr[data-agent="admin@example.com"]').waitFor();
    const agentForm = settings.locator('form.inline').first();
    await agentForm.locator('input[name=name]').fill('Dora Neu');
    await agentForm.locator('input[name=email]').fill('dora@example.com');
    await agentForm.locator('input[name=password]').fill('dora-password-1');
    await agentForm.locator('button[type=submit]').click();
    await settings.locator('tr[data-agent="dora@example.com"]').waitFor();
    const cannedForm = settings.locator('form.inline').nth(1);
    await cannedForm.locator('input[name=shortcut]').fill('/tschuess');
    await cannedForm.locator('input[name=text]').fill('Auf Wiederhören, {{visitor.name}}!');
    await cannedForm.locator('button[type=submit]').click();
    await settings.locator('ul.canned li', { hasText: '/tschuess' }).waitFor();
    // The new agent can log in; when her password is changed in another session, this console's
    // socket is closed, the reconnect is refused, and the console goes back to the login by itself.
    const dora = await openConsole(browser, server.url, { email: 'dora@example.com', password: 'dora-password-1' });
    const cookie = await login(server.url, 'dora@example.com', 'dora-password-1');
    const changed = await fetch(`${server.url}/api/auth/password`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ current: 'dora-password-1', next: 'dora-password-2' }),
    });
    expect(changed.status).toBe(200);
    await dora.page.locator('servus-login form').waitFor();
    await dora.context.close();
  });

  it('works from the keyboard: ? for help, g q, j/k to move, a to take, r to reply, e to resolve', async () => {
    const { page } = admin;
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm', text: 'Hallo?' });
    v.client.send({ type: 'handoff.request', cid: 'h' });
    const h = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    await page.locator('nav [data-nav=all]').click();
    await page.keyboard.press('?');
    await page.locator('servus-shortcuts .sheet').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('servus-shortcuts').count()).toBe(0);
    await page.keyboard.press('g');
    await page.keyboard.press('q');
    await page.locator(`servus-conversation-list li[data-id="${h.conversationId as string}"]`).waitFor();
    await page.keyboard.press('j');
    await page.locator('servus-conversation [data-action=claim]').waitFor();
    await page.keyboard.press('a');
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    await page.locator('servus-conversation [data-conv-status=assigned]').waitFor();
    await page.keyboard.press('r');
    await page.keyboard.type('Per Tastatur beantwortet.');
    await page.keyboard.press('Enter');
    await v.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === 'Per Tastatur beantwortet.');
    await page.keyboard.press('Escape');
    await page.keyboard.press('e');
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'resolved');
    v.client.close();
  });
});
