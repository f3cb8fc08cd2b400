// Canned responses and their variables (issue 17 points 12 and 16): typing "/" with no canned
// responses says where to add them; a variable with a fallback is filled in the composer before
// sending; one without a value never reaches the visitor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login, newVisitor } from '../../src/testing/client.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer } from './harness.js';

let browser: Browser;
let server: TestServer;
beforeAll(async () => {
  browser = await launch();
  server = await startConsoleServer();
});
afterAll(async () => {
  await server?.close();
  await browser?.close();
});

describe('canned responses in the composer', () => {
  it('hints at Settings without canned responses, fills {{visitor.name|there}} before sending, and refuses to send an unresolved variable', async () => {
    const { page, context } = await openConsole(browser, server.url, TEST_ADMIN);
    // An anonymous visitor asks for a person; the agent takes the chat.
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm1', text: 'My parcel is broken' });
    v.client.send({ type: 'handoff.request', cid: 'h1' });
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    await page.locator(`servus-conversation-list li[data-id="${handoff.conversationId as string}"]`).click();
    const view = page.locator('servus-conversation');
    await view.locator('[data-action=claim]').click();
    await view.locator('[data-conv-status=assigned]').waitFor();
    const input = view.locator('servus-composer textarea');

    await input.fill('/');
    await expect.poll(() => view.locator('servus-composer .canned-hint').innerText()).toContain('Settings');
    await input.fill('');

    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    for (const [shortcut, text] of [
      ['hi', 'Hi {{visitor.name|there}}, {{agent.name}} here.'],
      ['sorry', 'Sorry for the trouble, {{visitor.name}}!'],
    ])
      await fetch(`${server.url}/api/canned`, {
        method: 'POST',
        headers: { cookie, origin: server.url, 'content-type': 'application/json' },
        body: JSON.stringify({ shortcut, text }),
      });

    // The fallback is filled in before sending: the agent sees what the visitor will read.
    await input.pressSequentially('/hi');
    await view.locator('servus-composer ul.canned li', { hasText: '/hi' }).waitFor();
    await input.press('Enter');
    await expect.poll(() => input.inputValue()).toBe('Hi there, Admin here.');
    await input.press('Enter');
    const sent = await v.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'agent',
    );
    expect((sent.message as { text: string }).text).toBe('Hi there, Admin here.');

    // Without a fallback and without a name: shown, not sent.
    await input.pressSequentially('/sorry');
    await view.locator('servus-composer ul.canned li', { hasText: '/sorry' }).waitFor();
    await input.press('Enter');
    await expect.poll(() => input.inputValue()).toBe('Sorry for the trouble, {{visitor.name}}!');
    await view.locator('servus-composer [data-send]').click();
    await expect.poll(() => view.locator('servus-composer .error').innerText()).toContain('{{visitor.name}}');
    const stored = await server.database.db
      .selectFrom('events')
      .select(['id'])
      .where('conversation_id', '=', handoff.conversationId as string)
      .where('author_type', '=', 'agent')
      .where('kind', '=', 'message')
      .execute();
    expect(stored).toHaveLength(1);
    v.client.close();
    await context.close();
  });
});
