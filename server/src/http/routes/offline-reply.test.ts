// The widget's offline form promises an answer by email only when the server can send one
// (issue 17 point 13): the config says `offlineReply: 'email'` with SMTP_URL, `chat` without.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testing/in-process.js';
import { login } from '../../testing/client.js';
import { TEST_ADMIN } from '../../testing/server-process.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const offlineReply = async (server: TestServer) =>
  ((await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { offlineReply: string } }).site.offlineReply;

describe('the offline form’s promise', () => {
  it('is an email answer only when a mail server is configured', async () => {
    const without = await startTestServer();
    servers.push(without);
    expect(await offlineReply(without)).toBe('chat');
    const withMail = await startTestServer({ overrides: { smtpUrl: 'smtp://127.0.0.1:2525' } });
    servers.push(withMail);
    expect(await offlineReply(withMail)).toBe('email');
    // The console's Settings → Website says the same.
    for (const [server, expected] of [
      [without, 'chat'],
      [withMail, 'email'],
    ] as const) {
      const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const res = await fetch(`${server.url}/api/sites/demo/settings`, { headers: { cookie } });
      expect(((await res.json()) as { site: { offlineReply: string } }).site.offlineReply).toBe(expected);
    }
  });
});
