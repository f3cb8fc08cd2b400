// End-to-end harness for the console: a real Servus in this process (fresh SQLite folder, the demo
// site with its example FAQ and the FAQ bot), real Chromium via playwright-core, and helpers to log
// an agent in through the console's own login form.
import { existsSync, readdirSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SUBPROTOCOL } from '@servus/shared';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../src/testing/in-process.js';
import { TEST_ADMIN } from '../../src/testing/server-process.js';
import { createFaqBot, faqDiagnostics, initialBotState, loadFaqFiles, type BotState, type FaqDiagnostics } from '../../src/bot/index.js';
import type { BotResponder } from '../../src/bot/index.js';
import { hashPassword, randomId } from '../../src/core/ids.js';
import { launchChromium } from '../../src/testing/browser.js';
import { axeViolations, handOver } from './page.js';
import type { Hub } from '../../src/pubsub/hub.js';

export { TEST_ADMIN, axeViolations, handOver };

const distIndex = fileURLToPath(new URL('../dist/index.html', import.meta.url));

/**
 * The FAQ bot over the site's files as seeded (the same engine the server uses by default), built
 * once at start; tests that edit the FAQ check the files and the test box, not this instance.
 */
const faqBots = async ({ faqDir }: { faqDir: string }): Promise<BotResponder & { diagnostics(site: string): FaqDiagnostics | null }> => {
  const bots = new Map<string, ReturnType<typeof createFaqBot>>();
  const diagnostics = new Map<string, FaqDiagnostics>();
  for (const site of readdirSync(faqDir, { withFileTypes: true })) {
    if (!site.isDirectory()) continue;
    const dir = join(faqDir, site.name);
    const { entries } = await loadFaqFiles(readdirSync(dir).map((f) => join(dir, f)));
    bots.set(site.name, createFaqBot({ entries }));
    diagnostics.set(site.name, faqDiagnostics({ entries }));
  }
  return {
    diagnostics: (site) => diagnostics.get(site) ?? null,
    reply(siteKey, input) {
      const bot = bots.get(siteKey);
      if (!bot) return null;
      let state: BotState = initialBotState();
      try {
        const parsed = JSON.parse(input.state) as Partial<BotState>;
        if (typeof parsed.misses === 'number' && Array.isArray(parsed.recent)) state = parsed as BotState;
      } catch {
        /* fresh state */
      }
      const lang = input.lang === 'de' || input.lang === 'en' ? input.lang : undefined;
      return bot.reply({
        text: input.text,
        ...(lang ? { lang } : {}),
        state,
        ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      });
    },
  };
};

export async function startConsoleServer(overrides: Record<string, unknown> = {}, { hub }: { hub?: Hub } = {}): Promise<TestServer> {
  if (!existsSync(distIndex)) throw new Error('The console is not built: run `node scripts/build.mjs` (or vite build) first.');
  return startTestServer({
    // startServus accepts a factory that runs after seeding (so the demo FAQ files exist).
    bots: faqBots as unknown as BotResponder,
    overrides: { autoAssign: false, ...overrides },
    ...(hub ? { hub } : {}),
  });
}

export async function addAgent(
  server: TestServer,
  { name, email, password, role = 'agent' }: { name: string; email: string; password: string; role?: 'agent' | 'admin' },
): Promise<string> {
  const id = randomId('a');
  const db = server.database.db;
  await db
    .insertInto('agents')
    .values({
      id,
      email,
      name,
      role,
      password_hash: await hashPassword(password),
      capacity: 3,
      created_at: Date.now(),
    })
    .execute();
  await db.insertInto('agent_sites').values({ agent_id: id, site_key: 'demo' }).execute();
  return id;
}

export async function launch(): Promise<Browser> {
  return launchChromium();
}

/** A phone as Chromium emulates one: its screen in CSS pixels, touch, the mobile viewport rules. */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

export interface AgentPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, for assertions. */
  errors: string[];
}

