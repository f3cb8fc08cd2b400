// Attachments in real Chromium, the widget on a host page of another origin against the real
// server: a pasted screenshot and a dropped PDF reach the agent, an image sent back shows as a
// thumbnail, and an upload whose answer is lost is sent again by itself and stored once. The
// attachments chunk waits for the visitor's first use of files, and that first use works.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../../server/src/testing/server-process.js';
import { login } from '../../server/src/testing/client.js';
import { launchChromium } from '../../server/src/testing/browser.js';
import { handOver } from '../../server/console/e2e/page.js';
import { ensureBuilt } from './dist.js';
import { startFixtureServer } from './fixtures.js';

const fixture = (name: string) => readFileSync(new URL(`../../server/src/attachments/fixtures/${name}`, import.meta.url));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let server: ServerProcess;
let fixtures: { url: string; close(): Promise<void> };
let browser: Browser;
let cookie: string;

beforeAll(async () => {
  ensureBuilt();
  server = await startServerProcess({ env: { AUTO_ASSIGN: 'false' } });
  fixtures = await startFixtureServer(server.url);
  cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  await fetch(`${server.url}/api/sites/demo/proactive`, {
    method: 'PUT',
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [] }),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fixtures?.close();
  await server?.stop();
});

const widget = (page: Page) => page.locator('servus-chat');

type Logged = { events: { message?: { attachment?: { id: string; name: string; type: string; width?: number } } }[] };

/** The conversation's files as the agents' API lists them. */
async function agentFiles(conversationId: string) {
  const res = await fetch(`${server.url}/api/conversations/${conversationId}/events`, { headers: { cookie } });
  const log = (await res.json()) as Logged;
  return log.events.flatMap((e) => (e.message?.attachment ? [e.message.attachment] : []));
}

/** The visitor's conversation as the widget stored it. */
const conversationOf = (page: Page) =>
  page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      if (k.endsWith(':conv')) return localStorage.getItem(k)!;
    }
    return '';
  });

describe('attachments in the widget', () => {
  it('sends a pasted screenshot and a dropped PDF, shows an image sent back, and stores a retried upload once', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${fixtures.url}/plain`);
    await widget(page).locator('.launcher').click();
    await widget(page).locator('.clip').waitFor();

    // The first upload's answer is lost on the way back (the server stored it): the widget sends
    // it again with the same cid, and the server answers with the stored upload.
    let dropped = 0;
    await page.route(/\/api\/visitor\/attachments\?/, async (route) => {
      if (dropped++ === 0) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await handOver(page, 'paste', { name: 'image.png', type: 'image/png', bytes: fixture('photo.png') });
    const thumb = widget(page).locator('.group.mine .thumb img');
    await thumb.waitFor();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
    // The retry went out and was answered: nothing left in flight.
    await expect.poll(() => dropped).toBe(2);
    await expect.poll(() => widget(page).locator('.up').count()).toBe(0);

    await handOver(page, 'drop', { name: 'Lieferschein.pdf', type: 'application/pdf', bytes: PDF });
    await widget(page).locator('.group.mine .file', { hasText: 'Lieferschein.pdf' }).waitFor();

    const conversationId = await conversationOf(page);
    const files = await agentFiles(conversationId);
    expect(files.map((f) => [f.name, f.type])).toEqual([
      ['image.png', 'image/png'],
      ['Lieferschein.pdf', 'application/pdf'],
    ]);

    // The agent sends a picture back: the visitor sees it as a thumbnail.
    const sent = await fetch(`${server.url}/api/conversations/${conversationId}/attachments?cid=back-1&name=Paket.jpg`, {
      method: 'POST',
      headers: { cookie, origin: server.url },
      body: new Uint8Array(fixture('photo.jpg')),
    });
    expect(sent.status).toBe(201);
    const theirs = widget(page).locator('.group.agent .thumb img');
    await theirs.waitFor();
    await expect.poll(() => theirs.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fetches the attachments chunk only when the visitor uses files, and sends the file of that first paste, pick or drop', async () => {
    const errors: string[] = [];
    /** A new visitor on the host site, the panel open; their requests for the attachments chunk are counted. */
    const visit = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const chunks: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (/\/widget\/Attach-/.test(r.url())) chunks.push(r.url());
      });
      await page.goto(`${fixtures.url}/plain`);
      await widget(page).locator('.launcher').click();
      await widget(page).locator('.clip').waitFor();
      return { page, chunks, close: () => context.close() };
    };

    // The panel is open with its paperclip and the visitor chats: no attachments chunk.
    const first = await visit();
    const input = widget(first.page).locator('#sv-input');
    await input.fill('Wie lange dauert der Versand?');
    await input.press('Enter');
    await widget(first.page).locator('.group.mine .tick:is(.sent, .read)').waitFor();
    expect(first.chunks).toEqual([]);
    // The first use is a paste: the chunk comes, and the pasted screenshot is sent and stored once.
    await handOver(first.page, 'paste', { name: 'image.png', type: 'image/png', bytes: fixture('photo.png') });
    await widget(first.page).locator('.group.mine .thumb img').waitFor();
    expect(first.chunks).toHaveLength(1);
    expect((await agentFiles(await conversationOf(first.page))).map((f) => f.name)).toEqual(['image.png']);
    await first.close();

    // The first click on the paperclip opens the file picker (camera and photo library on a phone).
    const second = await visit();
    const clip = widget(second.page).locator('.clip');
    expect(await widget(second.page).locator('input[type=file]').getAttribute('accept')).toContain('image/*');
    const chooser = second.page.waitForEvent('filechooser');
    await clip.click();
    await (await chooser).setFiles({ name: 'Paket.jpg', mimeType: 'image/jpeg', buffer: fixture('photo.jpg') });
    await widget(second.page).locator('.group.mine .thumb img').waitFor();
    expect(second.chunks).toHaveLength(1);
    await second.close();

    // A file dropped on the panel as the first use of files on a page (dragged over first): sent once.
    const third = await visit();
    expect(third.chunks).toEqual([]);
    await handOver(third.page, 'drop', { name: 'Lieferschein.pdf', type: 'application/pdf', bytes: PDF });
    await widget(third.page).locator('.group.mine .file', { hasText: 'Lieferschein.pdf' }).waitFor();
    expect(third.chunks).toHaveLength(1);
    expect((await agentFiles(await conversationOf(third.page))).map((f) => f.name)).toEqual(['Lieferschein.pdf']);
    await third.close();
    expect(errors).toEqual([]);
  });
});
