// The console on a phone (390×844, touch, Chromium's mobile emulation) against the real server: an
// agent logs in, sees the queue, opens a waiting chat, takes it and answers it (the visitor's socket
// receives the reply), reads the visitor's context in its sheet, types with the keyboard open, goes
// back to the list and reaches every other page from the menu. One pane at a time, touch targets of
// 44 px, nothing wider than the window, the composer in view, and axe clean at this size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { newVisitor, type Frame } from '../../src/testing/client.js';
import {
  TEST_ADMIN,
  PHONE,
  axeViolations,
  horizontalOverflow,
  launch,
  openConsole,
  scrollHeights,
  startConsoleServer,
  type AgentPage,
} from './harness.js';

let server: TestServer;
let browser: Browser;
let agent: AgentPage;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  agent = await openConsole(browser, server.url, { ...TEST_ADMIN, device: PHONE });
  page = agent.page;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const TOUCH = 44;
/** The page's errors, but the 401 of the session check before the login. */
const pageErrors = () => agent.errors.filter((e) => !/401|Unauthorized/.test(e));

/** The element's box, which must be fully inside the window (as it is now). */
async function boxInWindow(locator: Locator) {
  const box = (await locator.boundingBox())!;
  const win = page.viewportSize()!;
  expect(box, 'rendered').not.toBeNull();
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(win.width + 0.5);
  expect(box.y + box.height).toBeLessThanOrEqual(win.height + 0.5);
  return box;
}

/** Each matched element is visible, inside the window and at least 44 px both ways. */
async function touchTargets(locator: Locator): Promise<void> {
  const n = await locator.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const box = await boxInWindow(locator.nth(i));
    expect(Math.min(box.width, box.height), `${await locator.nth(i).textContent()} is a touch target`).toBeGreaterThanOrEqual(TOUCH);
  }
}

async function visitorWaiting(name: string, text: string) {
  const v = await newVisitor(server.url);
  v.client.send({ type: 'visitor.profile', cid: 'p', name });
  await v.client.next((f) => f.type === 'ack' && f.cid === 'p');
  v.client.send({ type: 'message.send', cid: 'm1', text });
  await v.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot');
  v.client.send({ type: 'handoff.request', cid: 'h' });
  const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
  return { ...v, conversationId: handoff.conversationId as string };
}

