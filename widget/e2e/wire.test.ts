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
    // The demo site takes files: its attachments chunk comes with the open panel. Without it the chat
    // stays within 22 KB; with it, within 22 KB + the chunk's 3 KB (not yet issue 17's 22 KB: README).
    const attach = result.chat.requests.filter((r) => /\/widget\/Attach-/.test(r.path));
    expect(attach).toHaveLength(1);
    expect(attach[0]!.bytes).toBeLessThanOrEqual(WIRE_BUDGETS.attachments);
    expect(result.chat.bytes - attach[0]!.bytes).toBeLessThanOrEqual(WIRE_BUDGETS.chat);
    // Every script bigger than a few hundred bytes came compressed.
    for (const r of result.chat.requests.filter((q) => q.path.endsWith('.js') && q.bytes > 1000)) expect(r.encoding).toBe('br');
    expect(result.websocket.frames).toBeGreaterThan(0);
  });
});
