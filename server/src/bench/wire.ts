// What a page view with the widget transfers, measured in real Chromium from a fresh cache against
// a real server: the bytes each response took on the wire (CDP Network.loadingFinished
// encodedDataLength: status line, headers and the body as sent, compressed or not), WebSocket
// frames counted apart. Used by `npm run size:wire` (wire-cli.ts) and widget/e2e/wire.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, CDPSession, Page } from 'playwright-core';

/** Budgets (1 KB = 1,000 bytes), checked by widget/e2e/wire.test.ts. */
export const WIRE_BUDGETS = {
  /** The widget's bytes before the host page's load event, no interaction. */
  beforeLoad: 3_000,
  /**
   * The widget's HTTP bytes for a page view plus opening it and one question answered by the bot,
   * on a site that takes files (their chunk loads only when the visitor attaches one).
   */
  chat: 22_000,
} as const;

export interface WireRequest {
  path: string;
  bytes: number;
  encoding: string | null;
  status: number;
}
export interface WirePhase {
  /** HTTP bytes to and from the Servus origin (responses as received: headers + body). */
  bytes: number;
  requests: WireRequest[];
}
export interface WireResult {
  /** Until the host page's load event: only widget.js. */
  beforeLoad: WirePhase;
  /** The page view, no interaction, after the load event and an idle period (the site's config). */
  pageView: WirePhase;
  /** Page view + open + one question + the bot's answer (HTTP only). */
  chat: WirePhase;
  /** The same chat's WebSocket: handshake response headers and frame payloads, apart from HTTP. */
  websocket: { frames: number; sentBytes: number; receivedBytes: number; handshakeBytes: number };
  /** The host page's own document (not the widget's cost). */
  hostDocumentBytes: number;
}

