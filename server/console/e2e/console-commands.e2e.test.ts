// Commands always settle in the console, in Chromium against the real server: a reply whose ack
// never arrives times out (the composer shows why, keeps the text, and the Send button is free
// again), resending it reuses its cid so the reply is stored once; an error frame with the cid
// settles a reply at once. The console's WebSocket goes through a Playwright route that forwards
// every frame both ways and can hold back the server's acks; the page's clock is Playwright's, so
// the command timeout passes without waiting for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { newAgent, newVisitor, type Frame, type TestClient } from '../../src/testing/client.js';
import { TEST_ADMIN, addAgent, launch, openConsole, startConsoleServer, waitDeep, type AgentPage } from './harness.js';

/** The console's command timeout (shared/src/socket/reconnecting-socket.ts, `commandTimeoutMs`). */
const COMMAND_TIMEOUT_MS = 15_000;

let server: TestServer;
let browser: Browser;
let agent: AgentPage;
/** While true, the route drops every ack the server sends to the console. */
let dropAcks = false;
const droppedAcks: string[] = [];

async function routeAgentSocket(page: Page): Promise<void> {
  await page.clock.install();
  await page.routeWebSocket(/\/ws\/agent$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((message) => upstream.send(message));
    upstream.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { type: string; cid?: string };
      if (dropAcks && frame.type === 'ack') {
        droppedAcks.push(frame.cid ?? '');
        return;
      }
      ws.send(message);
    });
  });
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  agent = await openConsole(browser, server.url, { ...TEST_ADMIN, prepare: routeAgentSocket });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A visitor who asked for a person: the conversation waits in the queue. */
async function queuedConversation(): Promise<{ visitor: TestClient; conversationId: string }> {
  const { client } = await newVisitor(server.url);
  client.send({ type: 'handoff.request', cid: 'h1' });
  const ack = await client.next((f) => f.type === 'ack' && f.cid === 'h1');
  return { visitor: client, conversationId: ack.conversationId as string };
}

const agentTexts = (frames: Frame[], text: string) =>
  frames
    .filter((f) => f.type === 'message.created' && (f.message as { author: { type: string }; text: string }).author.type === 'agent')
    .filter((f) => (f.message as { text: string }).text === text);

describe('console: every command settles', () => {
  it('times out a reply whose ack never comes, keeps the text, and stores it once when it is sent again', async () => {
    const { page } = agent;
    const { visitor, conversationId } = await queuedConversation();
    await page.goto(`${server.url}/console/queue/${conversationId}`);
    const view = page.locator('servus-conversation');
    const composer = view.locator('servus-composer');
    const box = composer.locator('textarea');
    const send = composer.locator('[data-send]');
    const text = 'Ihr Paket ist unterwegs.';

    dropAcks = true;
    await box.fill(text);
    await send.click();
    // The server stored it (the visitor and the console's transcript get it); only the ack is lost.
    await visitor.next((f) => agentTexts([f], text).length === 1);
    await waitDeep(page, '.msg[data-author=agent] .text', text);
    await expect.poll(() => droppedAcks.length).toBe(1);
    expect(await send.isDisabled()).toBe(true);
    expect(await composer.locator('.error').textContent()).toBe('');

    await page.clock.fastForward(COMMAND_TIMEOUT_MS);
    await expect
      .poll(() => composer.locator('.error').textContent())
      .toBe('The server did not confirm this in time. Check the connection and try again.');
    expect(await box.inputValue()).toBe(text);
    expect(await send.isDisabled()).toBe(false);

    // Sent again: the same cid, so the server answers with the first ack and stores nothing new.
    dropAcks = false;
    await send.click();
    await expect.poll(() => box.inputValue()).toBe('');
    expect(await composer.locator('.error').textContent()).toBe('');
    const conv = (await (
      await fetch(`${server.url}/api/conversations/${conversationId}/events?after=0`, { headers: { cookie: await cookieOf(page) } })
    ).json()) as { events: Frame[] };
    expect(agentTexts(conv.events, text)).toHaveLength(1);
    expect(await view.locator('.msg[data-author=agent] .text', { hasText: text }).count()).toBe(1);
    visitor.close();
  });

  it('settles a reply at once with the error frame of its cid and keeps the text', async () => {
    const { page } = agent;
    await addAgent(server, { name: 'Bea', email: 'bea@example.com', password: 'bea-password-1' });
    const other = await newAgent(server.url, 'bea@example.com', 'bea-password-1');
    const { visitor, conversationId } = await queuedConversation();
    other.client.send({ type: 'conversation.claim', cid: 'k1', conversationId });
    await other.client.next((f) => f.type === 'ack' && f.cid === 'k1');

    await page.goto(`${server.url}/console/all/${conversationId}`);
    const composer = page.locator('servus-conversation servus-composer');
    const box = composer.locator('textarea');
    await box.fill('Ich übernehme.');
    await composer.locator('[data-send]').click();
    // No clock advance: the CONFLICT error frame with the cid settles it.
    await expect.poll(() => composer.locator('.error').textContent()).toBe('Another agent has this conversation.');
    expect(await box.inputValue()).toBe('Ich übernehme.');
    expect(await composer.locator('[data-send]').isDisabled()).toBe(false);
    other.client.close();
    visitor.close();
  });
});

async function cookieOf(page: Page): Promise<string> {
  const cookies = await page.context().cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}
