// The console's Integrations section in Chromium: an admin creates an API token (the secret shown
// once works against the REST API), revokes it (refused at once), subscribes a real local receiver to
// an event, sends a signed test, sees a real delivery in the log, and disables the webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { newVisitor } from '../../src/testing/client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/testing/webhook-receiver.js';
import { TEST_ADMIN, addAgent, launch, openConsole, startConsoleServer, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let admin: AgentPage;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  [server, browser] = await Promise.all([startConsoleServer({ webhookAllowAddresses: '127.0.0.1' }), launch()]);
  admin = await openConsole(browser, server.url, TEST_ADMIN);
  admin.page.on('dialog', (d) => void d.accept());
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await receiver?.close();
});

describe('console: integrations', () => {
  it('creates a token shown once, which opens the REST API until it is revoked', async () => {
    const { page } = admin;
    await page.locator('nav [data-nav=integrations]').click();
    const section = page.locator('servus-integrations [data-section=tokens]');
    await section.locator('input[name=name]').fill('CRM sync');
    await section.locator('input[value="conversations:read"]').check();
    await section.locator('button[type=submit]').click();
    const secret = (await page.locator('servus-integrations [data-secret=token] code').textContent())!.trim();
    expect(secret).toMatch(/^svs_/);
    const call = () => fetch(`${server.url}/api/v1/conversations`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await call()).status).toBe(200);
    const row = section.locator('[data-token="CRM sync"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('conversations:read');
    await row.locator('[data-revoke]').click();
    await section.locator('[data-token="CRM sync"].revoked').waitFor();
    expect((await call()).status).toBe(401);
    // The login page's /api/auth/me before signing in is the one expected 401.
    expect(admin.errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
  });

  it('subscribes a webhook, sends a signed test, logs a real delivery, and disables it', async () => {
    const { page } = admin;
    const section = page.locator('servus-integrations [data-section=webhooks]');
    await section.locator('input[name=url]').fill(receiver.url);
    // No event chosen: the server's refusal is said at the events, not as the path `events`.
    await section.locator('button[type=submit]').click();
    const noEvents = section.locator('.checks .field-error');
    await noEvents.waitFor();
    expect(await noEvents.textContent()).toBe('Choose at least 1.');
    expect(await page.locator('servus-integrations [role=alert]').textContent()).toBe('Please correct the marked fields.');
    await section.locator('input[value="message.created.visitor"]').check();
    // Choosing one takes the message away.
    expect(await noEvents.count()).toBe(0);
    await section.locator('button[type=submit]').click();
    const secret = (await page.locator('servus-integrations [data-secret=webhook] code').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    const hook = section.locator(`[data-webhook="${receiver.url}"]`);
    await hook.waitFor();

    await hook.locator('[data-test]').click();
    await hook.locator('[data-test-result]', { hasText: 'HTTP 200' }).waitFor();
    const test = await receiver.waitFor((r) => r.json.event === 'webhook.test');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(test.headers['servus-signature'] as string)!;
    expect(createHmac('sha256', secret).update(`${t}.${test.body}`).digest('hex')).toBe(v1);

    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'Hello from the widget' });
    await receiver.waitFor((r) => r.json.event === 'message.created.visitor');
    await hook.locator('[data-log]').click();
    const delivered = hook.locator('[data-deliveries] [data-delivery=delivered]');
    await delivered.waitFor();
    expect(await delivered.textContent()).toContain('message.created.visitor');

    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/integrations.png`, fullPage: true });
    await hook.locator('[data-toggle]').click();
    await hook.locator('[data-state]', { hasText: 'disabled' }).waitFor();
    visitor.client.close();
    // The login page's /api/auth/me before signing in is the one expected 401; the refused webhook the one 400.
    expect(admin.errors.filter((e) => !e.includes('status of 401') && !e.includes('status of 400'))).toEqual([]);
  });

  it('is not offered to agents, and its routes refuse them', async () => {
    await addAgent(server, { name: 'Ava', email: 'ava@example.com', password: 'ava-password-1' });
    const agent = await openConsole(browser, server.url, { email: 'ava@example.com', password: 'ava-password-1' });
    expect(await agent.page.locator('nav [data-nav=integrations]').count()).toBe(0);
    const status = await agent.page.evaluate(async () => (await fetch('/api/tokens')).status);
    expect(status).toBe(403);
    await agent.context.close();
  });
});
