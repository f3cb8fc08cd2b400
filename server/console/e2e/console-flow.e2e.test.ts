// The agent console end to end in Chromium against the real server: a visitor (over the visitor
// protocol) asks the bot, then for a person; the conversation appears in the agent's queue live
// with the bot transcript; the agent takes it, they chat both ways with typing indicators, the
// agent uses a canned response and a note (the visitor never receives it), resolves, and the
// visitor's rating appears in the console.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login, newVisitor, type Frame } from '../../src/testing/client.js';
import { TEST_ADMIN, launch, openConsole, scrollHeights, startConsoleServer, startProxy, waitDeep, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let agent: AgentPage;

beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  agent = await openConsole(browser, server.url, TEST_ADMIN);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const msgText = (f: Frame) => (f.message as { text?: string } | undefined)?.text ?? '';
const timings: Record<string, number> = {};

describe('console: a chat from the bot to the rating', () => {
  it('shows a handed-off conversation live, with the bot transcript, and lets the agent answer it fully', async () => {
    const { page } = agent;
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.profile', cid: 'p1', name: 'Erika Muster' });
    await v.client.next((f) => f.type === 'ack' && f.cid === 'p1');
    v.client.send({ type: 'message.send', cid: 'm1', text: 'Wie lange dauert der Versand?' });
    const botAnswer = await v.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot',
    );
    const conversationId = botAnswer.conversationId as string;

    // Handoff: the queue shows it without a reload, with its count.
    const t0 = Date.now();
    v.client.send({ type: 'handoff.request', cid: 'h1' });
    const row = page.locator(`servus-conversation-list li[data-id="${conversationId}"]`);
    await waitDeep(page, `li[data-id="${conversationId}"]`);
    timings.handoffToQueueMs = Date.now() - t0;
    await expect.poll(() => page.locator('nav [data-count=queue]').textContent()).toBe('1');
    await expect.poll(() => row.locator('.name').textContent()).toBe('Erika Muster');
    expect(await row.locator('[data-wait]').count()).toBe(1);
    await expect.poll(() => page.title()).toBe('(1) Servus');

    // The transcript includes the bot's turn with its FAQ entry and confidence, and why it handed off.
    await row.click();
    const view = page.locator('servus-conversation');
    await view.locator('.msg[data-author=visitor]').first().waitFor();
    expect(await view.locator('.msg[data-author=visitor] .text').first().textContent()).toBe('Wie lange dauert der Versand?');
    const bot = view.locator('.msg[data-author=bot]').first();
    expect(await bot.locator('.text').textContent()).toBe(msgText(botAnswer).replace(/\*\*/g, ''));
    expect(await bot.locator('[data-bot]').textContent()).toMatch(/FAQ\s+\S+[\s\S]*confidence \d+%/);
    expect(await view.locator('[data-handoff-reason]').getAttribute('data-handoff-reason')).toBe('visitor_request');

    // Take it: the visitor learns who has it.
    await view.locator('[data-action=claim]').click();
    const assigned = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((assigned.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');
    await view.locator('[data-conv-status=assigned]').waitFor();
    await expect.poll(() => page.locator('nav [data-count=mine]').textContent()).toBe('1');

    // Visitor typing and writing → the agent sees both.
    v.client.send({ type: 'typing.update', conversationId, active: true });
    await view.locator('[data-typing]').waitFor();
    const t1 = Date.now();
    v.client.send({ type: 'message.send', cid: 'm2', text: 'Und nach Österreich?' });
    await waitDeep(page, '.msg[data-author=visitor] .text', 'Und nach Österreich?');
    timings.visitorToConsoleMs = Date.now() - t1;
    expect(await view.locator('[data-typing]').count()).toBe(0);

    // Agent typing and replying → the visitor sees both.
    const box = view.locator('servus-composer textarea');
    await box.click();
    await box.pressSequentially('Nach Österreich 3–4 Werktage.');
    const typing = await v.client.next((f) => f.type === 'typing' && f.active === true);
    expect((typing.author as { type: string }).type).toBe('agent');
    const t2 = Date.now();
    await box.press('Enter');
    const reply = await v.client.next((f) => f.type === 'message.created' && msgText(f) === 'Nach Österreich 3–4 Werktage.');
    timings.consoleToVisitorMs = Date.now() - t2;
    expect((reply.message as { author: { type: string } }).author.type).toBe('agent');
    // The composer clears when the server's ack reaches the console, which may come after the
    // visitor's copy: wait for it rather than read it once.
    await expect.poll(() => box.inputValue()).toBe('');

    // The visitor reads it: the console shows "Seen".
    v.client.send({ type: 'conversation.read', conversationId, seq: reply.seq as number });
    await view.locator('[data-seen]').waitFor();

    // Canned response: /shortcut expands with the visitor's name.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await fetch(`${server.url}/api/canned`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ shortcut: 'danke', text: 'Danke, {{visitor.name}}! Noch etwas?' }),
    });
    expect(created.status).toBe(201);
    await box.pressSequentially('/dan');
    await view.locator('servus-composer .canned li', { hasText: '/danke' }).waitFor();
    await box.press('Tab');
    expect(await box.inputValue()).toBe('Danke, Erika Muster! Noch etwas?');
    await box.press('Enter');
    await v.client.next((f) => f.type === 'message.created' && msgText(f) === 'Danke, Erika Muster! Noch etwas?');

    // A note: shown distinctly in the console, never sent to the visitor.
    await view.locator('servus-composer [data-mode=note]').click();
    expect(await view.locator('servus-composer .box.note').count()).toBe(1);
    await box.fill('Kunde ist Stammkunde – Gutschein anbieten.');
    await box.press('Enter');
    const note = view.locator('.msg.note', { hasText: 'Gutschein anbieten' });
    await note.waitFor();
    expect(await note.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe('rgb(255, 255, 255)');
    await view.locator('servus-composer [data-mode=reply]').click();
    await box.fill('Schönen Tag noch!');
    await box.press('Enter');
    await v.client.next((f) => f.type === 'message.created' && msgText(f) === 'Schönen Tag noch!');
    expect(v.client.frames.some((f) => JSON.stringify(f).includes('Gutschein'))).toBe(false);

    // Resolve; the visitor rates; the rating shows in the transcript.
    await view.locator('[data-action=resolve]').click();
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'resolved');
    await view.locator('[data-conv-status=resolved]').waitFor();
    v.client.send({ type: 'conversation.rate', cid: 'r1', conversationId, csat: 5, comment: 'Super schnell!' });
    const rating = view.locator('[data-rating]');
    await rating.waitFor();
    expect(await rating.textContent()).toMatch(/CSAT 5\/5/);
    expect(await rating.textContent()).toContain('Super schnell!');
    await expect.poll(() => page.locator('nav [data-count=mine]').count()).toBe(0);
    await expect.poll(() => page.title()).toBe('Servus');

    // Reopen to follow up: the conversation is the agent's again and the reply box works.
    await view.locator('[data-action=reopen]').click();
    const reopened = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'reopened');
    expect((reopened.conversation as { status: string }).status).toBe('assigned');
    await view.locator('[data-conv-status=assigned]').waitFor();
    await box.fill('Eine Frage noch: passt alles?');
    await box.press('Enter');
    await v.client.next((f) => f.type === 'message.created' && msgText(f) === 'Eine Frage noch: passt alles?');
    await view.locator('[data-action=resolve]').click();
    await view.locator('[data-conv-status=resolved]').waitFor();

    // The dashboard route loads the dashboard element (its own chunk) on first visit.
    await page.locator('nav [data-nav=dashboard]').click();
    await page.waitForFunction(() => customElements.get('servus-dashboard') !== undefined);
    expect(await page.locator('servus-dashboard').count()).toBe(1);
    // It ends where its figures end: the charts' hidden tables for screen readers (a row per day)
    // once stretched the page by about 800 px of nothing.
    await page.locator('servus-dashboard[data-state=ready]').waitFor();
    const heights = await scrollHeights(page);
    expect(heights.document).toBeLessThanOrEqual(heights.window);
    expect(heights.page).toBeLessThanOrEqual(heights.content + 1);
    await page.locator('nav [data-nav=mine]').click();

    const errors = agent.errors.filter((e) => !/401|Unauthorized/.test(e));
    expect(errors).toEqual([]);
    console.log('console e2e timings', timings);
    v.client.close();
  });

  it('resyncs by itself after the connection was lost, without a reload', async () => {
    // This agent reaches the server through a proxy the test can cut, like a network drop.
    const proxy = await startProxy(server.port);
    const second = await openConsole(browser, proxy.url, TEST_ADMIN);
    const { page } = second;
    try {
      proxy.setOffline(true);
      await page.locator('nav .conn').waitFor();
      // While the agent is cut off, a new visitor hands off.
      const v = await newVisitor(server.url);
      v.client.send({ type: 'message.send', cid: 'x1', text: 'Hallo, ich brauche Hilfe mit meiner Rechnung' });
      v.client.send({ type: 'handoff.request', cid: 'x2' });
      const queued = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
      const t0 = Date.now();
      proxy.setOffline(false);
      // The browser's 'online' event is what a real network return fires; the backoff would get there too.
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await waitDeep(page, `li[data-id="${queued.conversationId as string}"]`);
      timings.resyncAfterOnlineMs = Date.now() - t0;
      expect(await page.locator('nav .conn').count()).toBe(0);

      // A drop in the middle of an open conversation: messages sent meanwhile arrive after the resume.
      await page.locator(`servus-conversation-list li[data-id="${queued.conversationId as string}"]`).click();
      const view = page.locator('servus-conversation');
      await view.locator('[data-action=claim]').click();
      await view.locator('[data-conv-status=assigned]').waitFor();
      proxy.cut();
      v.client.send({ type: 'message.send', cid: 'x3', text: 'Sind Sie noch da?' });
      await v.client.next((f) => f.type === 'ack' && f.cid === 'x3');
      await view.locator('.msg[data-author=visitor] .text', { hasText: 'Sind Sie noch da?' }).waitFor();
      expect(await view.locator('.msg[data-author=visitor] .text', { hasText: 'Sind Sie noch da?' }).count()).toBe(1);
      console.log('console e2e timings', timings);
      v.client.close();
    } finally {
      await second.context.close();
      await proxy.close();
    }
  });
});