/** A host page on its own origin with the one script tag (as a site owner embeds it). */
export async function startHostPage(servus: string, site = 'demo', lang = 'en'): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title><style>body{font:16px/1.5 Georgia,serif;margin:0;padding:24px}</style></head>
<body><h1>Bergschuh Shop</h1><p>Handgemachte Bergschuhe aus Tirol.</p>
<script src="${servus}/widget.js" data-site="${site}" async></script></body></html>`;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

interface Tracked {
  url: string;
  start: number;
  bytes?: number;
  encoding: string | null;
  status: number;
  done: boolean;
}

interface Tracking {
  cdp: CDPSession;
  requests: Map<string, Tracked>;
  ws: WireResult['websocket'];
  /** Resolves once `test` holds for the requests seen, checked after every network event. */
  when(test: (requests: Tracked[]) => boolean): Promise<void>;
}

/** Network accounting for one page through CDP. */
async function track(page: Page): Promise<Tracking> {
  const cdp = await page.context().newCDPSession(page);
  const requests = new Map<string, Tracked>();
  const ws = { frames: 0, sentBytes: 0, receivedBytes: 0, handshakeBytes: 0 };
  const waiters = new Set<() => void>();
  const check = () => waiters.forEach((w) => w());
  const when = (test: (r: Tracked[]) => boolean) =>
    new Promise<void>((resolve) => {
      const w = () => {
        if (!test([...requests.values()])) return;
        waiters.delete(w);
        resolve();
      };
      waiters.add(w);
      w();
    });
  cdp.on('Network.requestWillBeSent', (e) => {
    requests.set(e.requestId, { url: e.request.url, start: e.timestamp, encoding: null, status: 0, done: false });
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    r.encoding = headers['content-encoding'] ?? null;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.bytes = e.encodedDataLength;
    r.done = true;
    check();
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.done = true;
    check();
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
    const text =
      e.response.headersText ??
      Object.entries(e.response.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
    ws.handshakeBytes += Buffer.byteLength(text);
  });
  cdp.on('Network.webSocketFrameSent', (e) => {
    ws.frames++;
    ws.sentBytes += Buffer.byteLength(e.response.payloadData);
  });
  cdp.on('Network.webSocketFrameReceived', (e) => {
    ws.frames++;
    ws.receivedBytes += Buffer.byteLength(e.response.payloadData);
  });
  await cdp.send('Network.enable');
  return { cdp, requests, ws, when };
}

function phase(requests: Iterable<Tracked>, origin: string, keep: (r: Tracked) => boolean): WirePhase {
  const list = [...requests].filter((r) => r.url.startsWith(origin) && keep(r));
  return {
    bytes: list.reduce((n, r) => n + (r.bytes ?? 0), 0),
    requests: list.map((r) => ({ path: new URL(r.url).pathname, bytes: r.bytes ?? 0, encoding: r.encoding, status: r.status })),
  };
}

const allDone = (requests: Tracked[]) => requests.every((r) => r.done);

export interface MeasureWireOptions {
  browser: Browser;
  /** The Servus origin, e.g. http://127.0.0.1:8787. */
  servus: string;
  /** A host page with the script tag (startHostPage). */
  pageUrl: string;
  question?: string;
  /** A bubble of the bot's answer contains this. */
  answer?: RegExp;
}

export async function measureWire({
  browser,
  servus,
  pageUrl,
  question = 'How long does shipping take?',
  answer = /24 hours/,
}: MeasureWireOptions): Promise<WireResult> {
  const origin = new URL(servus).origin;
  // A new context: an empty HTTP cache and empty storage, a first visit.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const { cdp, requests, ws, when } = await track(page);
    const loaded = new Promise<number>((resolve) => cdp.once('Page.loadEventFired', (e) => resolve(e.timestamp)));
    await cdp.send('Page.enable');
    await page.goto(pageUrl, { waitUntil: 'load' });
    const loadAt = await loaded;
    const hostDocumentBytes = [...requests.values()].find((r) => r.url === pageUrl)?.bytes ?? 0;
    // The loader fetches the site's config after the load event; then one idle period in which it
    // would start anything else it means to load unasked.
    await when((all) => all.some((r) => r.url.includes('/api/widget/config') && r.done));
    await page.evaluate('new Promise((r) => requestIdleCallback(r, { timeout: 5000 }))');
    await when(allDone);
    const beforeLoad = phase(requests.values(), origin, (r) => r.start < loadAt);
    const pageView = phase(requests.values(), origin, () => true);

    const widget = page.locator('servus-chat');
    await widget.locator('.launcher').hover();
    await widget.locator('.launcher').click();
    await widget.locator('#sv-input').waitFor();
    await widget.locator('#sv-input').fill(question);
    await widget.locator('#sv-input').press('Enter');
    await widget.locator(':is(.group.bot, .group.agent) .bubble', { hasText: answer }).waitFor({ timeout: 15_000 });
    await when(allDone);
    const chat = phase(requests.values(), origin, () => true);
    return { beforeLoad, pageView, chat, websocket: { ...ws }, hostDocumentBytes };
  } finally {
    await context.close();
  }
}

export interface OpenLatency {
  /** A tap (pointerdown then click at once): the app chunk starts loading with the press. */
  tapMs: number;
  /** The pointer rests on the launcher `hoverMs` before the click: loading started on hover. */
  hoverThenClickMs: number;
  /** The app already loaded (what an idle preload on every page view would buy). */
  preloadedMs: number;
  hoverMs: number;
  network: { latencyMs: number; downloadKbps: number };
}

/**
 * How long the visitor waits for the panel (click to composer visible), fresh cache, on a
 * throttled network: loading on intent against having preloaded. Decides when the app is fetched.
 */
export async function measureOpenLatency({
  browser,
  pageUrl,
  hoverMs = 300,
  network = { latencyMs: 150, downloadKbps: 1600 },
}: {
  browser: Browser;
  pageUrl: string;
  hoverMs?: number;
  network?: { latencyMs: number; downloadKbps: number };
}): Promise<OpenLatency> {
  const run = async (mode: 'tap' | 'hover' | 'preloaded'): Promise<number> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: network.latencyMs,
        downloadThroughput: (network.downloadKbps * 1000) / 8,
        uploadThroughput: (750 * 1000) / 8,
      });
      await page.goto(pageUrl, { waitUntil: 'load' });
      const launcher = page.locator('servus-chat .launcher');
      await launcher.waitFor();
      const box = (await launcher.boundingBox())!;
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      const visible = page.locator('servus-chat #sv-input');
      if (mode === 'preloaded') {
        await page.mouse.move(x, y);
        await page.locator('servus-chat .app').waitFor({ state: 'attached' });
        await page.mouse.move(0, 0);
      }
      if (mode === 'hover') {
        await page.mouse.move(x, y);
        await page.evaluate(`new Promise((r) => setTimeout(r, ${hoverMs}))`);
      }
      const start = Date.now();
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.up();
      await visible.waitFor({ timeout: 30_000 });
      return Date.now() - start;
    } finally {
      await context.close();
    }
  };
  return { tapMs: await run('tap'), hoverThenClickMs: await run('hover'), preloadedMs: await run('preloaded'), hoverMs, network };
}

/** The figures as a small table (bytes per request), for the CLI. */
export function formatWire(r: WireResult): string {
  const rows = (p: WirePhase) =>
    p.requests.map((q) => `    ${String(q.bytes).padStart(7)}  ${q.encoding ?? 'identity'}  ${q.path}`).join('\n');
  const kb = (n: number) => (n / 1000).toFixed(2) + ' KB';
  return [
    `before the load event: ${kb(r.beforeLoad.bytes)} (budget ${kb(WIRE_BUDGETS.beforeLoad)})`,
    rows(r.beforeLoad),
    `page view, no interaction (after load and idle): ${kb(r.pageView.bytes)}`,
    rows(r.pageView),
    `page view + open + one question answered: ${kb(r.chat.bytes)} HTTP (budget ${kb(WIRE_BUDGETS.chat)})`,
    rows(r.chat),
    `  WebSocket, counted apart: ${r.websocket.frames} frames, ${r.websocket.sentBytes} bytes sent, ${r.websocket.receivedBytes} received (payloads), handshake response ${r.websocket.handshakeBytes} bytes`,
    `host page document (not counted): ${r.hostDocumentBytes} bytes`,
  ].join('\n');
}

export function formatLatency(l: OpenLatency): string {
  return [
    `click to composer, fresh cache, ${l.network.latencyMs} ms latency, ${l.network.downloadKbps} kbit/s down:`,
    `  tap (loading starts with the press):       ${l.tapMs} ms`,
    `  pointer on the launcher ${l.hoverMs} ms first:     ${l.hoverThenClickMs} ms`,
    `  app already loaded (an idle preload):      ${l.preloadedMs} ms`,
  ].join('\n');
}
