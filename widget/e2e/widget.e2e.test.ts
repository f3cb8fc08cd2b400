// The widget in real Chromium against the real server (a child process on a free port) and host
// pages on another origin: the bot, the queue, a live agent, reloads, going offline mid-send, every
// hostile host page, keyboard and axe, weight and speed on the host page, the rating screenshot.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../../server/src/testing/server-process.js';
import { login, newAgent, type TestClient } from '../../server/src/testing/client.js';
import { ensureBuilt, widgetRoot } from './dist.js';
import { FIXTURES, startFixtureServer } from './fixtures.js';
import { launchChromium } from '../../server/src/testing/browser.js';
import { signIdentityJwt } from '../../server/src/auth/identity-token.js';

// The rating screenshot in docs/ is rewritten only on request (SCREENSHOTS=1); otherwise it goes to a
// temporary folder, so that a test run does not change tracked files. The README's widget pictures
// come from `npm run screenshots` (server/console/e2e/console-screenshots.e2e.test.ts).
const shots = process.env.SCREENSHOTS ? join(widgetRoot, '..', 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'servus-shots-'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: ServerProcess;
let fixtures: { url: string; close(): Promise<void> };
let browser: Browser;
let cookie: string;

const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(server.url + path, {
    method: init.method ?? 'GET',
    headers: { cookie, origin: server.url, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : ((await res.json()) as unknown);
};

beforeAll(async () => {
  ensureBuilt();
  // No auto-assignment: a handoff waits in the queue until the test's agent answers.
  server = await startServerProcess({ env: { AUTO_ASSIGN: 'false' } });
  fixtures = await startFixtureServer(server.url);
  cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  // The demo seed greets proactively after 20 s; the tests set their own rules.
  await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [] } });
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await fixtures?.close();
  await server?.stop();
});

interface Opened {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

async function open(url: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

const widget = (page: Page) => page.locator('servus-chat');
const launcher = (page: Page) => widget(page).locator('.launcher');
const panel = (page: Page) => widget(page).locator('.panel');

async function openPanel(page: Page) {
  await launcher(page).click();
  await panel(page).waitFor();
  await widget(page).locator('#sv-input').waitFor();
  // Let the opening animation end before anything measures the panel.
  await panel(page).evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
}

async function ask(page: Page, text: string) {
  const input = widget(page).locator('#sv-input');
  await input.fill(text);
  await input.press('Enter');
  await widget(page).locator('.group.mine .bubble', { hasText: text }).last().waitFor();
}

/** The text of the last bot or agent bubble, once there is a new one. */
async function nextReply(page: Page, before: number, who = '.group.bot, .group.agent'): Promise<string> {
  const bubbles = widget(page).locator(`:is(${who}) .bubble`);
  await expect.poll(() => bubbles.count(), { timeout: 10_000 }).toBeGreaterThan(before);
  return (await bubbles.last().innerText()).trim();
}
const replies = (page: Page) => widget(page).locator(':is(.group.bot, .group.agent) .bubble').count();

/** Runs fn with the demo site's proactive rules set to `rules`, and removes them afterwards. */
async function withProactiveRules(rules: object[], fn: () => Promise<void>): Promise<void> {
  await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules } });
  try {
    await fn();
  } finally {
    await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [] } });
  }
}

