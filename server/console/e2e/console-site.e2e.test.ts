// Settings → Website in Chromium: the admin changes the widget's colour, German greeting and
// service-level target, saves once and the widget's config follows; an invalid opening time and an
// origin with a path are refused, each said in words at its field, and change nothing; the embed snippet names the
// site; with a second site a select switches between them. An agent who is not an admin sees the
// snippet and a read-only summary (server text as text), no form and no secret. An admin adds a
// website from the form (a taken key is refused with the server's message), and a visitor of the new
// site reaches that admin's queue without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login, newVisitor } from '../../src/testing/client.js';
import { TEST_ADMIN, launch, openConsole, startConsoleServer, waitDeep, type AgentPage } from './harness.js';

let server: TestServer;
let browser: Browser;
let admin: AgentPage;
beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launch()]);
  admin = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'de' });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const stored = async (key = 'demo') => {
  const row = await server.database.db.selectFrom('sites').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
  return { name: row.name, secret: row.secret, settings: JSON.parse(row.settings) as Record<string, unknown> };
};

const widgetConfig = async (key = 'demo') => {
  const res = await fetch(`${server.url}/api/widget/config?site=${key}`);
  expect(res.status).toBe(200);
  return (
    (await res.json()) as { site: { color: string; greeting: { de: string; en: string }; title: { de: string }; launcherOffset: unknown } }
  ).site;
};

/** All the text an element renders (its shadow root's; the host's own textContent is empty). */
const shownText = (el: Locator) => el.evaluate((host) => host.shadowRoot?.textContent ?? '');

/** A payload that would run if any server text were rendered as HTML. */
const MARKUP = '<img src=x onerror="window.__siteXss=1">Hallo';

