// Issue 5's end-to-end test with both real front ends: one Chromium, two contexts against one real
// server. Context A is a visitor on /demo with the real widget (bot answer, "talk to a person",
// queue position); context B is an agent in the real console. The conversation appears live in the
// queue with the bot transcript; the agent takes it; typing shows both ways; they write both ways;
// the agent uses a canned response and an internal note (never reaches the widget), resolves; the
// visitor rates in the widget and the rating appears in the console.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login } from '../../src/testing/client.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer, waitDeep, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let agent: AgentPage;
let visitor: { context: BrowserContext; page: Page; errors: string[]; framesIn: string[] };

const api = async (cookie: string, path: string, method: string, body: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
};

async function openVisitor(): Promise<typeof visitor> {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text());
  });
  // Every frame the widget's socket receives, to prove the note never reaches the visitor.
  const framesIn: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => framesIn.push(String(f.payload))));
  await page.goto(`${server.url}/demo`);
  return { context, page, errors, framesIn };
}

beforeAll(async () => {
  ensureBuilt();
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  // The demo seed greets proactively after 20 s; this test opens the chat itself.
  await api(cookie, '/api/sites/demo/proactive', 'PUT', { rules: [] });
  // The canned response the agent will expand with /gern ({{agent.name}} is the agent's own name).
  await api(cookie, '/api/canned', 'POST', { shortcut: 'gern', text: 'Gern geschehen, Ihr {{agent.name}} vom Servus-Team.' });
  [agent, visitor] = await Promise.all([openConsole(browser, server.url, TEST_ADMIN), openVisitor()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const timings: Record<string, number> = {};

describe('widget and console together (issue 5)', () => {
  it('a visitor on the demo page asks for a person and is served end to end by an agent in the console', async () => {
    const started = Date.now();
    const { page } = agent;
    const w = visitor.page.locator('servus-chat');
    const input = w.locator('#sv-input');

    // A: open the widget, the bot answers an FAQ question.
    await w.locator('.launcher').click();
    await input.waitFor();
    await input.fill('Wie lange dauert der Versand?');
    await input.press('Enter');
    const botBubble = w.locator('.group.bot .bubble', { hasText: '24 Stunden' });
    await botBubble.waitFor();
    // The answer's Markdown is rendered (bold), not shown as raw markers.
    expect(await botBubble.innerText()).not.toContain('**');

    // A: "Mit einem Menschen sprechen" → the place in the queue (an agent is online: with a wait).
    const person = w.locator('.chip.person');
    expect(await person.innerText()).toBe('Mit einem Menschen sprechen');
    const t0 = Date.now();
    await person.click();

    // B: the conversation appears in the queue live, no reload.
    const row = page.locator('servus-conversation-list li[data-id]');
    // (waitDeep checks every frame, for the timing; a selector cannot cross into the list's shadow root.)
    await waitDeep(page, 'li[data-id]');
    timings.handoffToQueueMs = Date.now() - t0;
    await expect.poll(() => w.locator('#sv-sub').innerText()).toMatch(/^Wartend: Sie sind Nummer 1, etwa \d+ Minuten?$/);
    await expect.poll(() => page.locator('nav [data-count=queue]').textContent()).toBe('1');
    expect(await row.count()).toBe(1);
    expect(await row.locator('[data-wait]').count()).toBe(1);
    // The preview is plain text, whatever Markdown the last message had.
    await expect.poll(() => row.locator('.preview').textContent()).not.toBe('');
    expect(await row.locator('.preview').textContent()).not.toMatch(/\*\*|\]\(/);

    // B: the transcript has the visitor's question, the bot's answer with its FAQ entry and confidence, and why it was handed over.
    await row.click();
    const view = page.locator('servus-conversation');
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Wie lange dauert der Versand?' }).waitFor();
    const bot = view.locator('.msg[data-author=bot]').first();
    expect(await bot.locator('.text').textContent()).toContain('24 Stunden');
    expect(await bot.locator('.text').textContent()).not.toContain('**');
    expect(await bot.locator('[data-bot]').textContent()).toMatch(/FAQ\s+versanddauer[\s\S]*confidence \d+%/);
    expect(await view.locator('[data-handoff-reason]').getAttribute('data-handoff-reason')).toBe('visitor_request');

    // B takes it; A learns who is writing.
    await view.locator('[data-action=claim]').click();
    await view.locator('[data-conv-status=assigned]').waitFor();
    await expect.poll(() => w.locator('#sv-sub').innerText()).toBe('Sie schreiben mit Admin');

    // B types → A sees "Admin schreibt…"; B sends → A sees the reply, the indicator goes.
    const box = view.locator('servus-composer textarea');
    await box.click();
    const t1 = Date.now();
    await box.pressSequentially('Nach Österreich');
    await w.locator('.typing').waitFor();
    timings.agentTypingToWidgetMs = Date.now() - t1;
    expect(await w.locator('.typing').innerText()).toContain('Admin');
    await box.pressSequentially(' dauert es 3–4 Werktage.');
    const t2 = Date.now();
    await box.press('Enter');
    await w.locator('.group.agent .bubble', { hasText: 'Nach Österreich dauert es 3–4 Werktage.' }).waitFor();
    timings.consoleToWidgetMs = Date.now() - t2;
    await w.locator('.typing').waitFor({ state: 'detached' });
    // The composer clears on the server's ack to the console, which can arrive after the widget's copy.
    await expect.poll(() => box.inputValue()).toBe('');

    // A types → B sees the visitor typing; A sends → B sees the message, the indicator goes.
    const t3 = Date.now();
    await input.pressSequentially('Super, danke');
    await view.locator('[data-typing]').waitFor();
    timings.widgetTypingToConsoleMs = Date.now() - t3;
    await input.pressSequentially('!');
    const t4 = Date.now();
    await input.press('Enter');
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'Super, danke!' }).waitFor();
    timings.widgetToConsoleMs = Date.now() - t4;
    await view.locator('[data-typing]').waitFor({ state: 'detached' });

    // B: a canned response through /gern, with the agent's name filled in.
    await box.pressSequentially('/ger');
    await view.locator('servus-composer .canned li', { hasText: '/gern' }).waitFor();
    await box.press('Tab');
    expect(await box.inputValue()).toBe('Gern geschehen, Ihr Admin vom Servus-Team.');
    await box.press('Enter');
    await w.locator('.group.agent .bubble', { hasText: 'Gern geschehen, Ihr Admin vom Servus-Team.' }).waitFor();

    // B: an internal note, shown distinctly in the console, and then one more reply; the widget
    // gets the reply but never the note (not on screen, not in any frame its socket received).
    await view.locator('servus-composer [data-mode=note]').click();
    await box.fill('Stammkunde – beim nächsten Mal Gutschein anbieten.');
    await box.press('Enter');
    await view.locator('.msg.note', { hasText: 'Gutschein anbieten' }).waitFor();
    await view.locator('servus-composer [data-mode=reply]').click();
    await box.fill('Schönen Tag noch!');
    await box.press('Enter');
    await w.locator('.group.agent .bubble', { hasText: 'Schönen Tag noch!' }).waitFor();
    expect(await w.locator('.bubble', { hasText: 'Gutschein' }).count()).toBe(0);
    expect(visitor.framesIn.some((f) => f.includes('Gutschein'))).toBe(false);
    expect(visitor.framesIn.some((f) => f.includes('Schönen Tag noch!'))).toBe(true);

    // B resolves → A gets the rating prompt; A rates 4 of 5 with a comment.
    await view.locator('[data-action=resolve]').click();
    await view.locator('[data-conv-status=resolved]').waitFor();
    const rating = w.locator('form.rating');
    await rating.waitFor();
    await rating.locator('.options button').nth(3).click();
    await rating.locator('textarea').fill('Schnell und freundlich.');
    const t5 = Date.now();
    await rating.locator('button[type=submit]').click();
    await w.locator('.thanks').waitFor();

    // B: the rating appears in the transcript, live.
    const shown = view.locator('[data-rating]');
    await shown.waitFor();
    timings.ratingToConsoleMs = Date.now() - t5;
    expect(await shown.textContent()).toMatch(/CSAT 4\/5/);
    expect(await shown.textContent()).toContain('Schnell und freundlich.');
    expect(await shown.locator('.stars').getAttribute('aria-label')).toBe('CSAT 4');

    timings.totalMs = Date.now() - started;
    expect(visitor.errors).toEqual([]);
    expect(agent.errors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
    console.log('widget + console e2e timings', timings);
  });
});
