// The REST API v1 against a real server: tokens (created by an admin, shown once, stored hashed,
// scopes on every route, revocation), messages sent exactly once and delivered live, pagination,
// errors in one shape, rate limits, and the OpenAPI document against the routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from '../../testing/in-process.js';
import { connect, login, newAgent, newVisitor } from '../../testing/client.js';
import { TEST_ADMIN } from '../../testing/server-process.js';
import { API_SCOPES } from '../../auth/api-tokens.js';
import type { ApiScope } from '@servus/shared';
import { startPrivateRedis } from '../../testing/redis-server.js';

let server: TestServer;
let cookie: string;
beforeAll(async () => {
  server = await startTestServer({ overrides: { autoAssign: false, apiRequestsPerMinute: 1000 } });
  cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
});
afterAll(() => server.close());

async function createToken(
  scopes: readonly ApiScope[],
  name = 'CRM',
  base = server.url,
  session = cookie,
): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${base}/api/tokens`, {
    method: 'POST',
    headers: { cookie: session, origin: base, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { token: { id: string }; secret: string };
  return { id: body.token.id, secret: body.secret };
}

function call(secret: string | null, method: string, path: string, body?: unknown, base = server.url) {
  const headers: Record<string, string> = {};
  if (secret) headers.authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/** A visitor with a conversation in the queue. */
async function queuedConversation(text = 'Where is my order 4711?') {
  const v = await newVisitor(server.url);
  v.client.send({ type: 'message.send', cid: 'm1', text });
  const conversationId = (await v.client.next((f) => f.type === 'ack')).conversationId as string;
  v.client.send({ type: 'handoff.request', cid: 'h1', conversationId });
  await v.client.next((f) => f.cid === 'h1');
  return { ...v, conversationId };
}

describe('API tokens', () => {
  it('shows the secret once, stores only its hash, and lists the token with its last use', async () => {
    const { id, secret } = await createToken(['conversations:read']);
    expect(secret).toMatch(/^svs_[A-Za-z0-9_-]{43}$/);
    const row = await server.database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret.slice(4));
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('base64url'));
    expect(row.last_used_at).toBeNull();
    expect((await call(secret, 'GET', '/conversations')).status).toBe(200);
    const list = (await (await fetch(`${server.url}/api/tokens`, { headers: { cookie } })).json()) as {
      tokens: { id: string; lastUsedAt: number | null; prefix: string }[];
    };
    const listed = list.tokens.find((t) => t.id === id)!;
    expect(listed.lastUsedAt).toBeGreaterThan(Date.now() - 10_000);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(secret.startsWith(listed.prefix)).toBe(true);
  });

  it('refuses a missing, malformed or unknown token with 401 in the one error shape', async () => {
    for (const auth of [null, 'svs_nope', 'Basic abc']) {
      const res = await fetch(`${server.url}/api/v1/conversations`, auth ? { headers: { authorization: auth } } : {});
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
  });

  it('only admins create tokens, and never for sites they do not have', async () => {
    const res = await fetch(`${server.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['conversations:read'], siteKeys: ['not-mine'] }),
    });
    expect(res.status).toBe(404);
    const bad = await fetch(`${server.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['everything'] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { path: string } }).error.path).toBe('scopes.0');
  });

  it('every route refuses a token without its scope (403), from the OpenAPI list of routes', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-scope': ApiScope }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, scope: op['x-scope'] })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const tokens = new Map<ApiScope, string>();
    for (const scope of API_SCOPES)
      tokens.set(
        scope,
        (
          await createToken(
            API_SCOPES.filter((s) => s !== scope),
            `all but ${scope}`,
          )
        ).secret,
      );
    for (const op of ops) {
      const path = op.path
        .replace('/api/v1', '')
        .replace(/\{siteKey\}/g, 'demo')
        .replace(/\{\w+\}/g, 'x');
      const res = await call(tokens.get(op.scope)!, op.method.toUpperCase(), path, op.method === 'get' ? undefined : {});
      expect({ op: `${op.method} ${op.path}`, status: res.status }).toEqual({ op: `${op.method} ${op.path}`, status: 403 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
  });

  it('a revoked token fails at once', async () => {
    const { id, secret } = await createToken(['conversations:read']);
    expect((await call(secret, 'GET', '/conversations')).status).toBe(200);
    const revoke = await fetch(`${server.url}/api/tokens/${id}`, { method: 'DELETE', headers: { cookie, origin: server.url } });
    expect(revoke.status).toBe(200);
    expect((await call(secret, 'GET', '/conversations')).status).toBe(401);
  });
});

describe('REST API v1', () => {
  let token: string;
  beforeAll(async () => {
    token = (await createToken(API_SCOPES)).secret;
  });

  it('sends a message exactly once per cid, as an event with its seq, live to the agent and the visitor', async () => {
    const v = await queuedConversation();
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.subscribe', conversationId: v.conversationId, lastSeq: 0 });
    await agent.client.next((f) => f.type === 'replay.done');
    const body = { cid: 'crm-1', text: 'Your order 4711 ships today.', name: 'Shop' };
    const first = await call(token, 'POST', `/conversations/${v.conversationId}/messages`, body);
    expect(first.status).toBe(200);
    const sent = (await first.json()) as { id: string; seq: number; duplicate: boolean };
    expect(sent.duplicate).toBe(false);
    // A retry (the answer was lost) writes nothing and answers the stored event.
    const again = (await (await call(token, 'POST', `/conversations/${v.conversationId}/messages`, body)).json()) as typeof sent;
    expect(again).toEqual({ ...sent, duplicate: true });
    const live = await v.client.next((f) => f.type === 'message.created' && (f.message as { text: string }).text === body.text);
    expect((live.message as { author: { type: string; name: string } }).author).toMatchObject({ type: 'bot', name: 'Shop' });
    const toAgent = await agent.client.next((f) => f.type === 'message.created' && f.seq === sent.seq);
    expect((toAgent.message as { id: string }).id).toBe(sent.id);
    const events = (await (await call(token, 'GET', `/conversations/${v.conversationId}/events`)).json()) as {
      events: { text: string; seq: number; cid?: string }[];
    };
    expect(events.events.filter((e) => e.text === body.text)).toEqual([expect.objectContaining({ seq: sent.seq, cid: 'crm-1' })]);
    // The same cid for another conversation is an error, not a silent no-op.
    const other = await queuedConversation('another');
    const reused = await call(token, 'POST', `/conversations/${other.conversationId}/messages`, body);
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('CID_REUSED');
    v.client.close();
    other.client.close();
    agent.client.close();
  });

  it('sends as an agent (taking the conversation), assigns, transfers, notes, labels and resolves', async () => {
    const v = await queuedConversation();
    const agents = (await (await fetch(`${server.url}/api/agents`, { headers: { cookie } })).json()) as {
      agents: { id: string; email: string }[];
    };
    const adminId = agents.agents.find((a) => a.email === TEST_ADMIN.email)!.id;
    const created = await fetch(`${server.url}/api/agents`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `b${Date.now()}@example.com`, name: 'Berta', password: 'a-long-password', role: 'agent' }),
    });
    const berta = ((await created.json()) as { agent: { id: string } }).agent.id;
    const base = `/conversations/${v.conversationId}`;
    expect((await call(token, 'POST', `${base}/assign`, { cid: 'as1', agentId: adminId })).status).toBe(200);
    let conv = (await (await call(token, 'GET', base)).json()) as { conversation: { status: string; assignee: { id: string } } };
    expect(conv.conversation).toMatchObject({ status: 'assigned', assignee: { id: adminId } });
    expect((await call(token, 'POST', `${base}/assign`, { cid: 'as2', agentId: berta })).status).toBe(409);
    expect((await call(token, 'POST', `${base}/transfer`, { cid: 'tr1', agentId: berta })).status).toBe(200);
    const asAgent = (await (
      await call(token, 'POST', `${base}/messages`, { cid: 'ag1', text: 'Hi, Berta here', agentId: berta })
    ).json()) as { seq: number };
    expect(asAgent.seq).toBeGreaterThan(0);
    expect((await call(token, 'POST', `${base}/notes`, { cid: 'n1', text: 'VIP customer' })).status).toBe(200);
    expect(await (await call(token, 'PUT', `${base}/labels`, { labels: ['vip', 'shipping'] })).json()).toEqual({
      labels: ['shipping', 'vip'],
    });
    expect((await call(token, 'POST', `${base}/resolve`, { cid: 'r1' })).status).toBe(200);
    conv = (await (await call(token, 'GET', base)).json()) as typeof conv;
    expect(conv.conversation.status).toBe('resolved');
    // The visitor never sees the note.
    await v.client.next((f) => f.type === 'conversation.updated' && (f.conversation as { status: string }).status === 'resolved');
    const seen = v.client.frames.filter((f) => f.type === 'message.created').map((f) => (f.message as { text: string }).text);
    expect(seen).toContain('Hi, Berta here');
    expect(seen).not.toContain('VIP customer');
    // An agent of no site of the token's is not found.
    expect((await call(token, 'POST', `${base}/transfer`, { cid: 'tr2', agentId: 'a_nobody' })).status).toBe(404);
    v.client.close();
  });

  it('opens a conversation for a known visitor, who gets it live', async () => {
    const v = await newVisitor(server.url);
    const res = await call(token, 'POST', '/conversations', { visitorId: v.visitorId, cid: 'open-1', text: 'Your parcel is delayed.' });
    expect(res.status).toBe(201);
    const opened = (await res.json()) as { conversationId: string; duplicate: boolean };
    const live = await v.client.next((f) => f.type === 'message.created');
    expect(live.conversationId).toBe(opened.conversationId);
    const again = await call(token, 'POST', '/conversations', { visitorId: v.visitorId, cid: 'open-1', text: 'Your parcel is delayed.' });
    expect(((await again.json()) as { conversationId: string; duplicate: boolean }).duplicate).toBe(true);
    const second = await call(token, 'POST', '/conversations', { visitorId: v.visitorId, cid: 'open-2', text: 'x' });
    expect(second.status).toBe(409);
    expect((await call(token, 'POST', '/conversations', { visitorId: 'v_unknown', cid: 'open-3', text: 'x' })).status).toBe(404);
    const visitor = (await (await call(token, 'PATCH', `/visitors/${v.visitorId}`, { name: 'Jo', email: 'jo@example.com' })).json()) as {
      visitor: { name: string; email: string; verified: boolean };
    };
    expect(visitor.visitor).toMatchObject({ name: 'Jo', email: 'jo@example.com', verified: false });
    v.client.close();
  });

  it('pages conversations by cursor, newest activity first, every one once', async () => {
    for (let i = 0; i < 5; i++) (await queuedConversation(`page ${i}`)).client.close();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(token, 'GET', `/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { conversations: { id: string; updatedAt: number }[]; nextCursor: string | null };
      seen.push(...page.conversations.map((c) => c.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    const all = await server.database.db
      .selectFrom('conversations')
      .select('id')
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(seen).toEqual(all.map((r) => r.id));
    expect((await call(token, 'GET', '/conversations?cursor=garbage')).status).toBe(400);
    expect(((await (await call(token, 'GET', '/conversations?limit=0')).json()) as { error: { path: string } }).error.path).toBe('limit');
  });

  it('edits FAQ entries and reads metrics', async () => {
    const created = await call(token, 'POST', '/sites/demo/faq', { question: 'Do you ship to Mars?', answer: 'Not yet.', lang: 'en' });
    expect(created.status).toBe(201);
    const entry = ((await created.json()) as { entry: { id: string } }).entry;
    const list = (await (await call(token, 'GET', '/sites/demo/faq')).json()) as { entries: { id: string }[] };
    expect(list.entries.map((e) => e.id)).toContain(entry.id);
    expect((await call(token, 'DELETE', `/sites/demo/faq/${entry.id}`)).status).toBe(200);
    expect((await call(token, 'GET', '/sites/elsewhere/faq')).status).toBe(404);
    const metrics = (await (await call(token, 'GET', '/metrics')).json()) as { summary: { conversations: number } };
    expect(metrics.summary.conversations).toBeGreaterThan(0);
  });
});

