// Everything a visitor controls is shown as text. A visitor sends the usual payloads through every
// field they control (name, email, message text, page URL, title, referrer, user agent); the agent
// opens the conversation in Chromium with the CSP switched off (so a rendering bug would really
// run), and no script runs, no dialog opens, no element is injected, no javascript: link appears.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer, visitorWithUserAgent } from './harness.js';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const SVG = '"><svg onload="window.__xss=1;alert(1)">';
const JS = 'javascript:window.__xss=1;alert(1)';
const SCRIPT = '</textarea><script>window.__xss=1;alert(1)</script>';

describe('console XSS', () => {
  it('shows every visitor-controlled field as text: no script, no dialog, no injected element', async () => {
    const v = await visitorWithUserAgent(server.url, `Mozilla/5.0 ${SVG} ${IMG}`);
    v.send({
      type: 'visitor.hello',
      context: { url: JS, title: `${IMG} Title`, referrer: `${SVG}`, lang: 'de', timezone: 'Europe/Vienna' },
    });
    await v.next((f) => f.type === 'welcome');
    v.send({ type: 'visitor.profile', cid: 'p1', name: `${IMG}${SVG}` });
    await v.next((f) => f.type === 'ack' && f.cid === 'p1');
    // An address with markup in its quoted local part is not accepted as an email at all.
    v.send({ type: 'visitor.profile', cid: 'p2', email: `"${IMG}"@example.com` });
    const emailAnswer = await v.next((f) => f.cid === 'p2');
    v.send({ type: 'message.send', cid: 'm1', text: `${IMG} ${SVG} [klick](${JS}) ${SCRIPT}` });
    v.send({ type: 'handoff.request', cid: 'h1' });
    const handoff = await v.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    const id = handoff.conversationId as string;

    const agent = await openConsole(browser, server.url, { ...TEST_ADMIN, bypassCSP: true });
    const { page } = agent;
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Queue list, the conversation, the visitor panel, and the full list with search.
    const row = page.locator(`servus-conversation-list li[data-id="${id}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('.name').textContent()).toBe(`${IMG}${SVG}`);
    await row.click();
    const view = page.locator('servus-conversation');
    const text = view.locator('.msg[data-author=visitor] .text').first();
    await text.waitFor();
    expect(await text.textContent()).toBe(`${IMG} ${SVG} [klick](${JS}) ${SCRIPT}`);
    const panel = view.locator('servus-visitor-panel');
    await panel.locator('[data-ctx=name]').waitFor();
    expect(await panel.locator('[data-ctx=name]').textContent()).toBe(`${IMG}${SVG}`);
    expect(await panel.locator('[data-ctx=title]').textContent()).toBe(`${IMG} Title`);
    expect(await panel.locator('aside').textContent()).toContain(JS);
    expect(await panel.locator('aside').textContent()).toContain(SVG);
    expect(await panel.locator('[data-ctx=ua]').getAttribute('title')).toContain(IMG);
    if (emailAnswer.type === 'ack') expect(await panel.locator('[data-ctx=email]').textContent()).toContain(IMG);
    else expect(emailAnswer).toMatchObject({ type: 'error', code: 'BAD_FRAME' });

    await page.locator('nav [data-nav=all]').click();
    await page.locator('servus-conversation-list input[type=search]').fill('onerror');
    await page.locator(`servus-conversation-list li[data-id="${id}"]`).waitFor();
    await page.locator(`servus-conversation-list li[data-id="${id}"]`).click();
    await view.locator('.msg[data-author=visitor]').first().waitFor();
    await page.waitForTimeout(300); // give a would-be onerror/onload handler time to fire

    const injected = await page.evaluate(() => {
      const found: string[] = [];
      const walk = (root: Document | ShadowRoot) => {
        for (const el of root.querySelectorAll('img, svg, script, iframe, object, embed')) {
          // The console's own module script is the one script the page has.
          if (!(el instanceof HTMLScriptElement && /^\/console\/assets\//.test(el.getAttribute('src') ?? '')))
            found.push(el.outerHTML.slice(0, 80));
        }
        for (const a of root.querySelectorAll('a[href]'))
          if (!/^(https?:|\/)/.test(a.getAttribute('href') ?? '')) found.push(a.outerHTML.slice(0, 80));
        for (const host of root.querySelectorAll('*')) if (host.shadowRoot) walk(host.shadowRoot);
      };
      walk(document);
      return { found, flag: (window as unknown as { __xss?: number }).__xss ?? null };
    });
    expect(injected).toEqual({ found: [], flag: null });
    expect(dialogs).toEqual([]);
    expect(agent.errors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
    v.close();
    await agent.context.close();
  });
});
