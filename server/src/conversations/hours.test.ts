// Outside business hours a handoff still queues, but the visitor is told nobody can answer now
// and when the team is back, and the widget config says so too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ overrides: { autoAssign: false } });
  // Open one minute a week, on a weekday other than today in Vienna: closed now, opening ahead.
  const today = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Vienna', weekday: 'short' })
    .format(Date.now())
    .slice(0, 3)
    .toLowerCase();
  const day = today === 'wed' ? 'thu' : 'wed';
  // Through the sites API, as an admin would: every instance's cache hears of the change.
  const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  const res = await fetch(`${server.url}/api/sites/demo/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', origin: server.url, cookie },
    body: JSON.stringify({ settings: { businessHours: { timeZone: 'Europe/Vienna', weekly: { [day]: ['10:00-10:01'] } } } }),
  });
  if (!res.ok) throw new Error(`settings: ${res.status} ${await res.text()}`);
});
afterAll(() => server.close());

describe('outside business hours', () => {
  it('queues the handoff with no expected wait, even with an agent online, and says when the team opens', async () => {
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const v = await newVisitor(server.url);
    v.client.send({ type: 'handoff.request', cid: 'h' });
    const updated = await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
    const queue = (
      updated.conversation as { queue: { expectedWaitSeconds: number | null; agentsOnline: number; closed: { opensAt: number } } }
    ).queue;
    expect(queue.expectedWaitSeconds).toBeNull();
    expect(queue.agentsOnline).toBe(1);
    expect(queue.closed.opensAt).toBeGreaterThan(Date.now());
    expect(queue.closed.opensAt - Date.now()).toBeLessThan(8 * 86_400_000);
    const config = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as {
      site: { hours: { open: boolean; opensAt: number } };
    };
    expect(config.site.hours).toMatchObject({ open: false, opensAt: queue.closed.opensAt });
    v.client.close();
    agent.client.close();
  });
});