describe('widget in Chromium', () => {
  it('costs the host page only widget.js before load and its config after; the app loads on hover; no layout shift, no long task', async () => {
    type Perf = {
      beforeLoad: string[];
      idle: string[];
      intent: string[];
      longTasks: number[];
      widgetScripts: { ms: number; src: string }[];
      shift: number;
    };
    const measure = async (): Promise<Perf> => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(() => {
        const w = window as unknown as { __perf: Pick<Perf, 'longTasks' | 'widgetScripts' | 'shift'> };
        w.__perf = { longTasks: [], widgetScripts: [], shift: 0 };
        new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__perf.longTasks.push(Math.round(e.duration)))).observe({
          type: 'longtask',
          buffered: true,
        });
        // Long animation frames name the scripts that ran in them: the widget's own share of any long task.
        type Loaf = PerformanceEntry & { scripts: { sourceURL: string; duration: number }[] };
        new PerformanceObserver((l) =>
          (l.getEntries() as Loaf[]).forEach((e) =>
            e.scripts
              .filter((s) => /\/widget(\.js|\/)/.test(s.sourceURL))
              .forEach((s) => w.__perf.widgetScripts.push({ ms: Math.round(s.duration), src: s.sourceURL.split('/').pop()! })),
          ),
        ).observe({ type: 'long-animation-frame', buffered: true });
        new PerformanceObserver((l) =>
          l.getEntries().forEach((e) => (w.__perf.shift += (e as PerformanceEntry & { value: number }).value)),
        ).observe({ type: 'layout-shift', buffered: true });
      });
      const page = await context.newPage();
      await page.goto(`${fixtures.url}/plain`);
      // After the load event the loader fetches the site's config, then nothing more while idle.
      await page.waitForFunction(() =>
        performance
          .getEntriesByType('resource')
          .some((r) => r.name.includes('/api/widget/config') && (r as PerformanceResourceTiming).responseEnd > 0),
      );
      await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 5000 })));
      // What the widget fetched from Servus (the host page's own favicon is not the widget's).
      const resources = () =>
        page.evaluate((servus) => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
            .filter((r) => new URL(r.name).origin === servus)
            .map((r) => ({ path: new URL(r.name).pathname, beforeLoad: r.startTime < nav.loadEventEnd }));
        }, new URL(server.url).origin);
      const idle = await resources();
      // First intent: the pointer on the launcher loads the app.
      await launcher(page).hover();
      await widget(page).locator('.app').waitFor({ state: 'attached' });
      const all = await resources();
      const perf = {
        beforeLoad: idle.filter((r) => r.beforeLoad).map((r) => r.path),
        idle: idle.filter((r) => !r.beforeLoad).map((r) => r.path),
        intent: all.slice(idle.length).map((r) => r.path),
        ...(await page.evaluate(() => (window as unknown as { __perf: Pick<Perf, 'longTasks' | 'widgetScripts' | 'shift'> }).__perf)),
      };
      await context.close();
      return perf;
    };
    // This machine is shared (load average often above 10 on 2 cores): a script that takes 3 ms
    // alone can take 50 when descheduled. Up to five page loads; the widget must stay under 50 ms
    // in at least one, and every run is printed.
    const runs: Perf[] = [];
    for (let i = 0; i < 5; i++) {
      const perf = await measure();
      runs.push(perf);
      expect(perf.beforeLoad).toEqual(['/widget.js']);
      expect(perf.idle).toEqual(['/api/widget/config']);
      expect(perf.intent.some((p) => /^\/widget\/app-/.test(p))).toBe(true);
      expect(perf.shift).toBe(0);
      if (perf.widgetScripts.every((s) => s.ms <= 50)) break;
    }
    for (const r of runs)
      console.log(
        `host page: long tasks ${JSON.stringify(r.longTasks)} ms; widget scripts inside long frames ${JSON.stringify(r.widgetScripts)}`,
      );
    expect(runs[runs.length - 1]!.widgetScripts.filter((s) => s.ms > 50)).toEqual([]);
  });

  it('loads the app by itself, without a click, only for a visitor with a conversation on this device', async () => {
    const { context, page, errors } = await open(`${server.url}/demo?lang=en`);
    await openPanel(page);
    await ask(page, 'How long does shipping take?');
    await nextReply(page, 1);
    // The next page of the same site: the app comes when idle, connects and counts unread answers.
    const next = await context.newPage();
    await next.goto(`${server.url}/demo?lang=en`);
    await widget(next).locator('.app').waitFor({ state: 'attached' });
    expect(await widget(next).locator('.panel').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('answers an FAQ question through the bot, in English, with quick replies', async () => {
    const { context, page, errors } = await open(`${server.url}/demo?lang=en`);
    await openPanel(page);
    await expect.poll(() => widget(page).locator('#sv-title').innerText()).toBe('Servus Shop');
    const before = await replies(page);
    await ask(page, 'How long does shipping take?');
    expect(await nextReply(page, before)).toMatch(/24 hours/);
    expect(await widget(page).locator('.group.bot strong').count()).toBeGreaterThan(0);
    await expect.poll(() => widget(page).locator('.chip').count()).toBeGreaterThan(1);
    await expect.poll(() => widget(page).locator('.group.mine .tick').last().getAttribute('class')).toMatch(/sent|read/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('answers in German on a German page and on a phone fills the screen', async () => {
    const { context, page } = await open(`${server.url}/demo?lang=de`);
    await openPanel(page);
    const before = await replies(page);
    await ask(page, 'Wie lange dauert der Versand?');
    expect(await nextReply(page, before)).toMatch(/24 Stunden/);
    expect(await widget(page).locator('.chip.person').innerText()).toBe('Mit einem Menschen sprechen');
    await context.close();

    for (const lang of ['de', 'en'] as const) {
      const phone = await open(`${server.url}/demo?lang=${lang}`, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      });
      await openPanel(phone.page);
      const n = await replies(phone.page);
      await ask(phone.page, lang === 'de' ? 'Was kostet der Versand?' : 'How much is shipping?');
      await nextReply(phone.page, n);
      const box = await panel(phone.page).boundingBox();
      expect(box).toEqual({ x: 0, y: 0, width: 390, height: 844 });
      // 16 px inputs: iOS does not zoom into the page on focus.
      expect(
        await widget(phone.page)
          .locator('#sv-input')
          .evaluate((el) => getComputedStyle(el).fontSize),
      ).toBe('16px');
      await phone.context.close();
    }
  });

  it('hands over to a person: queue position, a live agent reply, history after a reload, a rating at the end', async () => {
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    try {
      const { context, page, errors } = await open(`${server.url}/demo?lang=en`);
      await openPanel(page);
      await ask(page, 'Do you sell gift cards for climbing courses?');
      await widget(page).locator('.chip.person').click();
      await expect
        .poll(() => widget(page).locator('#sv-sub').innerText(), { timeout: 10_000 })
        .toMatch(/^Waiting: you are number 1, about \d+ minutes?$/);

      agent.client.send({ type: 'queue.subscribe' });
      const queued = await agent.client.next((f) => f.type === 'queue.snapshot');
      const conversationId = (queued.conversations as { id: string; status: string }[]).find((c) => c.status === 'queued')!.id;
      agent.client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
      agent.client.send({ type: 'typing.update', conversationId, active: true });
      await widget(page).locator('.typing').waitFor();
      // And the other way: the visitor typing shows up for the agent.
      await widget(page).locator('#sv-input').pressSequentially('One more', { delay: 20 });
      await agent.client.next((f) => f.type === 'typing' && f.conversationId === conversationId && f.active === true);
      await widget(page).locator('#sv-input').fill('');
      const before = await replies(page);
      agent.client.send({ type: 'message.send', cid: 'e2e-agent-1', conversationId, text: 'Hello, I am Anna. Yes, we do!' });
      expect(await nextReply(page, before)).toBe('Hello, I am Anna. Yes, we do!');
      await expect.poll(() => widget(page).locator('#sv-sub').innerText()).toMatch(/^You are chatting with /);
      expect(await widget(page).locator('.chip.person').count()).toBe(0);

      // The agent sees the visitor's read receipt; the visitor's message shows "read".
      await agent.client.next((f) => f.type === 'read' && f.conversationId === conversationId);

      await page.reload();
      await openPanel(page);
      await widget(page).locator('.bubble', { hasText: 'Hello, I am Anna' }).waitFor();
      expect(await widget(page).locator('.bubble', { hasText: 'gift cards' }).count()).toBe(1);

      agent.client.send({ type: 'conversation.resolve', cid: 'e2e-resolve-1', conversationId });
      await widget(page).locator('.rating').waitFor();
      await widget(page).locator('.rating .options button').nth(4).click();
      await widget(page).locator('.rating button[type=submit]').click();
      await widget(page).locator('.thanks').waitFor();
      const rated = await agent.client.next((f) => f.type === 'conversation.updated' && f.change === 'rated');
      expect(rated.rating).toMatchObject({ csat: 5 });
      await page.screenshot({ path: join(shots, 'widget-rating-en.png') });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      agent.client.close();
    }
  });

  it('continues a signed-in visitor’s open conversation on a second device, live, each message once', async () => {
    const { site } = (await api('/api/sites/demo/settings')) as { site: { secret: string } };
    // The site's login signs who the visitor is (HS256 with the site secret): the same person on two devices.
    const jwt = signIdentityJwt({ sub: 'e2e-two-devices', exp: Math.floor(Date.now() / 1000) + 3600, name: 'Vroni' }, site.secret);
    const identify = (page: Page) =>
      page.evaluate((token) => (window as unknown as { Servus: (c: string, u: unknown) => void }).Servus('identify', { jwt: token }), jwt);
    const bubbles = (page: Page, text: string) => widget(page).locator('.bubble', { hasText: text });
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    // Two browser contexts: two devices, nothing shared but the person's login.
    const phone = await open(`${server.url}/demo?lang=en`);
    const laptop = await open(`${server.url}/demo?lang=en`);
    try {
      await openPanel(phone.page);
      await identify(phone.page);
      await ask(phone.page, 'Where is my order 4711?');
      await openPanel(laptop.page);
      await identify(laptop.page);
      // The laptop shows the phone's open conversation once identified, and writes into it.
      await bubbles(laptop.page, 'Where is my order 4711?').waitFor();
      await ask(laptop.page, 'Any news on it?');
      await bubbles(phone.page, 'Any news on it?').waitFor();
      const conversationId = await laptop.page.evaluate(() => localStorage.getItem('servus:demo:conv'));
      expect(conversationId).toBe(await phone.page.evaluate(() => localStorage.getItem('servus:demo:conv')));
      // An agent's answer reaches both devices live.
      agent.client.send({ type: 'message.send', cid: 'e2e-two-devices-1', conversationId, text: 'Your order ships today.' });
      await bubbles(laptop.page, 'Your order ships today.').waitFor();
      await bubbles(phone.page, 'Your order ships today.').waitFor();
      // After a reload the laptop resumes it; every message shows once on each device.
      await laptop.page.reload();
      await openPanel(laptop.page);
      await bubbles(laptop.page, 'Your order ships today.').waitFor();
      for (const page of [phone.page, laptop.page]) {
        for (const text of ['Where is my order 4711?', 'Any news on it?', 'Your order ships today.'])
          expect(await bubbles(page, text).count()).toBe(1);
      }
      // A third device that is not signed in sees none of it.
      const stranger = await open(`${server.url}/demo?lang=en`);
      await openPanel(stranger.page);
      await ask(stranger.page, 'Hello?');
      expect(await bubbles(stranger.page, 'Where is my order 4711?').count()).toBe(0);
      expect([...phone.errors, ...laptop.errors, ...stranger.errors]).toEqual([]);
      await stranger.context.close();
    } finally {
      agent.client.close();
      await phone.context.close();
      await laptop.context.close();
    }
  });

  it('asks for name and email first when the site enables the pre-chat form', async () => {
    // The site's setting (Settings -> Website, or the sites API), restored afterwards.
    await api('/api/sites/demo/settings', {
      method: 'PATCH',
      body: { settings: { preChatForm: { enabled: true, fields: ['name', 'email'] } } },
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/demo?lang=de`);
      await launcher(page).click();
      const form = widget(page).locator('.pre form');
      await form.waitFor();
      expect(await widget(page).locator('#sv-input').count()).toBe(0);
      await form.locator('input[autocomplete=name]').fill('Vroni Huber');
      await form.locator('input[type=email]').fill('vroni@');
      await form.locator('button[type=submit]').click();
      expect(await form.locator('.error').innerText()).toBe('Bitte geben Sie eine gültige E-Mail-Adresse ein.');
      await form.locator('input[type=email]').fill('vroni@example.com');
      await form.locator('button[type=submit]').click();
      await widget(page).locator('#sv-input').waitFor();
      await ask(page, 'Wie lange dauert der Versand?');
      expect(await nextReply(page, 1)).toMatch(/24 Stunden/);
      const { conversations } = (await api('/api/conversations')) as { conversations: { id: string }[] };
      const details = await Promise.all(
        conversations.map(
          (c) =>
            api(`/api/conversations/${c.id}`) as Promise<{
              conversation?: { visitor?: { name?: string; email?: string } };
              visitor?: { name?: string };
            }>,
        ),
      );
      expect(JSON.stringify(details)).toContain('vroni@example.com');
    } finally {
      await context.close();
      await api('/api/sites/demo/settings', { method: 'PATCH', body: { settings: { preChatForm: null } } });
    }
  });

  it('offers the offline form when nobody can take the chat, and the team gets the message', async () => {
    const { context, page, errors } = await open(`${server.url}/demo?lang=en`);
    await openPanel(page);
    await ask(page, 'Can I order a custom boot size?');
    await widget(page).locator('.chip.person').click();
    // No agent is online: the place in the queue without a wait estimate, and the offline form.
    await expect.poll(() => widget(page).locator('#sv-sub').innerText(), { timeout: 10_000 }).toMatch(/^Waiting: you are number \d+$/);
    const form = widget(page).locator('form.card');
    // This server has no mail server (no SMTP_URL): the form promises an answer in the chat, not by email.
    const lead = await form.locator('p').first().innerText();
    expect(lead).toContain('in this chat');
    expect(lead).not.toMatch(/email/i);
    await form.locator('input[type=email]').fill('not-an-email');
    await form.locator('textarea').fill('Please call me back about size 49.');
    await form.locator('button[type=submit]').click();
    await form.locator('.error').waitFor();
    await form.locator('input[type=email]').fill('hiker@example.com');
    await form.locator('button[type=submit]').click();
    await widget(page).locator('.thanks').waitFor();
    expect(await widget(page).locator('.thanks').innerText()).toContain('in this chat');
    const { conversations } = (await api('/api/conversations')) as { conversations: { id: string }[] };
    let found = 0;
    for (const c of conversations) {
      const { events } = (await api(`/api/conversations/${c.id}/events?after=0`)) as {
        events: { type: string; message?: { text: string; offline?: { email: string } } }[];
      };
      found += events.filter((e) => e.message?.offline?.email === 'hiker@example.com').length;
    }
    expect(found).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('delivers a message sent while offline exactly once after the connection is back', async () => {
    const agent: { client: TestClient } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    try {
      const { context, page } = await open(`${server.url}/demo?lang=en`);
      await openPanel(page);
      const n = await replies(page);
      await ask(page, 'Hello there');
      await nextReply(page, n);

      await context.setOffline(true);
      await widget(page).locator('.banner').waitFor();
      const text = `Sent while offline ${Date.now()}`;
      await ask(page, text);
      expect(await widget(page).locator('.group.mine .tick').last().getAttribute('class')).toMatch(/sending/);
      await context.setOffline(false);
      await expect
        .poll(() => widget(page).locator('.group.mine .tick').last().getAttribute('class'), { timeout: 30_000 })
        .toMatch(/sent|read/);
      await widget(page).locator('.banner').waitFor({ state: 'detached' });

      const copiesOf = async (t: string) => {
        const { conversations } = (await api('/api/conversations')) as { conversations: { id: string }[] };
        let copies = 0;
        for (const c of conversations) {
          const { events } = (await api(`/api/conversations/${c.id}/events?after=0`)) as {
            events: { type: string; message?: { text: string } }[];
          };
          copies += events.filter((e) => e.type === 'message.created' && e.message?.text === t).length;
        }
        return copies;
      };
      expect(await copiesOf(text)).toBe(1);

      // The outbox survives the page: written offline, the tab closed, the site opened again later.
      await context.setOffline(true);
      await widget(page).locator('.banner').waitFor();
      const later = `Written offline, then the tab was closed ${Date.now()}`;
      await ask(page, later);
      await page.close();
      await context.setOffline(false);
      const again = await context.newPage();
      await again.goto(`${server.url}/demo?lang=en`);
      await expect.poll(() => copiesOf(later), { timeout: 20_000 }).toBe(1);
      await openPanel(again);
      await expect.poll(() => widget(again).locator('.group.mine .tick').last().getAttribute('class')).toMatch(/sent|read/);
      expect(await widget(again).locator('.bubble', { hasText: later }).count()).toBe(1);
      await context.close();
    } finally {
      agent.client.close();
    }
  });

  describe('hostile host pages', () => {
    for (const name of Object.keys(FIXTURES).filter((n) => n !== 'plain')) {
      it(`works on the "${name}" page`, async () => {
        const { context, page, errors } = await open(`${fixtures.url}/${name}`);
        // The launcher is on top of everything and hit-testable.
        const box = (await launcher(page).boundingBox())!;
        expect(box.width).toBe(56);
        const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.tagName, [box.x + 28, box.y + 28]);
        expect(hit).toBe('SERVUS-CHAT');
        await openPanel(page);
        const p = (await panel(page).boundingBox())!;
        expect(p.width).toBe(380);
        expect(p.height).toBeGreaterThan(400);
        const n = await replies(page);
        await ask(page, 'Wie lange dauert der Versand?');
        expect(await nextReply(page, n)).toMatch(/24 Stunden/);
        // Our styles apply: the panel is white with rounded corners, the visitor bubble in the theme colour.
        expect(await panel(page).evaluate((el) => getComputedStyle(el).borderRadius)).toBe('16px');
        expect(
          await widget(page)
            .locator('.group.mine .bubble')
            .last()
            .evaluate((el) => getComputedStyle(el).backgroundColor),
        ).toBe('rgb(15, 118, 110)');
        expect(errors.filter((e) => !/Content Security Policy/.test(e) || /servus|widget/i.test(e))).toEqual([]);
        await context.close();
      });
    }

    it('leaves the host page layout unchanged (screenshots with and without the widget)', async () => {
      for (const name of ['plain', 'global-reset']) {
        const without = await open(`${fixtures.url}/${name}?widget=0`);
        const withWidget = await open(`${fixtures.url}/${name}`);
        await launcher(withWidget.page).waitFor();
        // Everything but the launcher's corner.
        const clip = { x: 0, y: 0, width: 1280, height: 700 };
        expect((await withWidget.page.screenshot({ clip })).equals(await without.page.screenshot({ clip }))).toBe(true);
        await without.context.close();
        await withWidget.context.close();
      }
    });
  });

  it('is usable by keyboard and has no axe violations', async () => {
    const { context, page } = await open(`${server.url}/demo?lang=en`);
    await launcher(page).waitFor();
    let focusedLauncher = false;
    for (let i = 0; i < 10 && !focusedLauncher; i++) {
      await page.keyboard.press('Tab');
      focusedLauncher = await page.evaluate(
        () => document.querySelector('servus-chat')?.shadowRoot?.activeElement?.classList.contains('launcher') ?? false,
      );
    }
    expect(focusedLauncher).toBe(true);
    await page.keyboard.press('Enter');
    await panel(page).waitFor();
    await expect.poll(() => page.evaluate(() => document.querySelector('servus-chat')?.shadowRoot?.activeElement?.id)).toBe('sv-input');
    await page.keyboard.type('Shipping to Austria?');
    await page.keyboard.press('Enter');
    await nextReply(page, 0);
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () => {
      const axe = (
        window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }
      ).axe;
      return axe.run(
        { include: [['servus-chat']] },
        { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } },
      );
    });
    const found = result.violations.map(
      (v) =>
        `${v.id}: ${JSON.stringify(v.nodes.map((n) => (n as { html: string; failureSummary: string }).html + ' ' + (n as { failureSummary: string }).failureSummary))}`,
    );
    expect(found).toEqual([]);
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'detached' });
    expect(
      await page.evaluate(() => document.querySelector('servus-chat')?.shadowRoot?.activeElement?.classList.contains('launcher')),
    ).toBe(true);
    await context.close();
  });

  it('stays usable at 200% zoom and respects reduced motion', async () => {
    const { context, page } = await open(`${server.url}/demo?lang=de`, { viewport: { width: 640, height: 400 }, reducedMotion: 'reduce' });
    await openPanel(page);
    const box = (await panel(page).boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x).toBeGreaterThanOrEqual(0);
    const input = (await widget(page).locator('#sv-input').boundingBox())!;
    expect(input.y + input.height).toBeLessThanOrEqual(400);
    expect(await panel(page).evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    await context.close();
  });

  it('greets proactively on a matching page and opens the chat from the greeting', async () => {
    const rules = [
      {
        id: 'e2e-greet',
        urlPattern: '/plain*',
        delaySeconds: 1,
        returningOnly: false,
        text: { de: 'Fragen zum Bergschuh?', en: 'Questions?' },
      },
    ];
    await withProactiveRules(rules, async () => {
      const { context, page } = await open(`${fixtures.url}/plain`);
      const greeting = widget(page).locator('.greet-open');
      await greeting.waitFor({ timeout: 15_000 });
      expect(await greeting.innerText()).toBe('Fragen zum Bergschuh?');
      await greeting.click();
      await panel(page).waitFor();
      // A chat started from the greeting is attributed to the rule; the beacons counted shown and opened.
      await ask(page, 'Gibt es den Bergschuh in Größe 47?');
      await nextReply(page, 0);
      await expect
        .poll(async () => {
          const m = (await api('/api/metrics?site=demo')) as {
            proactive: { ruleId: string; shown: number; opened: number; conversations: number }[];
          };
          return m.proactive.find((r) => r.ruleId === 'e2e-greet');
        })
        .toMatchObject({ shown: 1, opened: 1, conversations: 1 });
      await page.reload();
      await page.waitForTimeout(1500); // one greeting per visit: it must not come back (waits past the rule's delay)
      expect(await widget(page).locator('.greet-open').count()).toBe(0);
      await context.close();
    });
  });

  it('greets on a single-page app route: the rule is matched again when the URL changes without a page load', async () => {
    const rules = [
      // The landing page's rule waits an hour: it only tells the test that the rules were matched.
      { id: 'e2e-landing', urlPattern: '/plain', delaySeconds: 3600, returningOnly: false, text: { de: 'Später', en: 'Later' } },
      {
        id: 'e2e-spa',
        urlPattern: '/plain/bergschuhe*',
        delaySeconds: 0,
        returningOnly: false,
        text: { de: 'Fragen zu Bergschuhen?', en: 'Questions about boots?' },
      },
    ];
    await withProactiveRules(rules, async () => {
      const { context, page, errors } = await open(`${fixtures.url}/plain`);
      const greeting = widget(page).locator('.greet-open');
      // The landing page's rule matched once the greeting's styles are in the widget's shadow root.
      await page.waitForFunction(() =>
        [...(document.querySelector('servus-chat')?.shadowRoot?.adoptedStyleSheets ?? [])].some((sheet) =>
          [...sheet.cssRules].some((rule) => rule.cssText.includes('greet-open')),
        ),
      );
      // The app's router moves on without a page load: the boots rule greets at once.
      await page.evaluate(() => history.pushState({}, '', '/plain/bergschuhe?farbe=rot'));
      await greeting.waitFor({ timeout: 10_000 });
      expect(await greeting.innerText()).toBe('Fragen zu Bergschuhen?');
      expect(errors).toEqual([]);
      await context.close();
    });
  });

  it('runs the JS API: queued calls before load, open/close events, identify refused without a valid hash, shutdown', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { Servus: ((...a: unknown[]) => void) & { q?: unknown[] }; events: string[] };
      w.events = [];
      w.Servus =
        w.Servus ||
        function (...args: unknown[]) {
          (w.Servus.q = w.Servus.q || []).push(args);
        };
      w.Servus('on', 'open', () => w.events.push('open'));
      w.Servus('on', 'close', () => w.events.push('close'));
      w.Servus('open');
    });
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(`${server.url}/demo?lang=en`);
    await panel(page).waitFor();
    await page.evaluate(() =>
      (window as unknown as { Servus: (c: string, u: unknown) => void }).Servus('identify', { id: 'u1', hash: '0'.repeat(64) }),
    );
    await expect.poll(() => warnings.join('\n')).toMatch(/identify was refused: FORBIDDEN/);
    await page.evaluate(() => (window as unknown as { Servus: (c: string) => void }).Servus('close'));
    await panel(page).waitFor({ state: 'detached' });
    expect(await page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(['open', 'close']);
    await page.evaluate(() => (window as unknown as { Servus: (c: string, l: string) => void }).Servus('setLanguage', 'de'));
    await page.evaluate(() => (window as unknown as { Servus: (c: string) => void }).Servus('toggle'));
    await expect.poll(() => widget(page).locator('.chip.person').innerText()).toBe('Mit einem Menschen sprechen');
    await page.evaluate(() => (window as unknown as { Servus: (c: string) => void }).Servus('shutdown'));
    await panel(page).waitFor({ state: 'detached' });
    expect(
      await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('servus:demo:') && !k.endsWith(':seen'))),
    ).toEqual([]);
    await context.close();
  });
});
