// examples/integration/order-status.mjs against a real server: a visitor writes an order number, the
// example gets the signed webhook, verifies it and answers through the REST API, and the visitor sees
// the answer live, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

const example = fileURLToPath(new URL('../../../examples/integration/order-status.mjs', import.meta.url));
let server: TestServer;
let child: ChildProcess | undefined;
beforeAll(async () => {
  server = await startTestServer({ overrides: { webhookAllowAddresses: '127.0.0.1', autoAssign: false } });
});
afterAll(async () => {
  child?.kill();
  await server.close();
});

describe('example integration', () => {
  it('answers a visitor’s order number through the REST API after a verified webhook', async () => {
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await fetch(`${server.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Order status', scopes: ['messages:write', 'sites:manage'] }),
    });
    const token = ((await created.json()) as { secret: string }).secret;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const hook = (await (
      await fetch(`${server.url}/api/v1/sites/demo/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: 'http://127.0.0.1:9/placeholder', events: ['message.created.visitor'] }),
      })
    ).json()) as { webhook: { id: string }; secret: string };

    child = spawn(process.execPath, [example], {
      env: { ...process.env, SERVUS_URL: server.url, SERVUS_TOKEN: token, WEBHOOK_SECRET: hook.secret, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    const patched = await fetch(`${server.url}/api/v1/sites/demo/webhooks/${hook.webhook.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ url }),
    });
    expect(patched.status).toBe(200);

    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'Where is my order 4711?' });
    const reply = await visitor.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { name?: string } }).author.name === 'Shop',
    );
    expect((reply.message as { text: string }).text).toBe('Your order 4711 is on its way and arrives tomorrow.');
    visitor.client.close();
  });
});
