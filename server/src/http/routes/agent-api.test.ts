// The agents' REST API against a real server: lists and search, context, labels, canned
// responses, agent administration, password change, and the CSRF and role checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testing/in-process.js';
import { connect, login, newVisitor } from '../../testing/client.js';
import { TEST_ADMIN } from '../../testing/server-process.js';

let server: TestServer;
let cookie: string;
beforeAll(async () => {
  server = await startTestServer({ overrides: { autoAssign: false } });
  cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
});
afterAll(() => server.close());

function api(path: string, init: { method?: string; body?: unknown; cookie?: string; origin?: string | null } = {}) {
  const headers: Record<string, string> = { cookie: init.cookie ?? cookie };
  if (init.origin !== null) headers.origin = init.origin ?? server.url;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(server.url + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

describe('agent REST API', () => {
  it('lists, filters and searches conversations and shows the visitor context', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm1', text: 'Meine Bestellung 4711 ist nicht angekommen' });
    const id = (await v.client.next((f) => f.type === 'ack')).conversationId as string;
    v.client.send({ type: 'handoff.request', cid: 'h1' });
    await v.client.next((f) => f.cid === 'h1');
    const other = await newVisitor(server.url);
    other.client.send({ type: 'message.send', cid: 'x', text: 'Something else entirely' });
    await other.client.next((f) => f.type === 'ack');

    const queued = (await (await api('/api/conversations?status=queued')).json()) as {
      conversations: { id: string; lastMessage: { text: string } }[];
    };
    expect(queued.conversations.map((c) => c.id)).toEqual([id]);
    expect(queued.conversations[0]!.lastMessage.text).toContain('4711');
    const found = (await (await api('/api/conversations?q=bestellung%204711')).json()) as { conversations: { id: string }[] };
    expect(found.conversations.map((c) => c.id)).toEqual([id]);
    // Search patterns are literal: % and _ match themselves only.
    expect(((await (await api('/api/conversations?q=%25')).json()) as { conversations: unknown[] }).conversations).toEqual([]);
    expect((await api('/api/conversations?status=nonsense')).status).toBe(400);

    const detail = (await (await api(`/api/conversations/${id}`)).json()) as {
      visitor: { context: { lang: string; userAgent: string } };
      labels: string[];
    };
    expect(detail.visitor.context.lang).toBe('en');
    expect(detail.visitor.context.userAgent).toBeTypeOf('string');
    const labelled = await api(`/api/conversations/${id}/labels`, { method: 'PUT', body: { labels: ['shipping', 'vip', 'shipping'] } });
    expect(await labelled.json()).toEqual({ labels: ['shipping', 'vip'] });
    const byLabel = (await (await api('/api/conversations?label=vip')).json()) as { conversations: { id: string }[] };
    expect(byLabel.conversations.map((c) => c.id)).toEqual([id]);
    expect((await api(`/api/conversations/${id}/labels`, { method: 'PUT', body: { labels: ['<script>'] } })).status).toBe(400);
    v.client.close();
    other.client.close();
  });

  it('reports service metrics as JSON and CSV for the agent’s sites', async () => {
    const json = (await (await api('/api/metrics?groupBy=lang&timeZone=Europe/Vienna')).json()) as {
      summary: { conversations: number; handoffs: number };
      groups: { key: string }[];
    };
    // The conversations of the first test: one handed off, one not.
    expect(json.summary.conversations).toBeGreaterThanOrEqual(2);
    expect(json.summary.handoffs).toBeGreaterThanOrEqual(1);
    expect(json.groups.map((g) => g.key)).toContain('en');
    const csv = await api('/api/metrics?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^group,conversations,engaged,handoffs,/);
    expect(lines[1]).toMatch(/^"all",\d+,/);
    expect((await api('/api/metrics?timeZone=Mars/Olympus')).status).toBe(400);
    expect((await api('/api/metrics?site=elsewhere')).status).toBe(404);
  });

  it('keeps canned responses with unique shortcuts', async () => {
    const created = await api('/api/canned', {
      method: 'POST',
      body: { shortcut: 'hello', text: 'Hallo {{visitor.name}}, wie kann ich helfen?' },
    });
    expect(created.status).toBe(201);
    expect((await api('/api/canned', { method: 'POST', body: { shortcut: 'hello', text: 'again' } })).status).toBe(409);
    expect((await api('/api/canned', { method: 'POST', body: { shortcut: 'bad shortcut!', text: 'x' } })).status).toBe(400);
    const list = (await (await api('/api/canned')).json()) as { canned: { id: string; shortcut: string }[] };
    expect(list.canned.map((c) => c.shortcut)).toEqual(['hello']);
    expect((await api(`/api/canned/${list.canned[0]!.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/api/canned/${list.canned[0]!.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('lets admins manage agents, and only admins', async () => {
    const res = await api('/api/agents', {
      method: 'POST',
      body: { name: 'Dora', email: 'Dora@Example.com', password: 'dora-password-1' },
    });
    expect(res.status).toBe(201);
    const { agent } = (await res.json()) as { agent: { id: string; email: string } };
    expect(agent.email).toBe('dora@example.com');
    expect(
      (await api('/api/agents', { method: 'POST', body: { name: 'Dora 2', email: 'dora@example.com', password: 'dora-password-1' } }))
        .status,
    ).toBe(409);
    const doraCookie = await login(server.url, 'dora@example.com', 'dora-password-1');
    expect(
      (await api('/api/agents', { method: 'POST', cookie: doraCookie, body: { name: 'X', email: 'x@example.com', password: 'xxxxxxxx1' } }))
        .status,
    ).toBe(403);
    const agents = (await (await api('/api/agents')).json()) as { agents: { email: string; status: string; openChats: number }[] };
    expect(agents.agents.map((a) => a.email).sort()).toEqual(['admin@example.com', 'dora@example.com']);
    // Removing Dora ends her socket at once.
    const sock = await connect(`${server.url.replace(/^http/, 'ws')}/ws/agent`, { cookie: doraCookie, origin: server.url });
    sock.send({ type: 'agent.hello' });
    await sock.next((f) => f.type === 'welcome');
    expect((await api(`/api/agents/${agent.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await sock.closed).code).toBe(1008);
    expect((await api('/api/auth/me', { cookie: doraCookie })).status).toBe(401);
  });

  it('ends the other sessions and sockets on a password change', async () => {
    await api('/api/agents', { method: 'POST', body: { name: 'Emil', email: 'emil@example.com', password: 'emil-password-1' } });
    const laptop = await login(server.url, 'emil@example.com', 'emil-password-1');
    const phone = await login(server.url, 'emil@example.com', 'emil-password-1');
    const phoneSocket = await connect(`${server.url.replace(/^http/, 'ws')}/ws/agent`, { cookie: phone, origin: server.url });
    const laptopSocket = await connect(`${server.url.replace(/^http/, 'ws')}/ws/agent`, { cookie: laptop, origin: server.url });
    expect(
      (await api('/api/auth/password', { method: 'POST', cookie: laptop, body: { current: 'wrong-password', next: 'emil-password-2' } }))
        .status,
    ).toBe(403);
    expect(
      (await api('/api/auth/password', { method: 'POST', cookie: laptop, body: { current: 'emil-password-1', next: 'emil-password-2' } }))
        .status,
    ).toBe(200);
    expect((await phoneSocket.closed).code).toBe(1008);
    expect((await api('/api/auth/me', { cookie: phone })).status).toBe(401);
    expect((await api('/api/auth/me', { cookie: laptop })).status).toBe(200);
    expect(laptopSocket.ws.readyState).toBe(laptopSocket.ws.OPEN);
    laptopSocket.close();
    await login(server.url, 'emil@example.com', 'emil-password-2');
  });

  it('refuses cross-site writes', async () => {
    expect((await api('/api/canned', { method: 'POST', origin: 'https://evil.example', body: { shortcut: 'x', text: 'y' } })).status).toBe(
      403,
    );
  });
});
