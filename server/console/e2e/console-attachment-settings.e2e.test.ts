// Settings → Website → Files in Chromium: an admin's wrong entries are refused at their fields in
// words of the console's language and change nothing; the right ones are saved with one PATCH, and
// a visitor's widget (the demo page, a browser of its own) then refuses a file over the new limit
// with a clear message before sending a byte, and sends one under it. Turned off, the widget is
// told so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import { ATTACHMENT_DEFAULTS } from '@servus/shared';
import type { TestServer } from '../../src/testing/in-process.js';
import { login } from '../../src/testing/client.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { TEST_ADMIN, handOver, launch, openConsole, startConsoleServer, type AgentPage } from './harness.js';

const MB = 1024 * 1024;
/** A PDF of `size` bytes (a comment pads it): the sniffer takes it as a PDF. */
const pdfOf = (size: number) => {
  const head = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n%');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 'x')]);
};

let server: TestServer;
let browser: Browser;
let admin: AgentPage;
beforeAll(async () => {
  ensureBuilt();
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  admin = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'de' });
  // No greeting bubble over the widget.
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  await fetch(`${server.url}/api/sites/demo/proactive`, {
    method: 'PUT',
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [] }),
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const storedAttachments = async () => {
  const row = await server.database.db.selectFrom('sites').select('settings').where('key', '=', 'demo').executeTakeFirstOrThrow();
  return (JSON.parse(row.settings) as { attachments?: unknown }).attachments;
};

const kind = (form: Locator, name: string) => form.locator(`input[data-kind="${name}"]`);

describe('console: a site’s files', () => {
  it('refuses wrong entries at their fields, saves the limits, and the widget holds a visitor to them', async () => {
    const { page } = admin;
    await page.locator('nav [data-nav=settings]').click();
    const form = page.locator('servus-attachment-settings form[data-attachment-form]');
    await form.waitFor();

    // The defaults, as the server applies them.
    expect(await form.locator('input[name=enabled]').isChecked()).toBe(true);
    expect(await form.locator('input[name=maxMb]').inputValue()).toBe(String(ATTACHMENT_DEFAULTS.maxBytes / MB));
    expect(await form.locator('input[name=perConversation]').inputValue()).toBe(String(ATTACHMENT_DEFAULTS.maxPerConversation));
    for (const [name, on] of [
      ['images', true],
      ['pdf', true],
      ['text', true],
      ['heic', false],
      ['office', false],
      ['other', false],
      ['markup', false],
    ] as const)
      expect(await kind(form, name).isChecked(), name).toBe(on);

    // Wrong entries: each field says what is wrong, in German, and nothing is sent.
    await form.locator('input[name=maxMb]').fill('viel');
    await form.locator('input[name=perConversation]').fill('0');
    for (const name of ['images', 'pdf', 'text']) await kind(form, name).uncheck();
    await form.locator('button[type=submit]').click();
    await expect
      .poll(() => form.locator('[data-error=maxMb]').textContent())
      .toBe('Bitte eine Größe von 0,1 bis 100 MB angeben, z. B. 10 oder 2,5.');
    expect(await form.locator('input[name=maxMb]').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-error=perConversation]').textContent()).toBe('Bitte eine ganze Zahl von 1 bis 1000 angeben.');
    expect(await form.locator('[data-error=kinds]').textContent()).toBe('Bitte mindestens eine Dateiart wählen oder Dateien ausschalten.');
    expect(await form.locator('[data-attachment-error]').textContent()).toBe('Bitte die markierten Felder korrigieren.');
    await form.locator('input[name=maxMb]').fill('250');
    await form.locator('button[type=submit]').click();
    await form.locator('[data-error=maxMb]').waitFor();
    expect(await storedAttachments()).toBeUndefined();

    // Right ones (a German decimal comma): saved, and the errors are gone.
    await form.locator('input[name=maxMb]').fill('1,5');
    await form.locator('input[name=perConversation]').fill('5');
    for (const name of ['images', 'pdf', 'heic']) await kind(form, name).check();
    await form.locator('button[type=submit]').click();
    await form.locator('[data-attachment-saved]', { hasText: 'Gespeichert.' }).waitFor();
    expect(await form.locator('[data-error]').count()).toBe(0);
    expect(await storedAttachments()).toEqual({
      enabled: true,
      maxBytes: 1.5 * MB,
      maxPerConversation: 5,
      types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/heif', 'application/pdf'],
    });
    const config = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { attachments: unknown } };
    expect(config.site.attachments).toMatchObject({ maxBytes: 1.5 * MB });

    // A visitor: a 2 MB PDF is refused in the widget with the limit in words, without an upload; a 1 MB one is sent.
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    const visitor = await context.newPage();
    const errors: string[] = [];
    visitor.on('pageerror', (e) => errors.push(e.message));
    let uploads = 0;
    visitor.on('request', (r) => {
      if (r.url().includes('/api/visitor/attachments?')) uploads++;
    });
    await visitor.goto(`${server.url}/demo`);
    const widget = visitor.locator('servus-chat');
    await widget.locator('.launcher').click();
    await widget.locator('.clip').waitFor();
    await handOver(visitor, 'drop', { name: 'Handbuch.pdf', type: 'application/pdf', bytes: pdfOf(2 * MB) });
    const refused = widget.locator('.up.failed', { hasText: 'Handbuch.pdf' });
    await refused.waitFor();
    expect(await refused.locator('[role=alert]').textContent()).toBe('Zu groß (höchstens 1,5 MB)');
    expect(uploads).toBe(0);
    await handOver(visitor, 'drop', { name: 'Lieferschein.pdf', type: 'application/pdf', bytes: pdfOf(1 * MB) });
    await widget.locator('.group.mine .file', { hasText: 'Lieferschein.pdf' }).waitFor();
    expect(uploads).toBe(1);
    expect(errors).toEqual([]);
    await context.close();

    // Files off: the widget is told there are none.
    await form.locator('input[name=enabled]').uncheck();
    await form.locator('button[type=submit]').click();
    await expect.poll(async () => ((await storedAttachments()) as { enabled: boolean }).enabled).toBe(false);
    expect(await storedAttachments()).toMatchObject({ maxBytes: 1.5 * MB, maxPerConversation: 5 });
    const off = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { attachments: unknown } };
    expect(off.site.attachments).toBeNull();
  });
});
