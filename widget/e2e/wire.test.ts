// The bytes a page view with the widget costs on the wire (server/src/bench/wire.ts, also
// `npm run size:wire`): Chromium from a fresh cache against the real server and the built bundle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../../server/src/testing/server-process.js';
import { login } from '../../server/src/testing/client.js';
import { launchChromium } from '../../server/src/testing/browser.js';
import { WIRE_BUDGETS, formatWire, measureWire, startHostPage } from '../../server/src/bench/wire.js';
import { ensureBuilt } from './dist.js';

let server: ServerProcess;
let host: { url: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  server = await startServerProcess();
  host = await startHostPage(server.url);
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  const res = await fetch(`${server.url}/api/sites/demo/proactive`, {
    method: 'PUT',
    headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [] }),
  });
  expect(res.status).toBe(200);
  // The measured site takes files (the default): the budget holds with the paperclip on the panel.
  const config = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { attachments?: unknown } };
  expect(config.site.attachments).toBeTruthy();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
});

describe('bytes on the wire', () => {
  it('stays within 3 KB before the load event and 22 KB for a page view with one answered question, all compressed', async () => {
    const result = await measureWire({ browser, servus: server.url, pageUrl: host.url });
    console.log(formatWire(result));
    // Before the load event: widget.js alone.
    expect(result.beforeLoad.requests.map((r) => r.path)).toEqual(['/widget.js']);
    expect(result.beforeLoad.bytes).toBeLessThanOrEqual(WIRE_BUDGETS.beforeLoad);
    // A page view without interaction: the site's config besides, no app chunk.
    expect(result.pageView.requests.map((r) => r.path)).toEqual(['/widget.js', '/api/widget/config']);
    // The demo site takes files: the panel shows the paperclip, but the attachments chunk waits for
    // the visitor to use it, so a chat there stays within the 22 KB.
    expect(result.chat.requests.filter((r) => /\/widget\/Attach-/.test(r.path))).toEqual([]);
    expect(result.chat.bytes).toBeLessThanOrEqual(WIRE_BUDGETS.chat);
    // Every script bigger than a few hundred bytes came compressed.
    for (const r of result.chat.requests.filter((q) => q.path.endsWith('.js') && q.bytes > 1000)) expect(r.encoding).toBe('br');
    expect(result.websocket.frames).toBeGreaterThan(0);
  });
});
