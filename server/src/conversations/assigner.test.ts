// Auto-assignment over real sockets: oldest first, fewest open chats first, never above capacity,
// and an agent who goes away hands their chats back to the front of the queue after the grace period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor } from '../testing/client.js';
import { hashPassword, randomId } from '../core/ids.js';
import { TEST_ADMIN } from '../testing/server-process.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ overrides: { agentOfflineGraceSeconds: 0.2 } });
  const db = server.database.db;
  await db.updateTable('agents').set({ capacity: 2 }).execute();
  const id = randomId('a');
  await db
    .insertInto('agents')
    .values({
      id,
      email: 'cleo@example.com',
      name: 'Cleo',
      role: 'agent',
      password_hash: await hashPassword('cleo-password-1'),
      capacity: 2,
      created_at: Date.now(),
    })
    .execute();
  await db.insertInto('agent_sites').values({ agent_id: id, site_key: 'demo' }).execute();
});
afterAll(() => server.close());

async function waiting(n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'handoff.request', cid: 'h' });
    out.push({ ...v, id: (await v.client.next((f) => f.type === 'ack')).conversationId as string });
  }
  return out;
}

describe('auto-assignment', () => {
  it('fills the least busy online agents up to capacity, oldest first, and frees a place on resolve', async () => {
    const [v1, v2, v3, v4, v5] = await waiting(5);
    const admin = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    // Capacity 2: the two oldest go to the only agent online.
    const a1 = await v1!.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    await v2!.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((a1.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');
    const cleo = await newAgent(server.url, 'cleo@example.com', 'cleo-password-1');
    const a3 = await v3!.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    const a4 = await v4!.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect([a3, a4].map((f) => (f.conversation as { assignee: { name: string } }).assignee.name)).toEqual(['Cleo', 'Cleo']);
    // Everyone is full: the fifth waits, first in line.
    const db = server.database.db;
    expect((await db.selectFrom('conversations').select('status').where('id', '=', v5!.id).executeTakeFirstOrThrow()).status).toBe(
      'queued',
    );
    admin.client.send({ type: 'conversation.resolve', cid: 'r1', conversationId: v1!.id });
    const a5 = await v5!.client.next((f) => f.type === 'conversation.updated' && f.change === 'assigned');
    expect((a5.conversation as { assignee: { name: string } }).assignee.name).toBe('Admin');

    // Cleo leaves: after the grace period her two chats are back in the queue, ahead of anyone newer.
    cleo.client.close();
    const back = await v3!.client.next((f) => f.type === 'conversation.updated' && f.change === 'released', 5000);
    expect(back.conversation).toMatchObject({ status: 'queued', assignee: null });
    await v4!.client.next((f) => f.type === 'conversation.updated' && f.change === 'released', 5000);
    const [v6] = await waiting(1);
    const positions = await db
      .selectFrom('conversations')
      .select(['id'])
      .where('status', '=', 'queued')
      .orderBy('queued_at')
      .orderBy('id')
      .execute();
    expect(positions.map((p) => p.id).indexOf(v6!.id)).toBe(positions.length - 1);
    for (const v of [v1, v2, v3, v4, v5, v6]) v!.client.close();
    admin.client.close();
  });
});
