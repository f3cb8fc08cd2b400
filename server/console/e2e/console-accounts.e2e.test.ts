// Agent accounts in the console (issue 17 point 11): an admin edits an agent (name, capacity, role,
// deactivation) in Settings; a new role or a deactivation logs the agent out of their open console
// at once; an agent edits their own profile (the name visitors read, initials, the console's language).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { TEST_ADMIN, addAgent, launch, openConsole, startConsoleServer } from './harness.js';

let browser: Browser;
let server: TestServer;
beforeAll(async () => {
  browser = await launch();
  server = await startConsoleServer();
  await addAgent(server, { name: 'Bea', email: 'bea@example.com', password: 'bea-password-1' });
});
afterAll(async () => {
  await server?.close();
  await browser?.close();
});

const settings = (page: Page) => page.locator('servus-settings');
const row = (page: Page, email: string) => settings(page).locator(`tr[data-agent="${email}"]`);
const bea = () => server.database.db.selectFrom('agents').selectAll().where('email', '=', 'bea@example.com').executeTakeFirstOrThrow();

async function editBea(page: Page, fill: (form: ReturnType<Page['locator']>) => Promise<void>) {
  await row(page, 'bea@example.com').locator('[data-action=edit]').click();
  const form = settings(page).locator('tr[data-edit="bea@example.com"] form');
  await fill(form);
  await form.locator('button[type=submit]').click();
  await form.waitFor({ state: 'detached' });
}

describe('agent accounts in the console', () => {
  it('lets an admin rename an agent, change their capacity and role, and deactivate them; a new role logs them out at once', async () => {
    const admin = await openConsole(browser, server.url, TEST_ADMIN);
    await admin.page.locator('nav [data-nav=settings]').click();
    await row(admin.page, 'bea@example.com').waitFor();

    await editBea(admin.page, async (form) => {
      await form.locator('input[name=name]').fill('Bea Berger');
      await form.locator('input[name=capacity]').fill('5');
    });
    await expect.poll(async () => (await bea()).name).toBe('Bea Berger');
    expect((await bea()).capacity).toBe(5);
    await expect.poll(() => row(admin.page, 'bea@example.com').locator('td').first().innerText()).toContain('Bea Berger');

    // Bea works in her console; the admin makes her an admin: her console is logged out.
    const beaConsole = await openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1' });
    await editBea(admin.page, async (form) => {
      await form.locator('select[name=role]').selectOption('admin');
    });
    await beaConsole.page.locator('servus-login input[name=email]').waitFor({ timeout: 5000 });
    expect((await bea()).role).toBe('admin');

    // Deactivated: the row says so, and Bea cannot log in.
    await editBea(admin.page, (form) => form.locator('input[name=active]').uncheck());
    await expect.poll(() => row(admin.page, 'bea@example.com').innerText()).toContain('deactivated');
    await beaConsole.page.locator('servus-login input[name=email]').fill('bea@example.com');
    await beaConsole.page.locator('servus-login input[name=password]').fill('bea-password-1');
    await beaConsole.page.locator('servus-login button[type=submit]').click();
    await beaConsole.page.locator('servus-login [role=alert]').waitFor();
    await editBea(admin.page, (form) => form.locator('input[name=active]').check());
    await admin.context.close();
    await beaConsole.context.close();
  });

  it('lets an agent set the name visitors read, their initials and the console language', async () => {
    const me = await openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1' });
    await me.page.locator('nav [data-nav=settings]').click();
    const form = settings(me.page).locator('form.profile');
    await form.locator('input[name=name]').fill('Bea from Support');
    await form.locator('input[name=initials]').fill('bs');
    await form.locator('select[name=lang]').selectOption('de');
    await form.locator('button[type=submit]').click();
    // The console switches to German and shows the new name.
    await expect.poll(() => me.page.locator('nav [data-nav=settings]').innerText()).toContain('Einstellungen');
    await expect.poll(() => me.page.locator('servus-console .me .who').innerText()).toContain('Bea from Support');
    const row = await bea();
    expect(row).toMatchObject({ name: 'Bea from Support', initials: 'BS', lang: 'de' });
    // Another device opens in German too.
    const phone = await openConsole(browser, server.url, { email: 'bea@example.com', password: 'bea-password-1', lang: 'en' });
    await expect.poll(() => phone.page.locator('nav [data-nav=settings]').innerText()).toContain('Einstellungen');
    await me.context.close();
    await phone.context.close();
  });
});
