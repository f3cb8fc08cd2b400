// Two agents in two browser contexts: both press "Take" on the same waiting chat at once and
// exactly one gets it (the other is told, and the chat leaves their queue); a transfer lands in the
// other agent's "Mine" live; with auto-assignment on, a handed-off chat goes straight to the online
// agent's "Mine" without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { newVisitor } from '../../src/testing/client.js';
import { TEST_ADMIN, addAgent, launch, openConsole, startConsoleServer, type AgentPage } from './harness.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function queuedConversation(server: TestServer, text: string) {
  const v = await newVisitor(server.url);
  v.client.send({ type: 'message.send', cid: 'm1', text });
  v.client.send({ type: 'handoff.request', cid: 'h1' });
  const handoff = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
  return { v, id: handoff.conversationId as string };
}

describe('two agents, one queue', () => {
  let server: TestServer;
  let a: AgentPage;
  let b: AgentPage;
  beforeAll(async () => {
    server = await startConsoleServer();
    await addAgent(server, { name: 'Bea', email: 'bea@example.com', password: 'bea-password-1' });
    [a, b] = await Promise.all([
      openConsole(browser, server.url, TEST_ADMIN),
      openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1' }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('gives a chat to exactly one of two agents taking it at the same moment', async () => {
    const wins = { a: 0, b: 0 };
    for (let round = 0; round < 3; round++) {
      const { v, id } = await queuedConversation(server, `Frage Nummer ${round}`);
      for (const p of [a, b]) {
        await p.page.locator(`servus-conversation-list li[data-id="${id}"]`).click();
        await p.page.locator('servus-conversation [data-action=claim]').waitFor();
      }
      // Both buttons are pressed in the same instant (Playwright's click() waits for actionability
      // one page at a time, and the loser's button may already be gone by then).
      const buttons = await Promise.all([a, b].map((p) => p.page.locator('servus-conversation [data-action=claim]').elementHandle()));
      await Promise.all(buttons.map((h) => h!.evaluate((el) => (el as HTMLElement).click())));
      const assigned = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
      const winner = (assigned.conversation as { assignee: { name: string } }).assignee.name;
      const [won, lost] = winner === 'Admin' ? [a, b] : [b, a];
      await won.page.locator('servus-conversation [data-conv-status=assigned]').waitFor();
      const key = winner === 'Admin' ? 'a' : 'b';
      wins[key]++;
      await expect.poll(() => won.page.locator('nav [data-count=mine]').textContent()).toBe(String(wins[key]));
      // The loser sees who has it now, and it is gone from their queue.
      await lost.page.locator('servus-conversation [data-conv-status=assigned]').waitFor();
      await expect.poll(() => lost.page.locator(`servus-conversation-list li[data-id="${id}"]`).count()).toBe(0);
      expect(v.client.frames.filter((f) => f.type === 'conversation.updated' && f.change === 'assigned')).toHaveLength(1);
      v.client.close();
    }
    expect(wins.a + wins.b).toBe(3);
  });

  it('shows a transferred chat in the other agent’s "Mine" live', async () => {
    const { v, id } = await queuedConversation(server, 'Bitte an Bea weitergeben');
    await a.page.locator(`servus-conversation-list li[data-id="${id}"]`).click();
    await a.page.locator('servus-conversation [data-action=claim]').click();
    await a.page.locator('servus-conversation [data-conv-status=assigned]').waitFor();
    const select = a.page.locator('servus-conversation select[data-action=transfer]');
    await expect.poll(() => select.locator('option').count()).toBeGreaterThan(1);
    const bea = await select.locator('option', { hasText: 'Bea' }).getAttribute('value');
    await select.selectOption(bea!);
    await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'transferred');
    await b.page.locator('nav [data-nav=mine]').click();
    await b.page.locator(`servus-conversation-list li[data-id="${id}"]`).waitFor();
    v.client.close();
  });
});

describe('auto-assignment', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startConsoleServer({ autoAssign: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('puts a handed-off chat straight into the online agent’s "Mine", live', async () => {
    const agent = await openConsole(browser, server.url, TEST_ADMIN);
    const { v, id } = await queuedConversation(server, 'Ich brauche einen Menschen');
    const assigned = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((assigned.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');
    await expect.poll(() => agent.page.locator('nav [data-count=mine]').textContent()).toBe('1');
    await agent.page.locator('nav [data-nav=mine]').click();
    await agent.page.locator(`servus-conversation-list li[data-id="${id}"]`).waitFor();
    // Away: no new chats are assigned.
    await agent.page.locator('nav select[data-status]').selectOption('away');
    const second = await queuedConversation(server, 'Noch jemand da?');
    await agent.page.locator('nav [data-nav=queue]').click();
    await agent.page.locator(`servus-conversation-list li[data-id="${second.id}"]`).waitFor();
    expect(second.v.client.frames.some((f) => f.type === 'conversation.updated' && f.change === 'assigned')).toBe(false);
    v.client.close();
    second.v.client.close();
    await agent.context.close();
  });
});