describe('console on a phone (390×844)', () => {
  it('answers a waiting chat: queue, conversation, reply, back, one pane at a time', async () => {
    const list = page.locator('servus-conversation-list');
    const view = page.locator('servus-conversation');
    // The queue fills the screen under a top bar; no conversation pane beside it.
    expect(await horizontalOverflow(page)).toEqual([]);
    await touchTargets(page.locator('nav > a, nav [data-menu]'));
    expect(await page.locator('nav [data-nav=faq]').isVisible()).toBe(false); // in the menu
    const listBox = await boxInWindow(list);
    expect(listBox.width).toBe(PHONE.viewport.width);
    expect(await axeViolations(page)).toEqual([]);

    const v = await visitorWaiting('Erika Muster', 'Where is my parcel?');
    const row = list.locator(`li[data-id="${v.conversationId}"]`);
    await row.waitFor();
    await expect.poll(() => page.locator('nav [data-count=queue]').textContent()).toBe('1');
    await touchTargets(row);

    // Open it: the conversation alone, with a way back; the list and the bar step aside.
    await row.tap();
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Where is my parcel?' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/queue/${v.conversationId}`);
    expect(await list.isVisible()).toBe(false);
    expect(await page.locator('nav').isVisible()).toBe(false);
    expect((await boxInWindow(view)).width).toBe(PHONE.viewport.width);
    const back = page.locator('servus-conversation [data-back]');
    await touchTargets(back);
    expect(await back.textContent()).toMatch(/Queue\s+1/); // where it leads, with what waits there
    const claim = view.locator('[data-action=claim]');
    await touchTargets(view.locator('[data-action=claim], [data-action=resolve], [data-action=context]'));
    expect(await horizontalOverflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);

    // Take it: the visitor hears who has it.
    await claim.tap();
    const assigned = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((assigned.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');
    await view.locator('[data-conv-status=assigned]').waitFor();
    expect(await horizontalOverflow(page)).toEqual([]);

    // The composer sits at the bottom of the screen, in view, with touch-sized controls.
    const composer = view.locator('servus-composer');
    const composerBox = await boxInWindow(composer);
    expect(composerBox.y + composerBox.height).toBeGreaterThan(PHONE.viewport.height - 40);
    await touchTargets(composer.locator('[data-mode], [data-attach], [data-send]'));
    const box = composer.locator('textarea');
    await box.tap();
    await box.pressSequentially('Your parcel arrives tomorrow.');
    await composer.locator('[data-send]').tap();
    const reply = (f: Frame) =>
      f.type === 'message.created' && (f.message as { author: { type: string }; text: string }).text === 'Your parcel arrives tomorrow.';
    const received = await v.client.next(reply);
    expect((received.message as { author: { type: string } }).author.type).toBe('agent');
    const sent = view.locator('.msg[data-author=agent] .text', { hasText: 'Your parcel arrives tomorrow.' });
    await sent.waitFor();
    await boxInWindow(sent);
    expect(await box.inputValue()).toBe('');

    // An on-screen keyboard that resizes the page (Chrome on Android; the console asks for it):
    // the composer stays above it, and the latest message stays in view above the composer.
    await page.setViewportSize({ width: 390, height: 460 });
    await expect
      .poll(async () => ((await composer.boundingBox())?.y ?? 0) + ((await composer.boundingBox())?.height ?? 0))
      .toBeLessThanOrEqual(460);
    await boxInWindow(composer.locator('[data-send]'));
    await boxInWindow(box);
    await expect
      .poll(async () => {
        const m = (await sent.boundingBox())!;
        const c = (await composer.boundingBox())!;
        return m.y >= 0 && m.y + m.height <= c.y;
      })
      .toBe(true);
    await page.setViewportSize(PHONE.viewport);

    // The visitor's context: a sheet from the bottom, within the screen, closed again by its button.
    const toggle = view.locator('[data-action=context]');
    await toggle.tap();
    const sheet = view.locator('.context');
    await sheet.locator('servus-visitor-panel [data-ctx=name]', { hasText: 'Erika Muster' }).waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const sheetBox = await boxInWindow(sheet);
    expect(sheetBox.width).toBe(PHONE.viewport.width);
    expect(await horizontalOverflow(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await sheet.locator('.sheet-head button').tap();
    expect(await sheet.isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');

    // Back to the list: the queue is empty now, the chat is under "Mine".
    await back.tap();
    await list.locator('.none').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/queue');
    expect(await view.count()).toBe(0);
    await page.locator('nav [data-nav=mine]').tap();
    await list.locator(`li[data-id="${v.conversationId}"]`).waitFor();
    expect(pageErrors()).toEqual([]);
    v.client.close();
  });

  it('reaches every page from the menu, none wider than the screen', async () => {
    const menu = page.locator('nav [data-menu]');
    for (const section of ['faq', 'dashboard', 'settings', 'integrations'] as const) {
      await menu.tap();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      const link = page.locator(`nav [data-nav=${section}]`);
      await touchTargets(link);
      if (section === 'faq') {
        // The menu holds the agent's status and account too, inside the screen.
        await touchTargets(page.locator('nav .me select, nav .me button'));
        expect(await horizontalOverflow(page)).toEqual([]);
        expect(await axeViolations(page)).toEqual([]);
      }
      await link.tap();
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      expect(new URL(page.url()).pathname).toBe(`/console/${section}`);
      const ready = {
        faq: 'servus-faq-editor [data-entry]',
        dashboard: 'servus-dashboard[data-state=ready]',
        settings: 'servus-settings tr[data-agent], servus-settings [data-agent]',
        integrations: 'servus-integrations h2',
      }[section];
      await page.locator(ready).first().waitFor();
      // Wide tables (agents, the audit log, figures) scroll inside their own card; nothing else does.
      expect(await horizontalOverflow(page, ['* table', 'servus-dashboard .scroll']), section).toEqual([]);
      // The document never scrolls (the panes do), and a page ends where its content ends.
      const heights = await scrollHeights(page);
      expect(heights.document, section).toBeLessThanOrEqual(heights.window);
      expect(heights.page, section).toBeLessThanOrEqual(heights.content + 1);
      expect(await axeViolations(page), section).toEqual([]);
    }
    expect(pageErrors()).toEqual([]);
  });
});
