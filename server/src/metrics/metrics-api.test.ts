// GET /api/metrics against a real server: several groupings from one read, per-site service-level
// targets from the site settings (and the slaSeconds override), the site's time zone by default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import type { BotResponder } from '../bot/index.js';
import type { MetricsReport } from './query.js';

const bot: BotResponder = {
  reply: () => ({ kind: 'answer', text: 'Yes.', lang: 'en', confidence: 0.9, suggestions: [], offerHandoff: false, state: {} }),
};

let server: TestServer;
let cookie: string;
beforeAll(async () => {
  server = await startTestServer({ bots: bot, overrides: { autoAssign: false } });
  cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  // Two conversations: one stays with the bot, one is handed off, taken and answered.
  const contained = await newVisitor(server.url);
  contained.client.send({ type: 'message.send', cid: 'm1', text: 'Do you ship to Austria?' });
  await contained.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot');
  const v = await newVisitor(server.url);
  v.client.send({ type: 'handoff.request', cid: 'h1' });
  const conversationId = (await v.client.next((f) => f.cid === 'h1')).conversationId as string;
  const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  agent.client.send({ type: 'conversation.claim', cid: 'c1', conversationId });
  await agent.client.next((f) => f.cid === 'c1');
  agent.client.send({ type: 'message.send', cid: 'r1', conversationId, text: 'Hello!' });
  await agent.client.next((f) => f.cid === 'r1');
  for (const c of [contained.client, v.client, agent.client]) c.close();
});
afterAll(() => server.close());

const metrics = async (query: string) => {
  const res = await fetch(`${server.url}/api/metrics?${query}`, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as MetricsReport & { error?: { path: string } } };
};
const setSettings = async (patch: Record<string, unknown>) => {
  const row = await server.database.db.selectFrom('sites').select('settings').where('key', '=', 'demo').executeTakeFirstOrThrow();
  await server.database.db
    .updateTable('sites')
    .set({ settings: JSON.stringify({ ...(JSON.parse(row.settings) as object), ...patch }) })
    .where('key', '=', 'demo')
    .execute();
};

describe('GET /api/metrics', () => {
  it('answers several groupings from one request, the first also as `groups`', async () => {
    const { status, body } = await metrics('groupBy=agent,lang,hour,site');
    expect(status).toBe(200);
    expect(Object.keys(body.groupings!)).toEqual(['agent', 'lang', 'hour', 'site']);
    expect(body.groups).toEqual(body.groupings!.agent);
    // The admin handled one conversation; the other never reached a person.
    expect(body.groupings!.agent!.map((g) => [g.key === 'none' ? 'none' : g.label, g.summary.conversations])).toEqual([
      ['Admin', 1],
      ['none', 1],
    ]);
    expect(body.groupings!.site).toEqual([expect.objectContaining({ key: 'demo', label: 'Servus Shop' })]);
    expect(body.groupings!.lang!.reduce((n, g) => n + g.summary.conversations, 0)).toBe(2);
    // Each grouping's figures are the ones a request for it alone gets.
    expect((await metrics('groupBy=lang')).body.groups).toEqual(body.groupings!.lang);
    expect((await metrics('groupBy=week')).status).toBe(400);
    expect((await metrics('groupBy=day,,hour')).status).toBe(400);
    expect((await metrics('')).body.groupings).toBeUndefined();
  });

  it('measures the service level against the site’s own target unless slaSeconds overrides it', async () => {
    const human = (await metrics('')).body.summary.firstHumanResponseSeconds.median!;
    expect(human).toBeGreaterThanOrEqual(0);
    await setSettings({ serviceLevel: { firstResponseSeconds: 3600 } });
    expect((await metrics('')).body.summary.serviceLevel).toEqual({ target: 3600, targets: { demo: 3600 }, measured: 1, met: 1, share: 1 });
    // A target below the measured response (whole seconds, at least 1) is missed … unless the reply came within it.
    const strict = (await metrics('slaSeconds=1')).body.summary.serviceLevel!;
    expect(strict).toMatchObject({ target: 1, targets: { demo: 1 }, measured: 1, met: human <= 1 ? 1 : 0 });
    expect((await metrics('slaSeconds=0')).status).toBe(400);
  });

  it('groups days and hours in the site’s business-hours time zone unless one is asked for', async () => {
    expect((await metrics('groupBy=hour')).body.timeZone).toBe('UTC');
    await setSettings({ businessHours: { timeZone: 'Asia/Kathmandu', weekly: { mon: ['09:00-17:00'] }, holidays: [] } });
    const local = (await metrics('groupBy=hour')).body;
    expect(local.timeZone).toBe('Asia/Kathmandu');
    const utc = (await metrics('groupBy=hour&timeZone=UTC')).body;
    expect(utc.timeZone).toBe('UTC');
    // Kathmandu is 5:45 ahead: the same conversations fall into other hours.
    const created = await server.database.db.selectFrom('conversations').select('created_at').execute();
    const hours = (tz: string) => [
      ...new Set(
        created.map((c) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(c.created_at)),
      ),
    ];
    expect(local.groups.map((g) => g.key).sort()).toEqual(hours('Asia/Kathmandu').sort());
    expect(utc.groups.map((g) => g.key).sort()).toEqual(hours('UTC').sort());
    expect(local.groups.map((g) => g.key)).not.toEqual(utc.groups.map((g) => g.key));
  });
});
