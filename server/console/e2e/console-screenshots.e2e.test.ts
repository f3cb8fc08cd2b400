// Screenshots for the README and docs (docs/screenshots/console-*.png, console-phone-*.png and
// widget-{desktop,mobile}-{de,en}.png), taken from the real console and the real widget on two
// weeks of seeded demo data plus three visitors waiting live. Runs only with SCREENSHOTS=1, as
// `npm run screenshots` (scripts/screenshots.mjs) does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../../src/testing/in-process.js';
import { login } from '../../src/testing/client.js';
import { seedDemo } from '../../src/seed-demo.js';
import { ensureBuilt } from '../../../widget/e2e/dist.js';
import { PHONE, TEST_ADMIN, launch, openConsole, startConsoleServer, visitorWithUserAgent } from './harness.js';

const enabled = process.env.SCREENSHOTS === '1';
const out = (name: string) => fileURLToPath(new URL(`../../../docs/screenshots/${name}`, import.meta.url));

let dir: string;
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!enabled) return;
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'servus-shots-'));
  const env = { DATA_DIR: dir, ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password };
  Object.assign(process.env, env);
  try {
    await seedDemo({ days: 14, perDay: 10, log: () => {} });
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
  [server, browser] = await Promise.all([startConsoleServer({ dataDir: dir }), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Lets fonts, images and the last render land before a screenshot. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
}

const UA = {
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  win: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
};

async function waitingVisitor(opts: {
  ua: string;
  name?: string;
  lang: 'de' | 'en';
  url: string;
  title: string;
  referrer: string;
  texts: string[];
}) {
  const v = await visitorWithUserAgent(server.url, opts.ua);
  v.send({
    type: 'visitor.hello',
    context: { url: opts.url, title: opts.title, referrer: opts.referrer, lang: opts.lang, timezone: 'Europe/Vienna' },
  });
  await v.next((f) => f.type === 'welcome');
  if (opts.name) {
    v.send({ type: 'visitor.profile', cid: 'p', name: opts.name, email: `${opts.name.split(' ')[0]!.toLowerCase()}@example.com` });
    await v.next((f) => f.cid === 'p');
  }
  let n = 0;
  for (const text of opts.texts) {
    v.send({ type: 'message.send', cid: `m${n++}`, text });
    await v.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot' && (f.seq as number) > n,
    );
  }
  v.send({ type: 'handoff.request', cid: 'h' });
  const h = await v.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
  return { v, id: h.conversationId as string };
}

describe.runIf(enabled)('console screenshots', () => {
  it('captures the queue, a conversation, the FAQ editor, settings and the German UI', async () => {
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { cookie, origin: server.url, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await post('/api/canned', { shortcut: 'hallo', text: 'Hallo {{visitor.name}}, danke für Ihre Nachricht! Ich sehe mir das gleich an.' });
    await post('/api/canned', { shortcut: 'retoure', text: 'Sie können Ihre Bestellung innerhalb von 30 Tagen kostenlos zurücksenden.' });

    const first = await waitingVisitor({
      ua: UA.mac,
      name: 'Eva Berger',
      lang: 'de',
      url: 'https://servus-shop.example/bestellung/48213',
      title: 'Bestellung #48213 – Servus Shop',
      referrer: 'https://www.google.com/',
      texts: ['Wo ist mein Paket? Bestellung 48213', 'Das hilft mir nicht, die Sendung hängt seit 5 Tagen'],
    });
    const second = await waitingVisitor({
      ua: UA.win,
      name: 'Jonas Keller',
      lang: 'de',
      url: 'https://servus-shop.example/produkte/wanderschuh-alpin',
      title: 'Wanderschuh Alpin – Servus Shop',
      referrer: 'https://www.bergfreunde-forum.example/thread/812',
      texts: ['Fällt der Wanderschuh Alpin eher klein aus?'],
    });
    const third = await waitingVisitor({
      ua: UA.iphone,
      lang: 'en',
      url: 'https://servus-shop.example/en/checkout',
      title: 'Checkout – Servus Shop',
      referrer: '',
      texts: ['Can I pay with PayPal?'],
    });

    const agent = await openConsole(browser, server.url, TEST_ADMIN);
    const { page } = agent;
    await page.locator(`servus-conversation-list li[data-id="${first.id}"]`).waitFor();
    await page.locator(`servus-conversation-list li[data-id="${second.id}"]`).click();
    await page.locator('servus-conversation .msg[data-author=bot]').first().waitFor();
    await page.locator('servus-visitor-panel [data-ctx=ua]').waitFor();
    await page.waitForTimeout(400);
    await page.screenshot({ path: out('console-queue.png') });

    // A conversation in progress: taken, answered with a canned response, a note, a label.
    await page.locator(`servus-conversation-list li[data-id="${first.id}"]`).click();
    const view = page.locator('servus-conversation');
    await view.locator('[data-action=claim]').click();
    await view.locator('[data-conv-status=assigned]').waitFor();
    const box = view.locator('servus-composer textarea');
    await box.pressSequentially('/hal');
    await box.press('Tab');
    await box.press('Enter');
    first.v.send({ type: 'message.send', cid: 'x1', text: 'Danke! Die Sendungsnummer ist AT4821300' });
    await view.locator('.msg[data-author=visitor] .text', { hasText: 'AT4821300' }).waitFor();
    await view.locator('servus-composer [data-mode=note]').click();
    await box.fill('Sendung hängt im Verteilzentrum Wien – bei der Post nachgefragt.');
    await box.press('Enter');
    await view.locator('.msg.note').waitFor();
    await view.locator('servus-composer [data-mode=reply]').click();
    const label = view.locator('servus-visitor-panel input.add');
    await label.fill('versand');
    await label.press('Enter');
    await label.fill('vip');
    await label.press('Enter');
    await view.locator('servus-visitor-panel [data-label=vip]').waitFor();
    first.v.send({ type: 'typing.update', conversationId: first.id, active: true });
    await view.locator('[data-typing]').waitFor();
    await box.fill('Ich habe bei der Post nachgefragt: Ihr Paket wird morgen zugestellt.');
    await page.waitForTimeout(300);
    await page.screenshot({ path: out('console-conversation.png') });

    // The canned response picker.
    await box.fill('');
    await box.pressSequentially('/');
    await view.locator('servus-composer .canned li').first().waitFor();
    // The picker opens above the reply box: capture both.
    const box2 = (await view.locator('servus-composer').boundingBox())!;
    await page.screenshot({
      path: out('console-canned.png'),
      clip: { x: box2.x, y: box2.y - 110, width: box2.width, height: box2.height + 110 },
    });
    await box.fill('');

    // The same console on a phone: the queue, a conversation on its own, the visitor's sheet, the menu.
    const phone = await openConsole(browser, server.url, { ...TEST_ADMIN, device: PHONE });
    const p = phone.page;
    const row = p.locator(`servus-conversation-list li[data-id="${second.id}"]`);
    await row.waitFor();
    await settle(p);
    await p.screenshot({ path: out('console-phone-queue.png') });
    await row.tap();
    const pv = p.locator('servus-conversation');
    await pv.locator('[data-action=claim]').tap();
    await pv.locator('[data-conv-status=assigned]').waitFor();
    const phoneBox = pv.locator('servus-composer textarea');
    await phoneBox.fill('Er fällt normal aus: nehmen Sie Ihre gewohnte Größe. Bei breiten Füßen eine halbe Nummer größer.');
    await phoneBox.press('Enter');
    second.v.send({ type: 'message.send', cid: 'x2', text: 'Super, danke! Dann bestelle ich 43.' });
    await pv.locator('.msg[data-author=visitor] .text', { hasText: 'bestelle ich 43' }).waitFor();
    await settle(p);
    await p.screenshot({ path: out('console-phone-conversation.png') });
    await pv.locator('[data-action=context]').tap();
    await pv.locator('.context servus-visitor-panel [data-ctx=ua]').waitFor();
    await settle(p);
    await p.screenshot({ path: out('console-phone-visitor.png') });
    await pv.locator('.context .sheet-head button').tap();
    await p.locator('servus-conversation [data-back]').tap();
    await p.locator('nav [data-menu]').tap();
    await p.locator('nav [data-nav=settings]').waitFor();
    await settle(p);
    await p.screenshot({ path: out('console-phone-menu.png') });
    expect(phone.errors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
    await phone.context.close();

    // "All" with search.
    await page.locator('nav [data-nav=all]').click();
    await page.locator('servus-conversation-list li').nth(5).waitFor();
    await page.locator('servus-conversation-list li').nth(2).click();
    await page.locator('servus-conversation .msg').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: out('console-all.png') });

    // FAQ editor: a test question and the questions the bot could not answer.
    await page.locator('nav [data-nav=faq]').click();
    await page.locator('servus-faq-editor [data-entry]').first().waitFor();
    await page.locator('servus-faq-editor #try').fill('Kann ich mit PayPal zahlen?');
    await page.locator('servus-faq-editor form.try button').click();
    await page.locator('servus-faq-editor [data-bot-test]').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: out('console-faq.png') });
    await page.locator('servus-faq-editor [data-entry]').nth(1).click();
    await page.locator('servus-faq-editor [data-faq-form]').waitFor();
    await page.screenshot({ path: out('console-faq-edit.png') });

    await page.locator('nav [data-nav=settings]').click();
    await page.locator('servus-settings tr[data-agent]').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: out('console-settings.png') });

    await page.locator('nav [data-nav=queue]').click();
    await page.keyboard.press('?');
    await page.locator('servus-shortcuts .sheet').waitFor();
    await page.screenshot({ path: out('console-shortcuts.png') });
    await page.keyboard.press('Escape');

    // German UI.
    await page.locator('nav .me button', { hasText: 'DE' }).click();
    await page.locator(`servus-conversation-list li[data-id="${third.id}"]`).click();
    await page.locator('servus-conversation .msg[data-author=bot]').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: out('console-de.png') });

    // Login page.
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 860 }, locale: 'de-DE' });
    const loginPage = await fresh.newPage();
    await loginPage.goto(`${server.url}/console`);
    await loginPage.locator('servus-login form').waitFor();
    await loginPage.screenshot({ path: out('console-login.png') });
    await fresh.close();

    expect(agent.errors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
    for (const v of [first, second, third]) v.v.close();
  }, 180_000);

  it('captures the widget on a desktop page and on a phone, in German and English', async () => {
    // The demo seed greets proactively after 20 s: not in these pictures.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const res = await fetch(`${server.url}/api/sites/demo/proactive`, {
      method: 'PUT',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [] }),
    });
    expect(res.status).toBe(200);
    const shots = [
      {
        name: 'widget-desktop-en.png',
        lang: 'en',
        ask: 'How long does shipping take?',
        device: { viewport: { width: 1280, height: 800 } },
      },
      {
        name: 'widget-desktop-de.png',
        lang: 'de',
        ask: 'Wie lange dauert der Versand?',
        device: { viewport: { width: 1280, height: 800 } },
      },
      { name: 'widget-mobile-en.png', lang: 'en', ask: 'How much is shipping?', device: PHONE },
      { name: 'widget-mobile-de.png', lang: 'de', ask: 'Was kostet der Versand?', device: PHONE },
    ] as const;
    for (const shot of shots) {
      const context = await browser.newContext({ ...shot.device, locale: shot.lang === 'de' ? 'de-DE' : 'en-US' });
      const page = await context.newPage();
      await page.goto(`${server.url}/demo?lang=${shot.lang}`);
      const widget = page.locator('servus-chat');
      await widget.locator('.launcher').click();
      const input = widget.locator('#sv-input');
      await input.waitFor({ timeout: 15_000 });
      const answers = widget.locator('.group.bot .bubble');
      const before = await answers.count();
      await input.fill(shot.ask);
      await input.press('Enter');
      await expect.poll(() => answers.count(), { timeout: 15_000 }).toBeGreaterThan(before);
      await widget.locator('.chip').nth(1).waitFor({ timeout: 15_000 });
      await widget.locator('.panel').evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
      await settle(page);
      await page.screenshot({ path: out(shot.name) });
      await context.close();
    }
  }, 180_000);
});