describe('rate limits', () => {
  it('counts requests per token and answers 429 with Retry-After past the limit', async () => {
    const limited = await startTestServer({ overrides: { apiRequestsPerMinute: 5 } });
    try {
      const session = await login(limited.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const a = await createToken(['conversations:read'], 'a', limited.url, session);
      const b = await createToken(['conversations:read'], 'b', limited.url, session);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call(a.secret, 'GET', '/conversations', undefined, limited.url)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const refused = await call(a.secret, 'GET', '/conversations', undefined, limited.url);
      expect(refused.headers.get('retry-after')).toBe('60');
      // Another token is not affected.
      expect((await call(b.secret, 'GET', '/conversations', undefined, limited.url)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('sockets are untouched', () => {
  it('a token does not open the agent socket', async () => {
    const { secret } = await createToken(API_SCOPES);
    await expect(
      connect(`${server.url.replace(/^http/, 'ws')}/ws/agent`, { headers: { authorization: `Bearer ${secret}` }, origin: server.url }),
    ).rejects.toThrow();
  });
});

describe('several instances (PostgreSQL)', () => {
  it('writes integration messages and opened conversations through the batched write path, once per cid, beside visitors writing', async () => {
    const a = await startTestServer({ postgres: true, overrides: { autoAssign: false } });
    try {
      const session = await login(a.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const { secret } = await createToken(['conversations:read', 'conversations:write', 'messages:write'], 'CRM', a.url, session);
      const v = await newVisitor(a.url);
      v.client.send({ type: 'message.send', cid: 'm0', text: 'Where is my order 4711?' });
      const conversationId = (await v.client.next((f) => f.type === 'ack')).conversationId as string;
      // Ten API messages and ten visitor messages at once, into one conversation; each API message twice.
      const posts = Array.from({ length: 10 }, (_, i) =>
        [0, 1].map(() => call(secret, 'POST', `/conversations/${conversationId}/messages`, { cid: `crm-${i}`, text: `api ${i}` }, a.url)),
      ).flat();
      for (let i = 1; i <= 10; i++) v.client.send({ type: 'message.send', cid: `m${i}`, text: `visitor ${i}` });
      const answers = await Promise.all(
        posts.map(async (r) => ({ status: (await r).status, body: (await (await r).json()) as { id: string } })),
      );
      expect(answers.every((x) => x.status === 200)).toBe(true);
      expect(new Set(answers.map((x) => x.body.id)).size).toBe(10);
      for (let i = 1; i <= 10; i++) await v.client.next((f) => f.type === 'ack' && f.cid === `m${i}`);
      const rows = await a.database.db
        .selectFrom('events')
        .select(['seq', 'text'])
        .where('conversation_id', '=', conversationId)
        .orderBy('seq')
        .execute();
      expect(rows.filter((r) => r.text.startsWith('api '))).toHaveLength(10);
      expect(rows.filter((r) => r.text.startsWith('visitor '))).toHaveLength(10);
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
      const other = await newVisitor(a.url);
      const open = () =>
        call(secret, 'POST', '/conversations', { visitorId: other.visitorId, cid: 'open-pg', text: 'Your parcel is delayed.' }, a.url);
      const [first, again] = await Promise.all([open(), open()]);
      const opened = [(await first.json()) as { conversationId: string }, (await again.json()) as { conversationId: string }];
      expect(opened[0]!.conversationId).toBe(opened[1]!.conversationId);
      v.client.close();
      other.client.close();
    } finally {
      await a.close();
    }
  });

  it('a token revoked through one instance fails on the other within a second', async () => {
    const a = await startTestServer({ postgres: true });
    const b = await startTestServer({ postgres: true, ...(a.pgSchema ? { pgSchema: a.pgSchema } : {}) });
    try {
      const session = await login(a.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const { id, secret } = await createToken(['conversations:read'], 'shared', a.url, session);
      expect((await call(secret, 'GET', '/conversations', undefined, b.url)).status).toBe(200);
      const revoked = await fetch(`${a.url}/api/tokens/${id}`, { method: 'DELETE', headers: { cookie: session, origin: a.url } });
      expect(revoked.status).toBe(200);
      const at = Date.now();
      // Checked against the database on every request: the very next one on B is refused.
      expect((await call(secret, 'GET', '/conversations', undefined, b.url)).status).toBe(401);
      expect(Date.now() - at).toBeLessThan(1000);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('rate limits across instances (Redis)', () => {
  it('counts one token’s requests on every instance together', async () => {
    const redis = await startPrivateRedis();
    const overrides = { redisUrl: redis.url, apiRequestsPerMinute: 6 };
    const a = await startTestServer({ postgres: true, overrides });
    const b = await startTestServer({ postgres: true, overrides, ...(a.pgSchema ? { pgSchema: a.pgSchema } : {}) });
    try {
      const session = await login(a.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const { secret } = await createToken(['conversations:read'], 'busy', a.url, session);
      // The limit counts per minute: a test starting in a minute's last seconds waits for the next one.
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await call(secret, 'GET', '/conversations', undefined, i % 2 ? b.url : a.url)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await b.close();
      await a.close();
      await redis.close();
    }
  });
});
