// Settings → Website → Proactive greetings in Chromium, with the real widget on a visitor page: an
// admin adds a rule in the editor (a delay over the limit is refused at its field, in words), sees
// the preview in the site's colour and the visitor's language, moves the rule to the top and
// switches the demo rule off; a visitor on a matching page gets the greeting, opens the chat from it
// and writes; the editor's results show it shown, opened and a chat started. Deleting a rule keeps
// the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let admin: AgentPage;
beforeAll(async () => {
  ensureBuilt();
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  admin = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'en' });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface StoredRule {
  id: string;
  urlPattern: string;
  delaySeconds: number;
  returningOnly: boolean;
  text: { de?: string; en?: string };
  enabled?: boolean;
}

const storedRules = async (): Promise<StoredRule[]> => {
  const row = await server.database.db.selectFrom('sites').select('settings').where('key', '=', 'demo').executeTakeFirstOrThrow();
  return (JSON.parse(row.settings) as { proactive?: StoredRule[] }).proactive ?? [];
};

const GERMAN = 'Servus! Suchen Sie ein Geschenk?';
const ENGLISH = 'Hello! Looking for a present?';

describe('console: proactive greetings editor', () => {
  it('creates a rule with a preview, shows it to a matching visitor, and counts shown, opened and the chat it started', async () => {
    const { page, errors } = admin;
    await page.locator('nav [data-nav=settings]').click();
    const editor = page.locator('servus-proactive-editor');
    // The seeded rule is listed with its figures.
    const demoRow = editor.locator('tr[data-rule="demo-shipping"]');
    await demoRow.waitFor();
    expect(await demoRow.locator('code').textContent()).toBe('/demo*');
    expect(await demoRow.locator('[data-shown]').textContent()).toBe('0');

    await editor.locator('[data-add]').click();
    const form = editor.locator('form[data-rule-form]');
    await form.waitFor();
    await form.locator('input[name=urlPattern]').fill('/demo?from=ad*');
    await form.locator('input[name=delaySeconds]').fill('5000');
    await form.locator('textarea[name=textDe]').fill(GERMAN);
    await form.locator('textarea[name=textEn]').fill(ENGLISH);

    // The preview: the bubble over the launcher, in the site's colour and default language (de), then in English.
    const bubble = editor.locator('[data-preview-bubble]');
    expect(await bubble.locator('.greet').textContent()).toBe(GERMAN);
    expect(await editor.locator('[data-preview] .launcher').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      'rgb(15, 118, 110)',
    );
    await editor.locator('[data-preview] button', { hasText: 'en' }).click();
    expect(await bubble.locator('.greet').textContent()).toBe(ENGLISH);
    expect(await bubble.getAttribute('lang')).toBe('en');

    // Over the limit: refused by the server, said in words at the field, nothing stored.
    await form.locator('button[type=submit]').click();
    const delayError = form.locator('label', { has: page.locator('input[name=delaySeconds]') }).locator('.field-error');
    await delayError.waitFor();
    expect(await delayError.textContent()).toBe('At most 3600.');
    expect(await form.locator('input[name=delaySeconds]').getAttribute('aria-invalid')).toBe('true');
    expect(await editor.locator('[data-proactive-error]').textContent()).toBe('Please correct the marked fields.');
    expect((await storedRules()).map((r) => r.id)).toEqual(['demo-shipping']);

    await form.locator('input[name=delaySeconds]').fill('1');
    // Typing takes the message away.
    expect(await delayError.count()).toBe(0);
    await form.locator('button[type=submit]').click();
    await editor.locator('[data-proactive-saved]').waitFor();
    const rules = await storedRules();
    expect(rules).toHaveLength(2);
    const added = rules[1]!;
    expect(added).toEqual({
      id: expect.stringMatching(/^greeting-[0-9a-z]{6}$/),
      urlPattern: '/demo?from=ad*',
      delaySeconds: 1,
      returningOnly: false,
      text: { de: GERMAN, en: ENGLISH },
    });
    const row = editor.locator(`tr[data-rule="${added.id}"]`);
    // The first matching rule greets: the new one goes to the top, and the demo rule is switched off.
    await row.locator('[data-up]').click();
    await expect.poll(async () => (await storedRules()).map((r) => r.id)).toEqual([added.id, 'demo-shipping']);
    await demoRow.locator('[data-toggle]').click();
    await expect.poll(async () => (await storedRules())[1]?.enabled).toBe(false);
    await expect.poll(() => demoRow.getAttribute('class')).toContain('off');

    // A visitor on a matching page (the real widget, in German) gets the greeting, opens the chat from it and writes.
    const visitorContext = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    const visitor = await visitorContext.newPage();
    await visitor.goto(`${server.url}/demo?from=ad`);
    const widget = visitor.locator('servus-chat');
    const greeting = widget.locator('.greet-open');
    await greeting.waitFor({ timeout: 15_000 });
    expect(await greeting.innerText()).toBe(GERMAN);
    await greeting.click();
    const input = widget.locator('#sv-input');
    await input.waitFor();
    await input.fill('Ich suche ein Geschenk für meinen Vater.');
    await input.press('Enter');
    await expect
      .poll(
        async () =>
          (await server.database.db.selectFrom('conversations').select('id').where('proactive_rule_id', '=', added.id).execute()).length,
      )
      .toBe(1);
    await expect
      .poll(async () => {
        const counts = await server.database.db.selectFrom('proactive_counts').selectAll().where('rule_id', '=', added.id).execute();
        return counts.reduce((sum, c) => [sum[0]! + Number(c.shown), sum[1]! + Number(c.opened)], [0, 0]);
      })
      .toEqual([1, 1]);

    // The editor's results: once refreshed, the rule shows it; the switched-off rule has none.
    await editor.locator('[data-refresh]').click();
    await expect.poll(() => row.locator('[data-shown]').textContent()).toBe('1');
    expect(await row.locator('[data-opened]').textContent()).toBe('1 (100 %)');
    expect(await row.locator('[data-chats]').textContent()).toBe('1 (100 %)');
    expect(await demoRow.locator('[data-shown]').textContent()).toBe('0');
    await visitorContext.close();

    // Deleting the demo rule keeps the new one.
    page.once('dialog', (dialog) => void dialog.accept());
    await demoRow.locator('[data-delete]').click();
    await expect.poll(async () => (await storedRules()).map((r) => r.id)).toEqual([added.id]);
    await demoRow.waitFor({ state: 'detached' });
    expect(errors.filter((e) => !e.includes('status of 401') && !e.includes('status of 400'))).toEqual([]);
  });
});
