// Proactive messages against a real server on both dialects: rules in the widget config, the
// admins' rule API, the widget's beacon (validation, limits) and attribution of conversations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { connect, login } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { DEMO_PROACTIVE_RULE } from '../app/seed.js';
import type { ProactiveRuleStats } from './stats.js';

const rules = [
  {
    id: 'shipping',
    urlPattern: '/demo*',
    delaySeconds: 20,
    returningOnly: false,
    text: { de: 'Fragen zum Versand?', en: 'Shipping questions?' },
  },
  { id: 'returning', urlPattern: '*', delaySeconds: 5, returningOnly: true, text: { en: 'Welcome back!' } },
];

describe.each(['sqlite', 'postgres'] as const)('proactive messages on %s', (dialect) => {
  let server: TestServer;
  let cookie: string;
  let ip = 0;
  /** Each test sends from its own address (X-Forwarded-For, trusted here), so the per-IP limit of one never touches another. */
  const newIp = () => `203.0.113.${++ip}`;
  beforeAll(async () => {
    server = await startTestServer({
      postgres: dialect === 'postgres',
      overrides: { autoAssign: false, trustProxy: true, metricsToken: 'metrics-token-0123456789' },
    });
    cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(() => server.close());

  const api = (path: string, init: { method?: string; body?: unknown; cookie?: string } = {}) =>
    fetch(server.url + path, {
      method: init.method ?? 'GET',
      headers: {
        cookie: init.cookie ?? cookie,
        origin: server.url,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  const beacon = (body: unknown, from: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/widget/proactive`, {
      method: 'POST',
      // What navigator.sendBeacon sends for a string body.
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': from, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const widgetConfig = async () =>
    ((await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { proactive: unknown[]; title: unknown } }).site;

  it('exposes the demo rule in the widget config, and an empty list when there are none', async () => {
    expect((await widgetConfig()).proactive).toEqual([DEMO_PROACTIVE_RULE]);
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [] } })).status).toBe(200);
    expect((await widgetConfig()).proactive).toEqual([]);
  });

  it('lets admins set a site’s rules, validated, and other agents only read them', async () => {
    const before = await widgetConfig();
    const put = await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules } });
    expect(await put.json()).toEqual({ rules });
    expect(await (await api('/api/sites/demo/proactive')).json()).toEqual({ rules });
    const after = await widgetConfig();
    expect(after.proactive).toEqual(rules);
    expect(after.title).toEqual(before.title); // the other settings stay
    const bad = await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [{ ...rules[0], delaySeconds: -5 }] } });
    expect(bad.status).toBe(400);
    const refused = ((await bad.json()) as { error: { path: string; issues: unknown[] } }).error;
    expect(refused.path).toBe('rules.0.delaySeconds');
    // Every problem, in words the console translates and shows at the field.
    expect(refused.issues).toEqual([{ path: 'rules.0.delaySeconds', kind: 'too_small', limit: 0, message: expect.any(String) }]);
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [rules[0], rules[0]] } })).status).toBe(400);
    expect((await api('/api/sites/elsewhere/proactive')).status).toBe(404);
    const created = await api('/api/agents', {
      method: 'POST',
      body: { name: 'Eva', email: `eva-${dialect}@example.com`, password: 'eva-password-1' },
    });
    expect(created.status).toBe(201);
    const eva = await login(server.url, `eva-${dialect}@example.com`, 'eva-password-1');
    expect((await api('/api/sites/demo/proactive', { cookie: eva })).status).toBe(200);
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [] }, cookie: eva })).status).toBe(403);
    expect((await fetch(`${server.url}/api/sites/demo/proactive`)).status).toBe(401);
    expect((await widgetConfig()).proactive).toEqual(rules);
  });

  it('counts shown and opened per rule and attributes the conversations the greeting led to', async () => {
    const from = newIp();
    for (const event of ['shown', 'shown', 'shown', 'opened'])
      expect((await beacon({ site: 'demo', ruleId: 'shipping', event }, from)).status).toBe(204);
    // fetch with a JSON body works as well (after its preflight).
    const preflight = await fetch(`${server.url}/api/widget/proactive`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const json = await beacon({ site: 'demo', ruleId: 'returning', event: 'shown' }, from, { 'content-type': 'application/json' });
    expect(json.status).toBe(204);
    expect(json.headers.get('access-control-allow-origin')).toBe('*');

    // Three visitors write: one after the shipping greeting, one naming a rule that does not exist, one on its own.
    const ws = server.url.replace(/^http/, 'ws');
    const conversationIds: string[] = [];
    for (const proactiveRuleId of ['shipping', 'made-up', undefined]) {
      const client = await connect(`${ws}/ws/visitor?site=demo`);
      client.send({
        type: 'visitor.hello',
        context: { lang: 'de', url: 'https://shop.example/demo', ...(proactiveRuleId ? { proactiveRuleId } : {}) },
      });
      await client.next((f) => f.type === 'welcome');
      client.send({ type: 'message.send', cid: 'm1', text: 'Wie lange dauert der Versand?' });
      conversationIds.push((await client.next((f) => f.type === 'ack')).conversationId as string);
      client.close();
    }
    const stored = await server.database.db
      .selectFrom('conversations')
      .select(['id', 'proactive_rule_id'])
      .where('id', 'in', conversationIds)
      .execute();
    expect(Object.fromEntries(stored.map((r) => [r.id, r.proactive_rule_id]))).toEqual({
      [conversationIds[0]!]: 'shipping',
      [conversationIds[1]!]: 'made-up',
      [conversationIds[2]!]: null,
    });

    const report = (await (await api('/api/metrics?site=demo')).json()) as { proactive: ProactiveRuleStats[] };
    expect(report.proactive).toEqual([
      // 1 of 3 shown greetings opened, 1 conversation of 3 shown
      {
        siteKey: 'demo',
        ruleId: 'shipping',
        urlPattern: '/demo*',
        shown: 3,
        opened: 1,
        conversations: 1,
        openRate: 0.333,
        conversationRate: 0.333,
      },
      { siteKey: 'demo', ruleId: 'returning', urlPattern: '*', shown: 1, opened: 0, conversations: 0, openRate: 0, conversationRate: 0 },
    ]);
    // A period before the beacons holds none of them.
    const earlier = (await (await api(`/api/metrics?site=demo&from=0&to=${Date.now() - 2 * 3_600_000}`)).json()) as {
      proactive: ProactiveRuleStats[];
    };
    expect(earlier.proactive.map((p) => p.shown)).toEqual([0, 0]);
    // The editor's figures per rule (the last 30 days): the same, from the counters and one grouped count.
    const results = await api('/api/sites/demo/proactive/results');
    expect(results.status).toBe(200);
    const body = (await results.json()) as { from: number; to: number; results: ProactiveRuleStats[] };
    expect(body.to - body.from).toBe(30 * 86_400_000);
    expect(body.results).toEqual(report.proactive);
    expect((await api('/api/sites/demo/proactive/results?days=0')).status).toBe(400);
    expect((await api('/api/sites/elsewhere/proactive/results')).status).toBe(404);
    const scrape = await (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text();
    expect(scrape).toMatch(/^servus_proactive_events_total\{site="demo",event="shown"\} 4$/m);
    expect(scrape).toMatch(/^servus_proactive_events_total\{site="demo",event="opened"\} 1$/m);
  });

  it('keeps a switched-off rule with its figures but leaves it out of the widget config', async () => {
    const off = [rules[0], { ...rules[1], enabled: false }];
    const put = await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: off } });
    expect(put.status).toBe(200);
    expect(await (await api('/api/sites/demo/proactive')).json()).toEqual({ rules: off });
    // Only the rules that are on, without the switch: the widget's config costs no byte more.
    expect((await widgetConfig()).proactive).toEqual([rules[0]]);
    const results = (await (await api('/api/sites/demo/proactive/results')).json()) as { results: ProactiveRuleStats[] };
    expect(results.results.map((r) => r.ruleId).sort()).toEqual(['returning', 'shipping']);
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules: [{ ...rules[0], enabled: 'no' }] } })).status).toBe(400);
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules } })).status).toBe(200);
  });

  it('refuses beacons that are malformed, too big, unknown or from a foreign origin', async () => {
    const from = newIp();
    const status = async (body: unknown, headers: Record<string, string> = {}) => (await beacon(body, from, headers)).status;
    expect(await status({ site: 'nowhere', ruleId: 'shipping', event: 'shown' })).toBe(404);
    expect(await status({ site: 'demo', ruleId: 'gone', event: 'shown' })).toBe(404);
    expect(await status({ site: 'demo', ruleId: 'shipping', event: 'clicked' })).toBe(400);
    expect(await status({ site: 'demo', ruleId: 'shipping', event: 'shown', extra: 1 })).toBe(400);
    expect(await status({ site: '../demo', ruleId: 'shipping', event: 'shown' })).toBe(400);
    expect(await status('{"site":')).toBe(400);
    expect(await status({ site: 'demo', ruleId: 'shipping', event: 'shown', pad: 'x'.repeat(600) })).toBe(413);
    // A site that limits its origins takes beacons only from them.
    await server.database.db
      .updateTable('sites')
      .set({ settings: sql<string>`${JSON.stringify({ allowedOrigins: ['https://shop.example'], proactive: rules })}` })
      .where('key', '=', 'demo')
      .execute();
    // The rule API invalidates the site cache (and keeps allowedOrigins).
    expect((await api('/api/sites/demo/proactive', { method: 'PUT', body: { rules } })).status).toBe(200);
    expect(await status({ site: 'demo', ruleId: 'shipping', event: 'shown' }, { origin: 'https://evil.example' })).toBe(403);
    expect(await status({ site: 'demo', ruleId: 'shipping', event: 'shown' }, { origin: 'https://shop.example' })).toBe(204);
  });

  it('rate-limits beacons per client address', async () => {
    const from = newIp();
    const body = { site: 'demo', ruleId: 'nope', event: 'shown' };
    const shop = { origin: 'https://shop.example' }; // the site limits its origins since the test before
    // 30 per minute (the default) are answered, the 31st is refused; another address is not affected.
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push((await beacon(body, from, shop)).status);
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect((await beacon(body, newIp(), shop)).status).toBe(404);
  });
});