export async function openConsole(
  browser: Browser,
  baseUrl: string,
  {
    email,
    password,
    lang = 'en',
    bypassCSP = false,
    device = { viewport: { width: 1440, height: 860 } },
    prepare,
  }: {
    email: string;
    password: string;
    lang?: 'de' | 'en';
    bypassCSP?: boolean;
    /** The window: a desktop one by default, or PHONE. */
    device?: { viewport: { width: number; height: number }; isMobile?: boolean; hasTouch?: boolean; deviceScaleFactor?: number };
    /** Runs before the console is loaded (a clock to control, a WebSocket route). */
    prepare?: (page: Page) => Promise<void>;
  },
): Promise<AgentPage> {
  const context = await browser.newContext({
    locale: lang === 'de' ? 'de-DE' : 'en-US',
    ...device,
    bypassCSP,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await prepare?.(page);
  await page.goto(`${baseUrl}/console`);
  await page.locator('servus-login input[name=email]').fill(email);
  await page.locator('servus-login input[name=password]').fill(password);
  await page.locator('servus-login button[type=submit]').click();
  await page.locator('nav [data-nav=queue]').waitFor();
  // Connected: the reconnect notice is gone.
  await page.waitForFunction(() => !document.querySelector('servus-console')?.shadowRoot?.querySelector('.conn'));
  return { context, page, errors };
}

/**
 * A TCP proxy in front of the server, so a test can cut the browser's connections for real (as a
 * network drop does) and refuse new ones for a while (offline), then let them through again.
 */
export async function startProxy(
  targetPort: number,
): Promise<{ url: string; cut(): void; setOffline(offline: boolean): void; close(): Promise<void> }> {
  const open = new Set<Socket>();
  let offline = false;
  const server = createServer((client) => {
    if (offline) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    client.pipe(upstream).pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const cut = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    setOffline(value) {
      offline = value;
      if (value) cut();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

/**
 * Waits until a selector matches somewhere in the page, open shadow roots included, checking on
 * every animation frame (Playwright's own waits poll at up to 1 s, too coarse to time latency).
 */
export async function waitDeep(page: Page, selector: string, text?: string): Promise<void> {
  await page.waitForFunction(
    ([sel, txt]) => {
      const find = (root: Document | ShadowRoot): boolean => {
        for (const el of root.querySelectorAll(sel!)) if (!txt || el.textContent?.includes(txt)) return true;
        for (const host of root.querySelectorAll('*')) if (host.shadowRoot && find(host.shadowRoot)) return true;
        return false;
      };
      return find(document);
    },
    [selector, text] as const,
    { polling: 'raf' },
  );
}

type Frame = Record<string, unknown> & { type: string };

/** A visitor socket with a chosen User-Agent header (the protocol client cannot set one). */
export async function visitorWithUserAgent(url: string, userAgent: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, [SUBPROTOCOL], {
    headers: { 'user-agent': userAgent },
    perMessageDeflate: false,
  });
  const frames: Frame[] = [];
  const waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as Frame;
    frames.push(f);
    for (const w of [...waiters]) {
      if (!w.test(f)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    }
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    send: (f: object) => ws.send(JSON.stringify(f)),
    next: (test: (f: Frame) => boolean) =>
      new Promise<Frame>((resolve) => {
        const seen = frames.find(test);
        if (seen) resolve(seen);
        else waiters.push({ test, resolve });
      }),
    close: () => ws.close(),
  };
}

/**
 * What does not fit the window sideways: the document itself; every scrolling box (open shadow
 * roots included) whose content is wider than the box; and, outside those, every element that
 * reaches past the window's right edge (content clipped out of reach counts too), the outermost
 * one of each such subtree. `allow` names boxes that scroll sideways by design (a wide table in a
 * card) as `host-element selector-inside-its-shadow-root` (`*`: any host).
 */
export async function horizontalOverflow(page: Page, allow: string[] = []): Promise<string[]> {
  return page.evaluate((allowed) => {
    const found: string[] = [];
    const doc = document.scrollingElement!;
    if (doc.scrollWidth > innerWidth) found.push(`document (${doc.scrollWidth} > ${innerWidth})`);
    const walk = (el: Element, host: string) => {
      const style = getComputedStyle(el);
      if (style.display === 'none') return;
      const name = `${host ? `${host} ` : ''}${el.localName}${[...el.classList].map((c) => `.${c}`).join('')}`;
      const isAllowed = allowed.some((entry) => {
        const [tag, ...selector] = entry.split(' ');
        return (tag === '*' || tag === host) && el.matches(selector.join(' '));
      });
      if (isAllowed) return;
      if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
        found.push(`${name} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
        return;
      }
      const r = el.getBoundingClientRect();
      // Visually hidden for screen readers only (a 1 px clipping box): never on screen.
      if (r.width <= 1 && r.height <= 1 && style.overflow === 'hidden') return;
      if (r.width > 0 && r.height > 0 && r.right > innerWidth + 1) {
        found.push(`${name} reaches ${Math.round(r.right)} px`);
        return;
      }
      if (el.shadowRoot) for (const child of el.shadowRoot.children) walk(child, el.localName);
      for (const child of el.children) walk(child, host);
    };
    walk(document.documentElement, '');
    return found;
  }, allow);
}

/**
 * How tall the document is against the window, and the console's scrolling page (`.page`, around
 * the dashboard) against its content plus padding: where either is taller, there is blank space.
 */
export async function scrollHeights(page: Page): Promise<{ document: number; window: number; page: number; content: number }> {
  return page.evaluate(() => {
    const pane = document.querySelector('servus-console')?.shadowRoot?.querySelector<HTMLElement>('.page');
    const content = pane?.firstElementChild as HTMLElement | null | undefined;
    const style = pane ? getComputedStyle(pane) : null;
    return {
      document: document.scrollingElement!.scrollHeight,
      window: innerHeight,
      page: pane?.scrollHeight ?? 0,
      content: content && style ? content.offsetHeight + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) : 0,
    };
  });
}