describe('console: website settings', () => {
  it('lets an admin change colour, greeting, service level and the launcher’s offsets with one save, refuses bad hours, and switch sites', async () => {
    const { page, context } = admin;
    await page.locator('nav [data-nav=settings]').click();
    const site = page.locator('servus-site-settings');
    const form = site.locator('form[data-site-form]');
    await form.waitFor();
    expect(await form.locator('input[name=name]').inputValue()).toBe('Servus Shop');
    // One site: no select.
    expect(await site.locator('[data-site-select]').count()).toBe(0);

    // The snippet, and Copy puts exactly it on the clipboard.
    const snippet = (await site.locator('[data-snippet]').textContent()) ?? '';
    expect(snippet).toBe(`<script src="${server.url}/widget.js" data-site="demo" async></script>`);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await site.locator('[data-copy]').click();
    await site.locator('[role=status]', { hasText: 'Kopiert.' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);

    // The secret stays hidden until asked for.
    const { secret } = await stored();
    expect(await site.locator('[data-secret]').count()).toBe(0);
    expect(await shownText(site)).not.toContain(secret);
    await site.locator('[data-secret-toggle]').click();
    expect(await site.locator('[data-secret]').textContent()).toBe(secret);

    const before = await stored();
    // The picker writes the hex text, which is what is saved.
    await form.locator('input[type=color]').fill('#aa3300');
    expect(await form.locator('input[name=color]').inputValue()).toBe('#aa3300');
    await form.locator('textarea[name=greetingDe]').fill('Grüß Gott! Was dürfen wir tun?');
    await form.locator('textarea[name=greetingEn]').fill(MARKUP);
    await form.locator('input[name=serviceLevel]').fill('120');
    // The launcher's place: above a fixed footer on desktops and phones (only the filled fields are sent).
    await form.locator('input[name=offset-y]').fill('72');
    await form.locator('input[name=offset-mobileY]').fill('80');
    await form.locator('button[type=submit]').click();
    await site.locator('[data-site-saved]', { hasText: 'Gespeichert.' }).waitFor();
    expect(await site.locator('[data-site-error]').count()).toBe(0);

    const config = await widgetConfig();
    expect(config.color).toBe('#aa3300');
    expect(config.greeting).toEqual({ de: 'Grüß Gott! Was dürfen wir tun?', en: MARKUP });
    expect(config.title.de).toBe('Servus Shop');
    expect(config.launcherOffset).toEqual({ y: 72, mobileY: 80 });
    const after = await stored();
    expect(after.settings).toMatchObject({
      color: '#aa3300',
      serviceLevel: { firstResponseSeconds: 120 },
      launcherOffset: { y: 72, mobileY: 80 },
      // Untouched fields and the proactive rules (their own endpoint) stay.
      title: before.settings.title,
      ratings: before.settings.ratings,
      botName: before.settings.botName,
      proactive: before.settings.proactive,
    });
    // Empty fields were sent as null: nothing appears that was not set before.
    expect(after.settings).not.toHaveProperty('businessHours');
    expect(after.settings).not.toHaveProperty('allowedOrigins');
    expect(after.settings).not.toHaveProperty('notifyEmails');

    // An impossible opening time and an origin with a path: each problem in words, in German, at
    // its field (not the API's path above the form); nothing changes, also not the colour changed
    // in the same submit.
    await form.locator('input[name=color]').fill('#123456');
    await form.locator('input[name=timeZone]').fill('Europe/Vienna');
    await form.locator('input[name=day-mon]').fill('25:00-26:00');
    await form.locator('textarea[name=allowedOrigins]').fill('https://shop.example\nhttps://shop.example/kasse');
    await form.locator('button[type=submit]').click();
    const error = site.locator('[data-site-error]');
    await error.waitFor();
    expect(await error.textContent()).toBe('Bitte korrigieren Sie die markierten Felder.');
    const messageAt = (name: string) => form.locator('label', { has: page.locator(`[name="${name}"]`) }).locator('.field-error');
    expect(await messageAt('day-mon').textContent()).toBe('Zeiten wie 09:00-12:00, 13:00-17:30, jeweils mit dem Ende nach dem Beginn.');
    expect(await messageAt('allowedOrigins').textContent()).toBe('Zeile 2: Muss ein Origin wie https://shop.example sein (ohne Pfad).');
    expect(await form.locator('.field-error').count()).toBe(2);
    expect(await form.locator('textarea[name=allowedOrigins]').getAttribute('aria-invalid')).toBe('true');
    // Next to the field: right under the textarea, in the same column.
    const field = (await form.locator('textarea[name=allowedOrigins]').boundingBox())!;
    const message = (await messageAt('allowedOrigins').boundingBox())!;
    expect(message.y).toBeGreaterThanOrEqual(field.y + field.height - 1);
    expect(message.y - (field.y + field.height)).toBeLessThan(12);
    expect(Math.abs(message.x - field.x)).toBeLessThan(2);
    expect(await site.locator('[data-site-saved]').count()).toBe(0);
    expect(await stored()).toEqual(after);
    expect((await widgetConfig()).color).toBe('#aa3300');

    // Valid hours save (the messages go), and an empty hours form removes them again.
    await form.locator('textarea[name=allowedOrigins]').fill('');
    await form.locator('input[name=day-mon]').fill('09:00-12:00, 13:00-17:30');
    await form.locator('input[name=color]').fill('#aa3300');
    await form.locator('button[type=submit]').click();
    await expect
      .poll(async () => (await stored()).settings.businessHours)
      .toEqual({ timeZone: 'Europe/Vienna', weekly: { mon: ['09:00-12:00', '13:00-17:30'] } });
    await site.locator('[data-site-saved]').waitFor();
    expect(await form.locator('.field-error').count()).toBe(0);
    await form.locator('input[name=timeZone]').fill('');
    await form.locator('input[name=day-mon]').fill('');
    await form.locator('button[type=submit]').click();
    await expect.poll(stored).toEqual(after);
    await site.locator('[data-site-saved]').waitFor();

    // A second site: after a reload the select appears and switches snippet and form.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await fetch(`${server.url}/api/sites`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'zweiter-shop', name: 'Zweiter Shop' }),
    });
    expect(created.status).toBe(201);
    await page.reload();
    await page.locator('nav [data-nav=settings]').click();
    const select = site.locator('[data-site-select]');
    await select.waitFor();
    await form.waitFor();
    await select.selectOption('zweiter-shop');
    await expect.poll(() => site.locator('[data-snippet]').textContent()).toContain('data-site="zweiter-shop"');
    await expect.poll(() => form.locator('input[name=name]').inputValue()).toBe('Zweiter Shop');
    expect(await form.locator('input[name=color]').inputValue()).toBe('');
    expect(await page.evaluate(() => (window as { __siteXss?: number }).__siteXss)).toBeUndefined();
  });

  it('shows an agent who is not an admin the snippet and a summary, no form and no secret', async () => {
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const res = await fetch(`${server.url}/api/agents`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Erna', email: 'erna@example.com', password: 'erna-password-1', role: 'agent' }),
    });
    expect(res.status).toBe(201);
    const erna = await openConsole(browser, server.url, { email: 'erna@example.com', password: 'erna-password-1', lang: 'en' });
    await erna.page.locator('nav [data-nav=settings]').click();
    const site = erna.page.locator('servus-site-settings');
    const summary = site.locator('[data-site-summary]');
    await summary.waitFor();
    expect(await site.locator('[data-snippet]').textContent()).toContain('data-site="demo"');
    expect(await site.locator('form').count()).toBe(0);
    expect(await site.locator('[data-secret-toggle]').count()).toBe(0);
    expect(await shownText(site)).not.toContain((await stored()).secret);
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain('#aa3300');
    expect(text).toContain('120 s');
    // Server text is text: the markup is visible and nothing of it became an element.
    expect(text).toContain(MARKUP);
    expect(await site.locator('img').count()).toBe(0);
    expect(await erna.page.evaluate(() => (window as { __siteXss?: number }).__siteXss)).toBeUndefined();
    expect(await shownText(site)).toContain('Only admins can change the website settings.');
    // No failed request (a 403 from an admin-only call) and no page error; the 401 is the console's
    // session check before the login.
    expect(erna.errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
    await erna.context.close();
  });

  it('lets an admin add a website from the form, refuses a taken key, and queues its visitors live', async () => {
    // Its own console page, opened before the site exists: nothing here depends on the tests above,
    // and the live socket starts with the sites the admin had then.
    const own = await openConsole(browser, server.url, { ...TEST_ADMIN, lang: 'de' });
    const { page } = own;
    try {
      await page.locator('nav [data-nav=settings]').click();
      const site = page.locator('servus-site-settings');
      const create = site.locator('form[data-site-create]');
      await create.waitFor();
      expect(await create.textContent()).toContain('2 bis 63 Kleinbuchstaben, Ziffern und -');
      expect(await site.locator('[data-site-select] option[value="second-shop"]').count()).toBe(0);

      await create.locator('input[name=key]').fill('second-shop');
      await create.locator('input[name=name]').fill('Zweiter Shop');
      await create.locator('button[type=submit]').click();
      await create.locator('[data-create-ok]', { hasText: 'Website hinzugefügt' }).waitFor();
      expect(await create.locator('[data-create-error]').count()).toBe(0);
      const row = await stored('second-shop');
      expect(row).toMatchObject({ name: 'Zweiter Shop', settings: {} });

      // The new site is selected: its snippet and its form show, and the select lists it.
      await expect
        .poll(() => site.locator('[data-snippet]').textContent())
        .toBe(`<script src="${server.url}/widget.js" data-site="second-shop" async></script>`);
      const form = site.locator('form[data-site-form]');
      await expect.poll(() => form.locator('input[name=name]').inputValue()).toBe('Zweiter Shop');
      await expect.poll(() => site.locator('[data-site-select]').inputValue()).toBe('second-shop');
      expect(await create.locator('input[name=key]').inputValue()).toBe('');

      // The same key again: the server's conflict message, and the site stays as it was.
      await create.locator('input[name=key]').fill('second-shop');
      await create.locator('input[name=name]').fill('Noch ein Shop');
      await create.locator('button[type=submit]').click();
      const error = create.locator('[data-create-error]');
      await error.waitFor();
      expect(await error.textContent()).toBe('A site with the key second-shop exists already.');
      expect(await create.locator('[data-create-ok]').count()).toBe(0);
      expect(await stored('second-shop')).toEqual(row);

      // A visitor of the new site asks for a person: the admin's queue shows it without a reload
      // (the console reconnected its live socket after creating the site).
      const v = await newVisitor(server.url, 'second-shop');
      v.client.send({ type: 'handoff.request', cid: 'h1' });
      const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'h1');
      const conversationId = ack.conversationId as string;
      expect(conversationId).toBeTruthy();
      await page.locator('nav [data-nav=queue]').click();
      await waitDeep(page, `li[data-id="${conversationId}"]`);
      expect(own.errors.filter((e) => !e.includes('status of 401') && !e.includes('status of 409'))).toEqual([]);
    } finally {
      await own.context.close();
    }
  });
});
