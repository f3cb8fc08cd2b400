// Attachments in the console, in Chromium against the real server: a visitor's picture shows
// inline (a click enlarges it) and their PDF as a download; the agent attaches a picture from the
// composer and the visitor receives it; the list's preview and a search by file name find it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login, newVisitor } from '../../src/testing/client.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { TEST_ADMIN, handOver, launch, openConsole, startConsoleServer, waitDeep, type AgentPage } from './harness.js';

const photo = readFileSync(new URL('../../src/attachments/fixtures/photo.png', import.meta.url));
const jpeg = readFileSync(new URL('../../src/attachments/fixtures/photo.jpg', import.meta.url));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let server: TestServer;
let browser: Browser;
let agent: AgentPage;

beforeAll(async () => {
  ensureBuilt();
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  agent = await openConsole(browser, server.url, TEST_ADMIN);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('console: attachments', () => {
  it('shows a visitor’s picture inline and their PDF as a download, and sends a picture back from the composer', async () => {
    const { page } = agent;
    const v = await newVisitor(server.url);
    const upload = (body: Buffer, cid: string, name: string, conversationId?: string) =>
      fetch(`${server.url}/api/visitor/attachments?${new URLSearchParams({ cid, name, ...(conversationId ? { conversationId } : {}) })}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${v.token}`, 'x-servus-site': 'demo' },
        body: new Uint8Array(body),
      }).then((r) => r.json() as Promise<{ ack: { conversationId: string } }>);
    const { ack } = await upload(photo, 'p1', 'Kratzer.png');
    await upload(PDF, 'p2', 'Lieferschein 77.pdf', ack.conversationId);
    v.client.send({ type: 'handoff.request', cid: 'h1', conversationId: ack.conversationId });
    await v.client.next((f) => f.type === 'ack' && f.cid === 'h1');

    // The queue's preview names the file.
    const row = page.locator(`servus-conversation-list li[data-id="${ack.conversationId}"]`);
    await waitDeep(page, `li[data-id="${ack.conversationId}"]`);
    await expect.poll(() => row.locator('.preview').textContent()).toBe('📎 Lieferschein 77.pdf');
    await row.click();

    const view = page.locator('servus-conversation');
    const img = view.locator('.att-image img');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(64);
    const file = view.locator('a.att-file');
    expect(await file.getAttribute('download')).toBe('Lieferschein 77.pdf');
    expect(await file.getAttribute('href')).toMatch(/^\/api\/attachments\/f_[\w-]{22}\?download$/);
    await img.click();
    await view.locator('.lightbox img').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => view.locator('.lightbox').count()).toBe(0);

    // The agent attaches a picture through the composer's file input.
    await view.locator('servus-composer input[data-file]').setInputFiles({ name: 'Ersatzteil.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    const back = await v.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'agent',
    );
    expect((back.message as { attachment: { name: string; type: string } }).attachment).toMatchObject({
      name: 'Ersatzteil.jpg',
      type: 'image/jpeg',
    });
    await expect.poll(() => view.locator('.msg[data-author=agent] .att-image img').count()).toBe(1);
    await expect.poll(() => view.locator('servus-composer [data-upload]').count()).toBe(0);

    // Search by file name.
    const found = await page.evaluate(async () =>
      ((await (await fetch('/api/conversations?q=Ersatzteil')).json()) as { conversations: { id: string }[] }).conversations.map(
        (c) => c.id,
      ),
    );
    expect(found).toEqual([ack.conversationId]);
    v.client.close();
  });
});

describe('widget and console together: files both ways (issue 18)', () => {
  it('a pasted screenshot and a dropped PDF reach the agent, who sends a picture back; a lost answer is retried and stored once', async () => {
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    await fetch(`${server.url}/api/sites/demo/proactive`, {
      method: 'PUT',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [] }),
    });
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/demo`);
    const widget = page.locator('servus-chat');
    await widget.locator('.launcher').click();
    await widget.locator('.clip').waitFor();

    // The screenshot's upload is stored, but its answer is lost: the widget sends it again by itself.
    let attempts = 0;
    await page.route(/\/api\/visitor\/attachments\?/, async (route) => {
      if (attempts++ === 0) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await handOver(page, 'paste', { name: 'image.png', type: 'image/png', bytes: photo });
    await widget.locator('.group.mine .thumb img').waitFor();
    await expect.poll(() => attempts).toBe(2);
    await expect.poll(() => widget.locator('.up').count()).toBe(0);
    await handOver(page, 'drop', { name: 'Rechnung.pdf', type: 'application/pdf', bytes: PDF });
    await widget.locator('.group.mine .file', { hasText: 'Rechnung.pdf' }).waitFor();
    await widget.locator('.chip.person').click();

    const conversationId = await page.evaluate(() => {
      for (let i = 0; i < localStorage.length; i++)
        if (localStorage.key(i)!.endsWith(':conv')) return localStorage.getItem(localStorage.key(i)!)!;
      return '';
    });

    // The agent: the conversation in the queue (its preview names the PDF), the screenshot inline, the PDF as a download.
    const { page: consolePage } = agent;
    await waitDeep(consolePage, `li[data-id="${conversationId}"]`);
    const row = consolePage.locator(`servus-conversation-list li[data-id="${conversationId}"]`);
    await expect.poll(() => row.locator('.preview').textContent()).toBe('📎 Rechnung.pdf');
    await row.click();
    const view = consolePage.locator('servus-conversation');
    await expect.poll(() => view.locator('.msg[data-author=visitor] .att-image img').count()).toBe(1);
    await expect
      .poll(() => view.locator('.msg[data-author=visitor] .att-image img').evaluate((el: HTMLImageElement) => el.naturalWidth))
      .toBe(64);
    expect(await view.locator('a.att-file').getAttribute('download')).toBe('Rechnung.pdf');

    // And sends a picture back through the composer: the widget shows it.
    await view.locator('servus-composer input[data-file]').setInputFiles({ name: 'Ersatz.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    const theirs = widget.locator('.group.agent .thumb img');
    await theirs.waitFor();
    await expect.poll(() => theirs.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);

    // Stored once: the conversation holds exactly three files.
    const files = await server.attachments.listForConversation(conversationId);
    expect(files.map((f) => f.name)).toEqual(['image.png', 'Rechnung.pdf', 'Ersatz.jpg']);
    expect(errors).toEqual([]);
    await context.close();
  });
});
