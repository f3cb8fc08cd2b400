// Claims are atomic: two agents (on one instance or on two instances sharing PostgreSQL) claiming
// the same conversations at once, and exactly one wins each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor, type TestClient } from '../testing/client.js';
import { hashPassword, randomId } from '../core/ids.js';
import { TEST_ADMIN } from '../testing/server-process.js';

const SECOND = { email: 'second@example.com', password: 'second-agent-password' };

async function addAgent(server: TestServer): Promise<void> {
  const db = server.database.db;
  if (await db.selectFrom('agents').select('id').where('email', '=', SECOND.email).executeTakeFirst()) return;
  const id = randomId('a');
  await db
    .insertInto('agents')
    .values({
      id,
      email: SECOND.email,
      name: 'Second',
      role: 'agent',
      password_hash: await hashPassword(SECOND.password),
      capacity: 3,
      created_at: Date.now(),
    })
    .execute();
  await db.insertInto('agent_sites').values({ agent_id: id, site_key: 'demo' }).execute();
}

async function queuedConversations(server: TestServer, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { client } = await newVisitor(server.url);
    client.send({ type: 'handoff.request', cid: 'h' });
    ids.push((await client.next((f) => f.type === 'ack')).conversationId as string);
    client.close();
  }
  return ids;
}

async function claimAll(agent: TestClient, ids: string[], prefix: string): Promise<Map<string, 'won' | 'lost'>> {
  for (const id of ids) agent.send({ type: 'conversation.claim', cid: `${prefix}-${id}`, conversationId: id });
  const out = new Map<string, 'won' | 'lost'>();
  for (const id of ids) {
    const f = await agent.next((x) => x.cid === `${prefix}-${id}` && (x.type === 'ack' || x.type === 'error'));
    if (f.type === 'error') expect(f.code).toBe('CONFLICT');
    out.set(id, f.type === 'ack' ? 'won' : 'lost');
  }
  return out;
}

async function expectOneWinnerEach(server: TestServer, ids: string[], a: Map<string, string>, b: Map<string, string>): Promise<void> {
  for (const id of ids) expect([a.get(id), b.get(id)].sort(), id).toEqual(['lost', 'won']);
  const rows = await server.database.db
    .selectFrom('events')
    .select(['conversation_id'])
    .where('conversation_id', 'in', ids)
    .where('kind', '=', 'status')
    .where('text', '=', 'assigned')
    .execute();
  // One 'assigned' event per conversation: the loser left no trace.
  expect(rows.length).toBe(ids.length);
}

describe.each(['sqlite', 'postgres'] as const)('claims on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ postgres: dialect === 'postgres', overrides: { autoAssign: false } });
    await addAgent(server);
  });
  afterAll(() => server.close());

  it('gives each of 30 conversations to exactly one of two agents claiming at once', async () => {
    const ids = await queuedConversations(server, 30);
    const [a, b] = await Promise.all([
      newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password),
      newAgent(server.url, SECOND.email, SECOND.password),
    ]);
    const [wa, wb] = await Promise.all([claimAll(a.client, ids, 'a'), claimAll(b.client, ids, 'b')]);
    await expectOneWinnerEach(server, ids, wa, wb);
    a.client.close();
    b.client.close();
  });
});

describe('claims across two instances sharing PostgreSQL', () => {
  let one: TestServer & { pgSchema?: string };
  let two: TestServer;
  beforeAll(async () => {
    one = await startTestServer({ postgres: true, overrides: { autoAssign: false } });
    await addAgent(one);
    two = await startTestServer({ postgres: true, pgSchema: one.pgSchema!, overrides: { seedDemo: false, autoAssign: false } });
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('lets exactly one agent win each conversation when the claims arrive at different instances', async () => {
    const ids = await queuedConversations(one, 30);
    const [a, b] = await Promise.all([
      newAgent(one.url, TEST_ADMIN.email, TEST_ADMIN.password),
      newAgent(two.url, SECOND.email, SECOND.password),
    ]);
    const [wa, wb] = await Promise.all([claimAll(a.client, ids, 'a'), claimAll(b.client, ids, 'b')]);
    await expectOneWinnerEach(one, ids, wa, wb);
    a.client.close();
    b.client.close();
  });
});
