// An agent's status is theirs, not a tab's (issue 17 point 10): "Away" survives a reload of the
// console and shows on a second device, no chat is assigned to them while they are away, and a
// change on one device shows on the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { newVisitor } from '../../src/testing/client.js';
import { addAgent, launch, openConsole, startConsoleServer } from './harness.js';

let browser: Browser;
let server: TestServer;
beforeAll(async () => {
  browser = await launch();
  // Auto-assignment on: a waiting chat goes to an online agent at once.
  server = await startConsoleServer({ autoAssign: true });
  await addAgent(server, { name: 'Bea', email: 'bea@example.com', password: 'bea-password-1' });
});
afterAll(async () => {
  await server?.close();
  await browser?.close();
});

const status = (page: Page) => page.locator('servus-console select[data-status]');
const agentRow = async () =>
  (await server.database.db.selectFrom('agents').select(['status']).where('email', '=', 'bea@example.com').executeTakeFirstOrThrow())
    .status;

describe('agent status', () => {
  it('stays "away" after a reload and on another device, gets no chat meanwhile, and follows a change made elsewhere', async () => {
    const laptop = await openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1' });
    expect(await status(laptop.page).inputValue()).toBe('online');
    await status(laptop.page).selectOption('away');
    await expect.poll(agentRow).toBe('away');

    await laptop.page.reload();
    await laptop.page.locator('nav [data-nav=queue]').waitFor();
    await laptop.page.waitForFunction(() => !document.querySelector('servus-console')?.shadowRoot?.querySelector('.conn'));
    await expect.poll(() => status(laptop.page).inputValue()).toBe('away');

    const phone = await openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1' });
    await expect.poll(() => status(phone.page).inputValue()).toBe('away');

    // A visitor asks for a person: nobody online, so the chat waits (it is not given to Bea).
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm1', text: 'Hallo, ich brauche Hilfe' });
    v.client.send({ type: 'handoff.request', cid: 'h1' });
    const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    expect((handoff.conversation as { status: string }).status).toBe('queued');
    await laptop.page.locator(`servus-conversation-list li[data-id="${handoff.conversationId as string}"]`).waitFor();
    const conv = await server.database.db
      .selectFrom('conversations')
      .select(['status'])
      .where('id', '=', handoff.conversationId as string)
      .executeTakeFirstOrThrow();
    expect(conv.status).toBe('queued');

    // Online on the phone: the laptop follows, and the waiting chat is now Bea's.
    await status(phone.page).selectOption('online');
    await expect.poll(() => status(laptop.page).inputValue()).toBe('online');
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    // (The console's first look at /api/auth/me, before the login, is a 401.)
    expect(laptop.errors.filter((e) => !/401/.test(e))).toEqual([]);
    v.client.close();
    await laptop.context.close();
    await phone.context.close();
  });
});
